/**
 * The reference server's OpenAPI 3.1 document, served at `GET /openapi.json`. It is built from the
 * guard's resolved options, so it lists the routes the guard really mounts (refresh and revoke only
 * with a store, the JWKS only for asymmetric keys), the configured header prefix, cookie and CSRF
 * names, body limit and field names; the error examples are rendered by the guard itself, so they
 * are the bytes the server sends.
 */
import { readFileSync } from 'node:fs'
import { type JwtGuard, JwtGuardError, type JwtGuardErrorDetails } from 'jwtguard'
import { compileRequirements } from 'jwtguard/adapter'

/** Where every framework's app serves the document. */
export const OPENAPI_PATH = '/openapi.json'

/** A JSON Schema (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
export type Schema = { [keyword: string]: unknown }

/** An OpenAPI Response Object, or a reference to one in `components.responses`. */
export interface ResponseObject {
  description?: string
  headers?: Record<string, { $ref: string } | { description: string; schema: Schema }>
  content?: Record<string, { schema: Schema; examples?: Record<string, { summary: string; value: unknown }> }>
  $ref?: string
}

/** An OpenAPI Operation Object, as this module writes them. */
export interface Operation {
  operationId: string
  summary: string
  description: string
  tags: string[]
  security?: Record<string, string[]>[]
  requestBody?: {
    required: boolean
    description: string
    content: Record<
      string,
      { schema: Schema; examples?: Record<string, { summary: string; value: unknown }> }
    >
  }
  responses: Record<string, ResponseObject>
}

/** The document: what `GET /openapi.json` answers. */
export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } }
  jsonSchemaDialect: string
  tags: { name: string; description: string }[]
  paths: Record<string, Partial<Record<'get' | 'post', Operation>>>
  components: {
    schemas: Record<string, Schema>
    responses: Record<string, ResponseObject>
    headers: Record<string, { description: string; schema: Schema }>
    securitySchemes: Record<string, Schema>
  }
}

const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

const JSON_TYPE = 'application/json'
const ref = (kind: 'schemas' | 'responses' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
})

/** The seed's user, in request examples. */
const CREDENTIALS = { username: 'masnun', password: 'abc123' }
const TOKEN_EXAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU5Njg1MDAsImlhdCI6MTc5NTk2ODIwMCwibmJmIjoxNzk1OTY4MjAwLCJpZGVudGl0eSI6MTIzfQ.c2lnbmF0dXJl'

/** A CSRF value as `/auth` returns it in cookie mode (32 random bytes, base64url). */
const CSRF_EXAMPLE = 'FJX9DSqwKx9PIozITE4BP087fXSuqysaaMfrjXuzbBE'

