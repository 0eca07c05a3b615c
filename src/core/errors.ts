/**
 * Coded errors. Every failure the library can report is a {@link JwtGuardError} with a stable
 * `code`; HTTP meaning is attached to codes in exactly one place (`http.ts`).
 *
 * Messages are constant per failure: they never contain a token, a payload or a secret.
 *
 * @module
 */

/** Every code a {@link JwtGuardError} can carry. Stable across releases. */
export const ERROR_CODES = [
  'ERR_TOKEN_MISSING',
  'ERR_AUTH_SCHEME_UNSUPPORTED',
  'ERR_AUTH_HEADER_MALFORMED',
  'ERR_TOKEN_TOO_LARGE',
  'ERR_TOKEN_MALFORMED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_KEY_NOT_FOUND',
  'ERR_CRIT_UNSUPPORTED',
  'ERR_SIGNATURE_INVALID',
  'ERR_CLAIM_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_TYPE_INVALID',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_NOT_FRESH',
  'ERR_CSRF_INVALID',
  'ERR_INSUFFICIENT_SCOPE',
  'ERR_USER_NOT_FOUND',
  'ERR_INVALID_CREDENTIALS',
  'ERR_TOO_MANY_REQUESTS',
  'ERR_BODY_MALFORMED',
  'ERR_BODY_TOO_LARGE',
  'ERR_MEDIA_TYPE_UNSUPPORTED',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_ROUTE_NOT_FOUND',
  'ERR_SESSION_NOT_FOUND',
  'ERR_STORE_UNAVAILABLE',
  'ERR_SERVER_BUSY',
  'ERR_INTERNAL',
  'ERR_DPOP_PROOF_INVALID',
  'ERR_DPOP_BINDING_INVALID',
  'ERR_DPOP_NONCE_REQUIRED',
] as const

/** The union of every error code. */
export type ErrorCode = (typeof ERROR_CODES)[number]

const BRAND = Symbol.for('jwtguard.error')

/** Extra, non-secret detail an error may carry. */
export interface JwtGuardErrorDetails {
  /** The claim a claim failure is about (`exp`, `iat`, ...). Never its value. */
  claim?: string | undefined
  /** Methods allowed on the route, for `ERR_METHOD_NOT_ALLOWED`. */
  allow?: readonly string[] | undefined
  /** The roles or scopes missing, space-separated, for `ERR_INSUFFICIENT_SCOPE`. */
  scope?: string | undefined
  /** Seconds the client should wait, for `ERR_TOO_MANY_REQUESTS` and `ERR_SERVER_BUSY`. */
  retryAfter?: number | undefined
  /** The underlying error, kept for logs. */
  cause?: unknown
  /** A fresh server nonce for the client's next DPoP proof, for `ERR_DPOP_NONCE_REQUIRED`. */
  dpopNonce?: string | undefined
}

/**
 * The one error class of jwtguard. `message` is a short, client-safe description.
 *
 * @example
 * ```ts
 * import { JwtGuardError, isJwtGuardError } from 'jwtguard'
 * try { guard.verify(token) } catch (err) {
 *   if (isJwtGuardError(err) && err.code === 'ERR_TOKEN_EXPIRED') console.log('expired: POST /auth/refresh')
 * }
 * ```
 */
export class JwtGuardError extends Error {
  readonly code: ErrorCode
  readonly claim: string | undefined
  readonly allow: readonly string[] | undefined
  readonly retryAfter: number | undefined
  readonly scope: string | undefined
  readonly dpopNonce: string | undefined
  readonly [BRAND] = true

  constructor(code: ErrorCode, message: string, details: JwtGuardErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'JwtGuardError'
    this.code = code
    this.claim = details.claim
    this.allow = details.allow
    this.retryAfter = details.retryAfter
    this.scope = details.scope
    this.dpopNonce = details.dpopNonce
  }
}

/**
 * Brand check that works across two installed copies of the package, where `instanceof` does not.
 *
 * @example
 * ```ts
 * import { isJwtGuardError } from 'jwtguard'
 * try {
 *   guard.verify(token)
 * } catch (error) {
 *   if (isJwtGuardError(error)) console.log(error.code) // e.g. 'ERR_TOKEN_EXPIRED'
 * }
 * ```
 */
export function isJwtGuardError(value: unknown): value is JwtGuardError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
}
