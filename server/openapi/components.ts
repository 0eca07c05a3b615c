/** The document's components: schemas, headers and the shared error responses, examples rendered by the guard. */
import { bodyTooLarge, failure } from 'jwtguard/adapter'
import { type DocContext, missingRolesError, ref } from './context.js'
import type { OpenApiDocument, Schema } from './types.js'

type Components = Omit<OpenApiDocument['components'], 'securitySchemes'>

export function components(ctx: DocContext): Components {
  return { schemas: schemas(ctx), headers: headers(ctx), responses: responses(ctx) }
}

const seedIdentity: Schema = {
  type: 'object',
  required: ['user_id'],
  additionalProperties: false,
  properties: { user_id: { type: 'integer' } },
}

/** A resource server's identity: an RFC 9068 token's subject and client, or a jwtguard issuer's user. */
const resourceIdentity: Schema = {
  anyOf: [
    seedIdentity,
    {
      type: 'object',
      required: ['sub'],
      additionalProperties: false,
      properties: { sub: { type: 'string' }, client_id: { type: 'string' } },
    },
  ],
}

function tokensSchema(ctx: DocContext): Schema {
  const { cookies, hasStore, issuer } = ctx
  return {
    type: 'object',
    required: [
      'access_token',
      ...(hasStore ? ['refresh_token'] : []),
      ...(cookies === undefined ? [] : ['csrf_token']),
    ],
    additionalProperties: false,
    properties: {
      access_token: { type: 'string', description: `Access token, valid ${issuer?.expiresIn} s.` },
      ...(hasStore
        ? {
            refresh_token: {
              type: 'string',
              description: `Refresh token, valid ${issuer?.refreshExpiresIn} s, spent by one refresh.`,
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
}

function schemas(ctx: DocContext): Components['schemas'] {
  const { usernameKey, passwordKey } = ctx.issuer ?? { usernameKey: 'username', passwordKey: 'password' }
  return {
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
      required: [usernameKey, passwordKey],
      additionalProperties: false,
      properties: {
        [usernameKey]: { type: 'string', minLength: 1 },
        [passwordKey]: { type: 'string', minLength: 1, format: 'password' },
      },
    },
    Tokens: tokensSchema(ctx),
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
    Identity: ctx.issuer === undefined ? resourceIdentity : seedIdentity,
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
  }
}

function headers(ctx: DocContext): Components['headers'] {
  const { cookies } = ctx
  const challenge = ctx.rendered(failure('expired')).headers['www-authenticate']
  return {
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
  }
}

function responses(ctx: DocContext): Components['responses'] {
  const { prefix, bodyLimit } = ctx
  return {
    BadRequest: {
      description: 'The body is malformed JSON, empty, not an object, not UTF-8, or lacks a field.',
      content: ctx.errorContent({ notJson: 'bodyNotJson', notObject: 'bodyNotObject' }),
    },
    Unauthorized: {
      description: 'No access token, or one that is refused.',
      headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
      content: ctx.errorContent({
        missing: 'tokenMissing',
        scheme: { summary: `Another scheme than ${prefix}`, error: failure('schemeUnsupported') },
        spaces: { summary: `${prefix} a b`, error: failure('headerSpaces') },
        signature: 'signature',
        expired: 'expired',
        revoked: 'revoked',
        unknownUser: 'userNotFound',
        ...(ctx.cookies === undefined ? {} : { csrf: 'csrfMismatch' as const }),
        ...(ctx.issuer === undefined
          ? {
              issuer: 'issuerUnknown' as const,
              type: 'typNotAccepted' as const,
              rotatedOut: 'keyUnknown' as const,
            }
          : {}),
      }),
    },
    Forbidden: {
      description: 'A valid token that lacks a role or scope the route requires.',
      headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
      content: ctx.errorContent({ role: { summary: 'Missing role', error: missingRolesError(['admin']) } }),
    },
    MethodNotAllowed: {
      description: 'Any other method on this path; `Allow` lists the methods it answers.',
      headers: { Allow: ref('headers', 'Allow') },
      content: ctx.errorContent({
        wrongMethod: {
          summary: 'GET on a POST route',
          error: failure('methodNotAllowed', { allow: ['POST'] }),
        },
      }),
    },
    PayloadTooLarge: {
      description: `A body over ${bodyLimit} bytes.`,
      content: ctx.errorContent({ tooLarge: { summary: 'Too large', error: bodyTooLarge(bodyLimit) } }),
    },
    UnsupportedMediaType: {
      description: 'A body that is not `application/json` (UTF-8), or is compressed.',
      content: ctx.errorContent({ notJson: 'mediaType', compressed: 'encodingUnsupported' }),
    },
    TooManyRequests: {
      description:
        'Throttled: too many failed logins for this username from this client, from this client, or for this username from clients it has not logged in from lately; or too many refreshes of one session or from one client.',
      headers: { 'Retry-After': ref('headers', 'Retry-After') },
      content: ctx.errorContent({ throttled: 'tooManyLogins', refreshes: 'tooManyRefreshes' }),
    },
    ServiceUnavailable: {
      description: 'The token store cannot be reached.',
      content: ctx.errorContent({ store: 'storeUnavailable' }),
    },
  }
}
