/**
 * The operations of the guard's own routes, one writer per route name. Each route's 401 examples
 * are the failures the route declares (`AuthRoute.failures`), rendered by the guard.
 */
import type { AuthRoute, FailureName } from 'jwtguard/adapter'
import { type DocContext, JSON_TYPE, ref } from './context.js'
import { routeSecurity } from './security.js'
import type { Operation, ResponseObject } from './types.js'

/** A CSRF value as `/auth` returns it in cookie mode (32 random bytes, base64url). */
const CSRF_EXAMPLE = 'FJX9DSqwKx9PIozITE4BP087fXSuqysaaMfrjXuzbBE'
/** The seed's user, in request examples. */
const CREDENTIALS = { username: 'masnun', password: 'abc123' }
export const TOKEN_EXAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTU5Njg1MDAsImlhdCI6MTc5NTk2ODIwMCwibmJmIjoxNzk1OTY4MjAwLCJpZGVudGl0eSI6MTIzfQ.c2lnbmF0dXJl'

type Writer = (route: AuthRoute, ctx: DocContext) => Operation

/** The path item of each of the guard's routes. */
export function authPaths(ctx: DocContext): Record<string, { get?: Operation; post?: Operation }> {
  const paths: Record<string, { get?: Operation; post?: Operation }> = {}
  for (const route of ctx.guard.routes) {
    const operation = withDpop(WRITERS[route.name](route, ctx), route, ctx)
    paths[route.path] = route.method === 'GET' ? { get: operation } : { post: operation }
  }
  return paths
}

const common = { '405': ref('responses', 'MethodNotAllowed') }
const bodyErrors = {
  '400': ref('responses', 'BadRequest'),
  '413': ref('responses', 'PayloadTooLarge'),
  '415': ref('responses', 'UnsupportedMediaType'),
}

/** RFC 6749 §5.1: every answer that carries a token or a session cookie says not to cache it. */
function sessionHeaders(ctx: DocContext): NonNullable<ResponseObject['headers']> {
  return {
    'Cache-Control': ref('headers', 'Cache-Control-No-Store'),
    Pragma: ref('headers', 'Pragma-No-Cache'),
    ...(ctx.cookies === undefined ? {} : { 'Set-Cookie': ref('headers', 'Set-Cookie') }),
  }
}

const unavailable = (ctx: DocContext) =>
  ctx.hasStore ? { '503': ref('responses', 'ServiceUnavailable') } : {}

/** The 503 of the login route: the password checks' queue is full, or a store cannot be reached. */
function loginUnavailable(ctx: DocContext): ResponseObject {
  return {
    description: ctx.hasStore
      ? 'Too many logins are waiting for their password check, or the token store cannot be reached.'
      : 'Too many logins are waiting for their password check.',
    headers: { 'Retry-After': ref('headers', 'Retry-After') },
    content: ctx.errorContent({ busy: 'loginsBusy', ...(ctx.hasStore ? { store: 'storeUnavailable' } : {}) }),
  }
}

/** The 401 of a token route: the route's own failures as examples. */
function refusals(ctx: DocContext, route: AuthRoute, description: string): ResponseObject {
  const examples = Object.fromEntries(route.failures.map((name: FailureName) => [name, name]))
  return {
    description,
    headers: { 'WWW-Authenticate': ref('headers', 'WWW-Authenticate') },
    content: ctx.errorContent(examples),
  }
}

function tokensContent(ctx: DocContext) {
  return {
    [JSON_TYPE]: {
      schema: ref('schemas', 'Tokens'),
      examples: {
        tokens: {
          summary: 'The tokens',
          value: {
            access_token: TOKEN_EXAMPLE,
            ...(ctx.hasStore ? { refresh_token: TOKEN_EXAMPLE } : {}),
            ...(ctx.cookies === undefined ? {} : { csrf_token: CSRF_EXAMPLE }),
          },
        },
      },
    },
  }
}

const login: Writer = (route, ctx) => {
  const { usernameKey, passwordKey } = ctx.issuer ?? { usernameKey: 'username', passwordKey: 'password' }
  const cookieNote =
    ctx.cookies === undefined
      ? ''
      : ' The tokens are also set as HttpOnly cookies, with the readable CSRF cookie.'
  return {
    operationId: 'login',
    summary: 'Log in: credentials for tokens',
    description: `Flask-JWT's \`POST /auth\`. The body must be a JSON object with exactly \`${usernameKey}\` and \`${passwordKey}\`, at most ${ctx.bodyLimit} bytes, not compressed. An unknown user and a wrong password answer alike, in the same time.${cookieNote}`,
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
      '200': { description: 'Logged in.', headers: sessionHeaders(ctx), content: tokensContent(ctx) },
      ...bodyErrors,
      '401': refusals(ctx, route, 'Wrong, missing or extra fields, an unknown user or a wrong password.'),
      ...common,
      '429': ref('responses', 'TooManyRequests'),
      '503': loginUnavailable(ctx),
    },
  }
}

