/**
 * The single place where failures get their HTTP meaning: status, Flask-JWT's JSON body and the
 * RFC 6750 `WWW-Authenticate` challenge. Adapters only write what this module returns.
 *
 * @module
 */
import { type ErrorCode, isJwtGuardError, JwtGuardError } from './errors.js'

/** A response fully decided by the core: adapters write status, headers and body as they are. */
export interface HttpResponse {
  status: number
  headers: Record<string, string>
  /** The serialised JSON body, or `null` for an empty body (204). */
  body: string | null
  /** `Set-Cookie` values, each sent as its own header. */
  cookies?: readonly string[] | undefined
}

/** Flask-JWT's error body. */
export interface ErrorBody {
  status_code: number
  error: string
  description: string
}

type Challenge =
  | 'none'
  | 'bare'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'dpop:invalid_token'
  | 'dpop:invalid_dpop_proof'
  | 'dpop:use_dpop_nonce'

interface HttpMeaning {
  status: number
  error: string
  challenge: Challenge
}

const INVALID_TOKEN: HttpMeaning = { status: 401, error: 'Invalid token', challenge: 'invalid_token' }

const MEANING: Record<ErrorCode, HttpMeaning> = {
  ERR_TOKEN_MISSING: { status: 401, error: 'Authorization Required', challenge: 'bare' },
  // RFC 6750 §3.1: a request using another scheme gets a challenge without an error code.
  ERR_AUTH_SCHEME_UNSUPPORTED: { status: 401, error: 'Invalid JWT header', challenge: 'bare' },
  ERR_AUTH_HEADER_MALFORMED: {
    status: 401,
    error: 'Invalid JWT header',
    challenge: 'invalid_request',
  },
  ERR_TOKEN_TOO_LARGE: INVALID_TOKEN,
  ERR_TOKEN_MALFORMED: INVALID_TOKEN,
  ERR_ALG_NOT_ALLOWED: INVALID_TOKEN,
  ERR_KEY_NOT_FOUND: INVALID_TOKEN,
  ERR_CRIT_UNSUPPORTED: INVALID_TOKEN,
  ERR_SIGNATURE_INVALID: INVALID_TOKEN,
  ERR_CLAIM_INVALID: INVALID_TOKEN,
  ERR_TOKEN_EXPIRED: INVALID_TOKEN,
  ERR_TOKEN_NOT_YET_VALID: INVALID_TOKEN,
  ERR_TOKEN_TYPE_INVALID: INVALID_TOKEN,
  ERR_TOKEN_REVOKED: INVALID_TOKEN,
  ERR_TOKEN_NOT_FRESH: INVALID_TOKEN,
  ERR_CSRF_INVALID: { status: 401, error: 'CSRF Error', challenge: 'invalid_request' },
  ERR_INSUFFICIENT_SCOPE: { status: 403, error: 'Forbidden', challenge: 'insufficient_scope' },
  ERR_USER_NOT_FOUND: { status: 401, error: 'Invalid JWT', challenge: 'invalid_token' },
  ERR_INVALID_CREDENTIALS: { status: 401, error: 'Bad Request', challenge: 'bare' },
  ERR_TOO_MANY_REQUESTS: { status: 429, error: 'Too Many Requests', challenge: 'none' },
  ERR_BODY_MALFORMED: { status: 400, error: 'Bad Request', challenge: 'none' },
  ERR_BODY_TOO_LARGE: { status: 413, error: 'Payload Too Large', challenge: 'none' },
  ERR_MEDIA_TYPE_UNSUPPORTED: { status: 415, error: 'Unsupported Media Type', challenge: 'none' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, error: 'Method Not Allowed', challenge: 'none' },
  ERR_ROUTE_NOT_FOUND: { status: 404, error: 'Not Found', challenge: 'none' },
  ERR_SESSION_NOT_FOUND: { status: 404, error: 'Not Found', challenge: 'none' },
  ERR_STORE_UNAVAILABLE: { status: 503, error: 'Service Unavailable', challenge: 'none' },
  ERR_SERVER_BUSY: { status: 503, error: 'Service Unavailable', challenge: 'none' },
  ERR_INTERNAL: { status: 500, error: 'Internal Server Error', challenge: 'none' },
  // RFC 9449 §7.1: the DPoP scheme's challenge, with its own error codes.
  ERR_DPOP_PROOF_INVALID: { status: 401, error: 'Invalid DPoP proof', challenge: 'dpop:invalid_dpop_proof' },
  ERR_DPOP_BINDING_INVALID: { status: 401, error: 'Invalid token', challenge: 'dpop:invalid_token' },
  ERR_DPOP_NONCE_REQUIRED: { status: 401, error: 'Use DPoP nonce', challenge: 'dpop:use_dpop_nonce' },
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/** Seconds a client is told to wait (`Retry-After`) after a 503 for a store that is unreachable. */
const STORE_RETRY_AFTER = 5

/**
 * The HTTP status a code maps to.
 *
 * @example
 * ```ts
 * import { statusOf } from 'jwtguard/adapter'
 * statusOf('ERR_TOKEN_EXPIRED') // 401
 * statusOf('ERR_INSUFFICIENT_SCOPE') // 403
 * ```
 */
export function statusOf(code: ErrorCode): number {
  return MEANING[code].status
}

/** Escapes a value for an RFC 7230 quoted-string. */
export function quoteString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * `JWT realm="..."`, with RFC 6750 `error` and `error_description` when given.
 *
 * @example
 * ```ts
 * import { challengeHeader } from 'jwtguard/adapter'
 * challengeHeader('JWT', 'Login Required', 'invalid_token', 'Signature has expired')
 * // 'JWT realm="Login Required", error="invalid_token", error_description="Signature has expired"'
 * ```
 */
export function challengeHeader(
  scheme: string,
  realm: string,
  error?: string,
  description?: string,
  scope?: string,
): string {
  let header = `${scheme} realm=${quoteString(realm)}`
  if (error !== undefined) header += `, error=${quoteString(error)}`
  if (description !== undefined) header += `, error_description=${quoteString(description)}`
  if (scope !== undefined) header += `, scope=${quoteString(scope)}`
  return header
}

/**
 * A JSON response with the core's content type.
 *
 * @example
 * ```ts
 * import { jsonResponse } from 'jwtguard/adapter'
 * const { status, headers, body } = jsonResponse(200, { meaning_of_life: 42 })
 * // 200, 'application/json; charset=utf-8', '{"meaning_of_life":42}'
 * ```
 */
export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: JSON.stringify(value),
  }
}