/** Builds the document of `guard`'s routes and of the reference server's own routes. */
export function buildOpenApiDocument(guard: JwtGuard<unknown>): OpenApiDocument {
  const options = guard.options
  const prefix = options.headerPrefix
  const cookies = options.tokenLocation.includes('cookies') ? options.cookies : undefined
  const queryParam = options.tokenLocation.includes('query') ? options.queryParam : undefined
  const hasStore = guard.store !== undefined

  /** An error example exactly as the guard renders it: JSON body and challenge. */
  const rendered = (code: JwtGuardError['code'], message: string, details: JwtGuardErrorDetails = {}) => {
    const response = guard.errorResponse(new JwtGuardError(code, message, details))
    return { body: JSON.parse(response.body ?? 'null') as unknown, headers: response.headers }
  }
  const examples = (list: Record<string, [summary: string, code: JwtGuardError['code'], message: string]>) =>
    Object.fromEntries(
      Object.entries(list).map(([name, [summary, code, message]]) => [
        name,
        { summary, value: rendered(code, message).body },
      ]),
    )
  const errorContent = (list: Parameters<typeof examples>[0]) => ({
    [JSON_TYPE]: { schema: ref('schemas', 'Error'), examples: examples(list) },
  })
  const forbidden = (() => {
    try {
      compileRequirements({ roles: ['admin'] }).check({}, undefined)
    } catch (error) {
      if (error instanceof JwtGuardError) return error.message
    }
    return 'Token lacks the role: admin'
  })()

  // Security schemes: the header always, cookies and the query parameter when configured.
  const securitySchemes: Record<string, Schema> = {
    JWT: {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: `\`${prefix} <token>\`: the access token after the prefix \`${prefix}\` (case-insensitive) and one space, as Flask-JWT sends it.`,
    },
  }
  const readSecurity = (roles: string[] = []): Record<string, string[]>[] => [{ JWT: roles }]
  const writeSecurity = (): Record<string, string[]>[] => [{ JWT: [] }]
  if (cookies !== undefined) {
    securitySchemes.cookie = {
      type: 'apiKey',
      in: 'cookie',
      name: cookies.accessName,
      description: `The HttpOnly access-token cookie set by \`POST ${options.authPath || '/auth'}\`. Requests with other methods than GET, HEAD and OPTIONS also need the CSRF header.`,
    }
    securitySchemes.csrf = {
      type: 'apiKey',
      in: 'header',
      name: cookies.csrfHeader,
      description: `The value of the readable \`${cookies.csrfName}\` cookie, echoed on unsafe methods when the token comes from a cookie (double submit, bound to the token's \`csrf\` claim).`,
    }
  }
  if (queryParam !== undefined) {
    securitySchemes.query = {
      type: 'apiKey',
      in: 'query',
      name: queryParam,
      description: 'The access token as a query parameter (for links that cannot send a header).',
    }
  }
  const withOthers = (security: Record<string, string[]>[], unsafe: boolean, roles: string[] = []) => {
    if (cookies !== undefined) security.push(unsafe ? { cookie: roles, csrf: [] } : { cookie: roles })
    if (queryParam !== undefined) security.push({ query: roles })
    return security
  }

  const tokensSchema: Schema = {
    type: 'object',
    required: [
      'access_token',
      ...(hasStore ? ['refresh_token'] : []),
      ...(cookies === undefined ? [] : ['csrf_token']),
    ],
    additionalProperties: false,
    properties: {
      access_token: { type: 'string', description: `Access token, valid ${options.expiresIn} s.` },
      ...(hasStore
        ? {
            refresh_token: {
              type: 'string',
              description: `Refresh token, valid ${options.refreshExpiresIn} s, spent by one refresh.`,
            },
          }
        : {}),
      ...(cookies === undefined
        ? {}
        : {
            csrf_token: {
              type: 'string',
              description: `The CSRF value, also in the readable \`${cookies.csrfName}\` cookie: echo it in \`${cookies.csrfHeader}\` on unsafe methods that authenticate with the cookies.`,
            },
          }),
    },
  }
  const tokensContent = {
    [JSON_TYPE]: {
      schema: ref('schemas', 'Tokens'),
      examples: {
        tokens: {
          summary: 'The tokens',
          value: {
            access_token: TOKEN_EXAMPLE,
            ...(hasStore ? { refresh_token: TOKEN_EXAMPLE } : {}),
            ...(cookies === undefined ? {} : { csrf_token: CSRF_EXAMPLE }),
          },
        },
      },
    },
  }
  // RFC 6749 §5.1: every answer that carries a token or a session cookie says not to cache it.
  const sessionHeaders = {
    'Cache-Control': ref('headers', 'Cache-Control-No-Store'),
    Pragma: ref('headers', 'Pragma-No-Cache'),
    ...(cookies === undefined ? {} : { 'Set-Cookie': ref('headers', 'Set-Cookie') }),
  }
  const common = { '405': ref('responses', 'MethodNotAllowed') }
  const bodyErrors = {
    '400': ref('responses', 'BadRequest'),
    '413': ref('responses', 'PayloadTooLarge'),
    '415': ref('responses', 'UnsupportedMediaType'),
  }
  const unavailable = hasStore ? { '503': ref('responses', 'ServiceUnavailable') } : {}
  const protectedErrors = { '401': ref('responses', 'Unauthorized'), ...unavailable }

  const paths: OpenApiDocument['paths'] = {}
  for (const route of guard.routes) {
    if (route.method === 'GET') {
      paths[route.path] = {
        get: {
          operationId: 'getJwks',
          summary: 'The public verification keys (JWKS)',
          description:
            "The public JWKs that verify this server's tokens, the active key first, with `Cache-Control`. Resource servers fetch it to verify tokens without the private key.",
          tags: ['keys'],
          responses: {
            '200': {
              description: 'The key set.',
              headers: {
                'Cache-Control': {
                  description: 'How long to cache the key set.',
                  schema: { type: 'string' },
                },
              },
              content: { [JSON_TYPE]: { schema: ref('schemas', 'Jwks') } },
            },
            ...common,
          },
        },
      }
    } else if (route.path === options.authPath) {
      paths[route.path] = {
        post: {
          operationId: 'login',
          summary: 'Log in: credentials for tokens',
          description: `Flask-JWT's \`POST /auth\`. The body must be a JSON object with exactly \`${options.usernameKey}\` and \`${options.passwordKey}\`, at most ${options.bodyLimit} bytes, not compressed. An unknown user and a wrong password answer alike, in the same time.${cookies === undefined ? '' : ' The tokens are also set as HttpOnly cookies, with the readable CSRF cookie.'}`,
          tags: ['auth'],
          requestBody: {
            required: true,
            description: 'The credentials.',
            content: {
              [JSON_TYPE]: {
                schema: ref('schemas', 'Credentials'),
                examples: { seed: { summary: "The seed's user", value: CREDENTIALS } },
              },
            },
          },
          responses: {
            '200': { description: 'Logged in.', headers: sessionHeaders, content: tokensContent },
            ...bodyErrors,
            '401': {
              description: 'Wrong, missing or extra fields, an unknown user or a wrong password.',
              headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
              content: errorContent({
                invalidCredentials: ['Invalid credentials', 'ERR_INVALID_CREDENTIALS', 'Invalid credentials'],
              }),
            },
            ...common,
            '429': ref('responses', 'TooManyRequests'),
            ...unavailable,
          },
        },
      }
    } else if (route.path === options.refreshPath) {
      paths[route.path] = {
        post: {
          operationId: 'refresh',
          summary: 'Trade a refresh token for new tokens',
          description: `Rotation: the refresh token is spent, and a spent token sent again revokes its whole session.${cookies === undefined ? '' : ` Without a body, the refresh token is read from the \`${cookies.refreshName}\` cookie and the CSRF header is required.`}`,
          tags: ['auth'],
          requestBody: {
            required: cookies === undefined,
            description: 'The refresh token.',
            content: {
              [JSON_TYPE]: {
                schema: ref('schemas', 'RefreshRequest'),
                examples: {
                  refresh: { summary: 'A refresh token', value: { refresh_token: TOKEN_EXAMPLE } },
                },
              },
            },
          },
          responses: {
            '200': { description: 'New tokens.', headers: sessionHeaders, content: tokensContent },
            ...bodyErrors,
            '401': {
              description: 'An invalid, expired, spent or revoked refresh token, or an access token.',
              headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
              content: errorContent({
                reused: [
                  'A spent refresh token sent again',
                  'ERR_TOKEN_REVOKED',
                  'Refresh token reuse detected: the session has been revoked',
                ],
                wrongType: ['An access token instead', 'ERR_TOKEN_TYPE_INVALID', 'Expected a refresh token'],
              }),
            },
            ...common,
            '429': ref('responses', 'TooManyRequests'),
            ...unavailable,
          },
        },
      }
    } else if (route.path === options.revokePath) {
      paths[route.path] = {
        post: {
          operationId: 'revoke',
          summary: 'Log out: revoke the access token and its session',
          description: `Revokes the access token that authenticates the request and its refresh-token family, and the family of the refresh token in the body${cookies === undefined ? '' : ` (or, without a body, in the \`${cookies.refreshName}\` cookie, with the CSRF header)`} when one is sent (it must belong to the same identity). Either token alone suffices: a client whose access token has expired logs out with its refresh token; next to a refresh token, an expired or revoked access token is passed over.`,
          tags: ['auth'],
          // `{}`: the refresh token alone (body or cookie) also logs out.
          security: [...withOthers(writeSecurity(), true), {}],
          requestBody: {
            required: false,
            description: 'The refresh token to revoke too; enough on its own.',
            content: { [JSON_TYPE]: { schema: ref('schemas', 'RefreshRequest') } },
          },
          responses: {
            '204': { description: 'Revoked.', headers: sessionHeaders },
            ...bodyErrors,
            ...protectedErrors,
            ...common,
          },
        },
      }
    }
  }

  const protectedGet = (
    operationId: string,
    summary: string,
    schema: string,
    example: unknown,
    roles: string[] = [],
  ): Operation => ({
    operationId,
    summary,
    description: `Needs a valid access token${roles.length > 0 ? ` whose \`roles\` claim holds ${roles.map((role) => `\`${role}\``).join(' and ')}` : ''}. Every 401 carries \`WWW-Authenticate: ${prefix} realm="${options.realm}"\`, with RFC 6750's \`error\` and \`error_description\` when a token was sent and refused.`,
    tags: ['api'],
    security: withOthers(readSecurity(roles), false, roles),
    responses: {
      '200': {
        description: 'The resource.',
        content: {
          [JSON_TYPE]: {
            schema: ref('schemas', schema),
            examples: { ok: { summary: 'The answer', value: example } },
          },
        },
      },
      ...protectedErrors,
      ...(roles.length > 0 ? { '403': ref('responses', 'Forbidden') } : {}),
      ...common,
    },
  })
  paths['/api/v1/private'] = {
    get: protectedGet('getPrivate', "The seed's protected resource", 'Private', { meaning_of_life: 42 }),
  }
  paths['/api/v1/me'] = {
    get: protectedGet('getMe', 'The current identity', 'Identity', { user_id: 123 }),
  }
  paths['/api/v1/admin'] = {
    get: protectedGet('getAdmin', 'A resource for the admin role', 'Admin', { admin: true }, ['admin']),
  }
  const publicGet = (
    operationId: string,
    summary: string,
    description: string,
    schema: Schema,
  ): Operation => ({
    operationId,
    summary,
    description,
    tags: ['server'],
    security: [],
    responses: { '200': { description: summary, content: { [JSON_TYPE]: { schema } } }, ...common },
  })
  paths['/health'] = {
    get: publicGet(
      'health',
      'Liveness',
      'The unprotected baseline: always `{"status": "ok"}` while the process serves requests.',
      ref('schemas', 'Health'),
    ),
  }
  paths['/'] = {
    get: {
      operationId: 'getPage',
      summary: 'The browser page',
      description: `A small page (HTML, same-origin script) to log in, call the API, refresh and log out${cookies === undefined ? '' : ' in cookie mode'}.`,
      tags: ['server'],
      security: [],
      responses: {
        '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
        ...common,
      },
    },
  }
  paths[OPENAPI_PATH] = {
    get: publicGet('getOpenApi', 'This document', 'The OpenAPI 3.1 document of this server.', {
      type: 'object',
    }),
  }

  const challenge = rendered('ERR_TOKEN_EXPIRED', 'Signature has expired').headers['www-authenticate']
  return {
    openapi: '3.1.0',
    info: {
      title: 'jwtguard reference server',
      version: PACKAGE.version,
      description:
        "The seed's API (Flask-JWT's tutorial) on jwtguard: log in at `POST /auth`, send the access token as `Authorization: JWT <token>`. Every error, on every route, is JSON `{status_code, error, description}` with `status_code` equal to the HTTP status.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [
      { name: 'auth', description: 'Tokens: log in, refresh, log out.' },
      { name: 'api', description: 'Protected resources.' },
      { name: 'keys', description: 'Public keys for resource servers.' },
      { name: 'server', description: 'Unprotected routes of the server.' },
    ],
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          description: "Flask-JWT's error body, on every error of every route.",
          required: ['status_code', 'error', 'description'],
          additionalProperties: false,
          properties: {
            status_code: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status.' },
            error: { type: 'string', description: 'The kind of error, e.g. `Invalid token`.' },
            description: {
              type: 'string',
              description: 'A short, specific reason; never the token.',
            },
          },
        },
        Credentials: {
          type: 'object',
          required: [options.usernameKey, options.passwordKey],
          additionalProperties: false,
          properties: {
            [options.usernameKey]: { type: 'string', minLength: 1 },
            [options.passwordKey]: { type: 'string', minLength: 1, format: 'password' },
          },
        },
        Tokens: tokensSchema,
        RefreshRequest: {
          type: 'object',
          required: ['refresh_token'],
          properties: { refresh_token: { type: 'string', minLength: 1 } },
        },
        Private: {
          type: 'object',
          required: ['meaning_of_life'],
          additionalProperties: false,
          properties: { meaning_of_life: { type: 'integer', const: 42 } },
        },
        Identity: {
          type: 'object',
          required: ['user_id'],
          additionalProperties: false,
          properties: { user_id: { type: 'integer' } },
        },
        Admin: {
          type: 'object',
          required: ['admin'],
          additionalProperties: false,
          properties: { admin: { type: 'boolean', const: true } },
        },
        Health: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: { status: { type: 'string', const: 'ok' } },
        },
        Jwks: {
          type: 'object',
          required: ['keys'],
          properties: {
            keys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['kty', 'kid', 'alg', 'use'],
                properties: {
                  kty: { type: 'string', enum: ['RSA', 'EC', 'OKP'] },
                  kid: { type: 'string' },
                  alg: { type: 'string' },
                  use: { type: 'string', const: 'sig' },
                },
              },
            },
          },
        },
      },
      headers: {
        'WWW-Authenticate': {
          description: `The challenge, e.g. \`${challenge}\`.`,
          schema: { type: 'string' },
        },
        Allow: { description: 'The methods the path answers, e.g. `GET, HEAD`.', schema: { type: 'string' } },
        'Cache-Control-No-Store': {
          description: '`no-store`: a response that carries a token or a session cookie is never cached.',
          schema: { type: 'string', const: 'no-store' },
        },
        'Pragma-No-Cache': {
          description: '`no-cache`, for HTTP/1.0 caches.',
          schema: { type: 'string', const: 'no-cache' },
        },
        'Retry-After': {
          description: 'Seconds until the client may try again.',
          schema: { type: 'integer' },
        },
        ...(cookies === undefined
          ? {}
          : {
              'Set-Cookie': {
                description: `The \`${cookies.accessName}\`, \`${cookies.refreshName}\` (HttpOnly) and \`${cookies.csrfName}\` cookies.`,
                schema: { type: 'string' },
              },
            }),
      },
      responses: {
        BadRequest: {
          description: 'The body is malformed JSON, empty, not an object, not UTF-8, or lacks a field.',
          content: errorContent({
            notJson: ['Malformed JSON', 'ERR_BODY_MALFORMED', 'Request body is not valid JSON'],
            notObject: [
              'A JSON value that is not an object',
              'ERR_BODY_MALFORMED',
              'Request body must be a JSON object',
            ],
          }),
        },
        Unauthorized: {
          description: 'No access token, or one that is refused.',
          headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
          content: errorContent({
            missing: ['No token', 'ERR_TOKEN_MISSING', 'Request does not contain an access token'],
            scheme: [
              `Another scheme than ${prefix}`,
              'ERR_AUTH_SCHEME_UNSUPPORTED',
              'Unsupported authorization type',
            ],
            spaces: [`${prefix} a b`, 'ERR_AUTH_HEADER_MALFORMED', 'Token contains spaces'],
            signature: ['Bad signature', 'ERR_SIGNATURE_INVALID', 'Signature verification failed'],
            expired: ['Expired', 'ERR_TOKEN_EXPIRED', 'Signature has expired'],
            revoked: ['Revoked', 'ERR_TOKEN_REVOKED', 'Token has been revoked'],
            unknownUser: ['The identity callback found no user', 'ERR_USER_NOT_FOUND', 'User does not exist'],
            ...(cookies === undefined
              ? {}
              : {
                  csrf: [
                    'A cookie token without the CSRF header',
                    'ERR_CSRF_INVALID',
                    'CSRF token does not match',
                  ],
                }),
          }),
        },
        Forbidden: {
          description: 'A valid token that lacks a role or scope the route requires.',
          headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
          content: errorContent({ role: ['Missing role', 'ERR_INSUFFICIENT_SCOPE', forbidden] }),
        },
        MethodNotAllowed: {
          description: 'Any other method on this path; `Allow` lists the methods it answers.',
          headers: { Allow: ref('headers', 'Allow') },
          content: {
            [JSON_TYPE]: {
              schema: ref('schemas', 'Error'),
              examples: {
                wrongMethod: {
                  summary: 'GET on a POST route',
                  value: rendered(
                    'ERR_METHOD_NOT_ALLOWED',
                    'The method is not allowed for the requested URL.',
                    {
                      allow: ['POST'],
                    },
                  ).body,
                },
              },
            },
          },
        },
        PayloadTooLarge: {
          description: `A body over ${options.bodyLimit} bytes.`,
          content: errorContent({
            tooLarge: ['Too large', 'ERR_BODY_TOO_LARGE', `Request body exceeds ${options.bodyLimit} bytes`],
          }),
        },
        UnsupportedMediaType: {
          description: 'A body that is not `application/json` (UTF-8), or is compressed.',
          content: errorContent({
            notJson: [
              'Not JSON',
              'ERR_MEDIA_TYPE_UNSUPPORTED',
              'Request body must be JSON (Content-Type: application/json)',
            ],
            compressed: [
              'Compressed',
              'ERR_MEDIA_TYPE_UNSUPPORTED',
              'Content-Encoding is not supported: send the JSON body uncompressed',
            ],
          }),
        },
        TooManyRequests: {
          description:
            'Throttled: too many failed logins for this username from this client, from this client, or for this username from clients it has not logged in from lately; or too many refreshes of one session or from one client.',
          headers: { 'Retry-After': ref('headers', 'Retry-After') },
          content: errorContent({
            throttled: [
              'Throttled',
              'ERR_TOO_MANY_REQUESTS',
              'Too many failed login attempts, try again later',
            ],
            refreshes: [
              'Too many refreshes',
              'ERR_TOO_MANY_REQUESTS',
              'Too many token refreshes, try again later',
            ],
          }),
        },
        ServiceUnavailable: {
          description: 'The token store cannot be reached.',
          content: errorContent({
            store: ['Store down', 'ERR_STORE_UNAVAILABLE', 'Token store unavailable'],
          }),
        },
      },
      securitySchemes,
    },
  }
}