const refresh: Writer = (route, ctx) => {
  const { cookies } = ctx
  const cookieNote =
    cookies === undefined
      ? ''
      : ` Without a body, the refresh token is read from the \`${cookies.refreshName}\` cookie and the CSRF header is required.`
  return {
    operationId: 'refresh',
    summary: 'Trade a refresh token for new tokens',
    description: `Rotation: the refresh token is spent, and a spent token sent again revokes its whole session.${cookieNote}`,
    tags: ['auth'],
    requestBody: {
      required: cookies === undefined,
      description: 'The refresh token.',
      content: {
        [JSON_TYPE]: {
          schema: ref('schemas', 'RefreshRequest'),
          examples: { refresh: { summary: 'A refresh token', value: { refresh_token: TOKEN_EXAMPLE } } },
        },
      },
    },
    responses: {
      '200': { description: 'New tokens.', headers: sessionHeaders(ctx), content: tokensContent(ctx) },
      ...bodyErrors,
      '401': refusals(ctx, route, 'An invalid, expired, spent or revoked refresh token, or an access token.'),
      ...common,
      '429': ref('responses', 'TooManyRequests'),
      ...unavailable(ctx),
    },
  }
}

const revoke: Writer = (route, ctx) => {
  const { cookies } = ctx
  const cookieNote =
    cookies === undefined
      ? ''
      : ` (or, without a body, in the \`${cookies.refreshName}\` cookie, with the CSRF header)`
  return {
    operationId: 'revoke',
    summary: 'Log out: revoke the access token and its session',
    description: `Revokes the access token that authenticates the request and its refresh-token family, and the family of the refresh token in the body${cookieNote} when one is sent (it must belong to the same identity). Either token alone suffices: a client whose access token has expired logs out with its refresh token; next to a refresh token, an expired or revoked access token is passed over.`,
    tags: ['auth'],
    // `{}`: the refresh token alone (body or cookie) also logs out.
    security: [...routeSecurity(ctx, true), {}],
    requestBody: {
      required: false,
      description: 'The refresh token to revoke too; enough on its own.',
      content: { [JSON_TYPE]: { schema: ref('schemas', 'RefreshRequest') } },
    },
    responses: {
      '204': { description: 'Revoked.', headers: sessionHeaders(ctx) },
      ...bodyErrors,
      '401': refusals(ctx, route, 'No token, a refused access token, or tokens of two identities.'),
      ...unavailable(ctx),
      ...common,
    },
  }
}

const jwks: Writer = () => ({
  operationId: 'getJwks',
  summary: 'The public verification keys (JWKS)',
  description:
    "The public JWKs that verify this server's tokens, the active key first, with `Cache-Control`. Resource servers fetch it to verify tokens without the private key.",
  tags: ['keys'],
  responses: {
    '200': {
      description: 'The key set.',
      headers: {
        'Cache-Control': { description: 'How long to cache the key set.', schema: { type: 'string' } },
      },
      content: { [JSON_TYPE]: { schema: ref('schemas', 'Jwks') } },
    },
    ...common,
  },
})

const WRITERS: Record<AuthRoute['name'], Writer> = { login, refresh, revoke, jwks }

/** The DPoP proof of `/auth` and `/auth/refresh` (RFC 9449 §5), when the guard takes DPoP. */
function withDpop(operation: Operation, route: AuthRoute, ctx: DocContext): Operation {
  const { dpop } = ctx
  if (dpop === undefined || (route.name !== 'login' && route.name !== 'refresh')) return operation
  const failures: FailureName[] = [
    ...route.failures,
    'dpopProofMissing',
    'dpopKeyMismatch',
    'dpopProofReplayed',
  ]
  const refused = operation.responses['401'] as ResponseObject
  return {
    ...operation,
    parameters: [
      {
        in: 'header',
        name: 'DPoP',
        required: dpop.mode === 'required',
        description: `A DPoP proof (RFC 9449) for \`POST\` and this URL: the tokens issued are bound to its key (\`cnf.jkt\`), and a bound session refreshes only with a proof of the same key.`,
        schema: { type: 'string' },
      },
    ],
    responses: {
      ...operation.responses,
      '401': refusals(
        ctx,
        { ...route, failures },
        `${refused.description} A missing, invalid or replayed DPoP proof, or one of another key than the session's.`,
      ),
    },
  }
}