/**
 * The headers of every response that carries a token or sets a session cookie (RFC 6749 §5.1):
 * no cache, shared or private, may keep it; `Pragma` for HTTP/1.0 caches.
 *
 * @internal
 */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
})

/**
 * A response of a session route (login, refresh, logout): a JSON body (or none, for `204`), the
 * session's cookies, and {@link NO_STORE_HEADERS}, whatever the body holds. The guard builds every
 * login, refresh and logout answer with it, so no adapter has to remember the header.
 *
 * @internal
 */
export function sessionResponse(
  status: number,
  value: unknown,
  cookies?: readonly string[] | undefined,
): HttpResponse {
  const response: HttpResponse =
    value === null
      ? { status, headers: { ...NO_STORE_HEADERS }, body: null }
      : jsonResponse(status, value, NO_STORE_HEADERS)
  if (cookies !== undefined) response.cookies = cookies
  return response
}

/** `WWW-Authenticate: DPoP ...` (RFC 9449 §7.1), and `DPoP-Nonce` when the error carries one. */
function dpopChallenge(error: string, known: JwtGuardError, context: ChallengeContext) {
  let challenge = challengeHeader('DPoP', context.realm, error, known.message)
  const algs = context.dpopAlgs
  if (algs !== undefined && algs.length > 0) challenge += `, algs=${quoteString(algs.join(' '))}`
  const headers: Record<string, string> = { 'www-authenticate': challenge }
  if (known.dpopNonce !== undefined) headers['dpop-nonce'] = known.dpopNonce
  return headers
}

/** What the error renderer needs to know about the route that failed. */
export interface ChallengeContext {
  /**
   * The authorization scheme, e.g. `JWT`; a list (`['Bearer', 'JWT']`) gives one challenge per
   * scheme, in order, in the one `WWW-Authenticate` header (RFC 9110 §11.6.1).
   */
  scheme: string | readonly string[]
  /** The realm of the protected route. */
  realm: string
  /** The proof algorithms a DPoP challenge names (`algs`), when the guard takes DPoP. */
  dpopAlgs?: readonly string[] | undefined
}

/**
 * Turns any thrown value into the response the client sees. Unknown values become a generic 500
 * that reveals nothing: the caller logs the original.
 *
 * @example
 * ```ts
 * import { JwtGuardError } from 'jwtguard'
 * import { errorResponse } from 'jwtguard/adapter'
 * const missing = new JwtGuardError('ERR_TOKEN_MISSING', 'Request does not contain an access token')
 * const response = errorResponse(missing, { scheme: 'JWT', realm: 'Login Required' })
 * // 401, www-authenticate 'JWT realm="Login Required"', body {"status_code":401,"error":"Authorization Required",...}
 * ```
 */
export function errorResponse(error: unknown, context: ChallengeContext): HttpResponse {
  const known = isJwtGuardError(error)
    ? error
    : new JwtGuardError('ERR_INTERNAL', 'Internal server error', { cause: error })
  const meaning = MEANING[known.code]
  const body: ErrorBody = {
    status_code: meaning.status,
    error: meaning.error,
    description: known.message,
  }
  const headers: Record<string, string> = {}
  if (meaning.challenge.startsWith('dpop:')) {
    Object.assign(headers, dpopChallenge(meaning.challenge.slice(5), known, context))
  } else if (meaning.challenge !== 'none') {
    const schemes = typeof context.scheme === 'string' ? [context.scheme] : context.scheme
    headers['www-authenticate'] = schemes
      .map((scheme) =>
        meaning.challenge === 'bare'
          ? challengeHeader(scheme, context.realm)
          : challengeHeader(scheme, context.realm, meaning.challenge, known.message, known.scope),
      )
      .join(', ')
  }
  if (known.code === 'ERR_METHOD_NOT_ALLOWED' && known.allow !== undefined) {
    headers.allow = known.allow.join(', ')
  }
  if (
    (known.code === 'ERR_TOO_MANY_REQUESTS' || known.code === 'ERR_SERVER_BUSY') &&
    known.retryAfter !== undefined
  ) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(known.retryAfter)))
  }
  if (known.code === 'ERR_BODY_TOO_LARGE') {
    // The rest of the body is never read, so the connection cannot carry another request: it is
    // closed after this answer (RFC 9110 §15.5.14), and the client knows to open a new one.
    headers.connection = 'close'
  }
  if (known.code === 'ERR_STORE_UNAVAILABLE') {
    headers['retry-after'] = String(Math.max(1, Math.ceil(known.retryAfter ?? STORE_RETRY_AFTER)))
  }
  return jsonResponse(meaning.status, body, headers)
}
