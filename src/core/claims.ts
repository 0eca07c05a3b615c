/**
 * Registered-claim checks, run only after the signature has been verified.
 *
 * @module
 */
import { JwtGuardError } from './errors.js'
import { failure } from './failures.js'

/** A verified JWT payload. Registered claims are typed; custom claims are `unknown`. */
export interface JwtPayload {
  exp?: number
  iat?: number
  nbf?: number
  jti?: string
  iss?: string
  sub?: string
  aud?: string | string[]
  /** Flask-JWT's identity claim (the name is configurable). */
  identity?: unknown
  /** Token-type marker: `access` (or absent, as in Flask-JWT tokens) or `refresh`. */
  type?: string
  [claim: string]: unknown
}

/** The kind of token a verification expects. */
export type TokenType = 'access' | 'refresh'

/** The time claims a verifier knows how to check. */
export const TIME_CLAIMS = ['exp', 'iat', 'nbf'] as const

/** Options of {@link validateClaims}, already normalised by the caller. */
export interface ClaimRules {
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  leeway: number
  /** Claims that must be present. */
  requiredClaims: readonly string[]
  /** The token type expected. */
  tokenType: TokenType
  /** Current time, in seconds since the epoch. */
  now: number
  /** Accepted issuers: `iss` must be present and equal one of them. Unchecked when absent. */
  issuer?: readonly string[] | undefined
  /** Accepted audiences: `aud` (a string or a list) must contain one of them. Unchecked when absent. */
  audience?: readonly string[] | undefined
  /** The expected subject: `sub` must be present and equal it. Unchecked when absent. */
  subject?: string | undefined
}

function invalid(claim: string, message: string): JwtGuardError {
  return new JwtGuardError('ERR_CLAIM_INVALID', message, { claim })
}

function missing(claim: string): JwtGuardError {
  return invalid(claim, `Token is missing the "${claim}" claim`)
}

/**
 * Normalises an `issuer` or `audience` option (a string or a list of strings) for {@link ClaimRules}.
 *
 * Internal: not exported from the package.
 *
 * @throws {TypeError} naming `option` when the value is not a non-empty string or list of them.
 */
export function normaliseClaimOption(
  value: string | readonly string[] | undefined,
  option: string,
): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list: readonly unknown[] =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value]
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`${option} must be a non-empty string or a non-empty list of them`)
  }
  return Object.freeze([...(list as string[])])
}

/**
 * Checks presence and type of required claims; the types of `iss` and `sub` (strings) and `aud` (a
 * string or a list of strings), always; `exp`, `nbf`, `iat` against the clock with leeway; then
 * `iss`, `aud` and `sub` against the expected values; then the token-type marker. Throws the first
 * failure as a coded error.
 *
 * Internal: not exported from the package.
 */
export function validateClaims(payload: JwtPayload, rules: ClaimRules): void {
  for (const claim of rules.requiredClaims) {
    if (payload[claim] === undefined) throw missing(claim)
  }
  for (const claim of TIME_CLAIMS) {
    const value = payload[claim]
    // NumericDate (RFC 7519 §2): a JSON number. Strings, booleans, Infinity (from 1e400) are refused.
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw invalid(claim, `Token "${claim}" claim must be a number`)
    }
  }
  // StringOrURI claims (RFC 7519 §4.1.1-3). An `iss` given as a list is refused even when no issuer
  // is expected: a list of issuers is not an issuer (see nearform/fast-jwt#552).
  const { iss, sub, aud } = payload as Record<string, unknown>
  if (iss !== undefined && typeof iss !== 'string') throw invalid('iss', 'Token "iss" claim must be a string')
  if (sub !== undefined && typeof sub !== 'string') throw invalid('sub', 'Token "sub" claim must be a string')
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((item) => typeof item === 'string'))
  ) {
    throw invalid('aud', 'Token "aud" claim must be a string or a list of strings')
  }
  const { now, leeway } = rules
  if (payload.exp !== undefined && payload.exp <= now - leeway) {
    throw failure('expired', { claim: 'exp' })
  }
  if (payload.nbf !== undefined && payload.nbf > now + leeway) {
    throw new JwtGuardError('ERR_TOKEN_NOT_YET_VALID', 'Token is not yet valid (nbf)', {
      claim: 'nbf',
    })
  }
  if (payload.iat !== undefined && payload.iat > now + leeway) {
    throw new JwtGuardError('ERR_TOKEN_NOT_YET_VALID', 'Token is not yet valid (iat)', {
      claim: 'iat',
    })
  }
  if (rules.issuer !== undefined) assertIssuer(payload, rules.issuer)
  if (rules.audience !== undefined) assertAudience(payload, rules.audience)
  if (rules.subject !== undefined) {
    if (sub === undefined) throw missing('sub')
    if (sub !== rules.subject) throw invalid('sub', 'Token subject is not accepted')
  }
  const type = payload.type
  if (rules.tokenType === 'refresh') {
    if (type !== 'refresh') {
      throw failure('expectedRefresh', { claim: 'type' })
    }
  } else if (type !== undefined && type !== 'access') {
    throw failure('expectedAccess', { claim: 'type' })
  }
}

/**
 * Throws `ERR_CLAIM_INVALID` unless the payload's `iss` is one of `accepted`. The guard checks
 * it with its `issuer` option; a route with its own `issuer` checks it again on every request.
 */
export function assertIssuer(payload: JwtPayload, accepted: readonly string[]): void {
  const { iss } = payload as Record<string, unknown>
  if (iss === undefined) throw missing('iss')
  if (typeof iss !== 'string' || !accepted.includes(iss)) {
    throw invalid('iss', 'Token issuer is not accepted')
  }
}

/**
 * Throws `ERR_CLAIM_INVALID` unless the payload's `aud` (a string or a list of strings) holds one
 * of `accepted`.
 */
export function assertAudience(payload: JwtPayload, accepted: readonly string[]): void {
  const { aud } = payload as Record<string, unknown>
  if (aud === undefined) throw missing('aud')
  const matches =
    typeof aud === 'string'
      ? accepted.includes(aud)
      : Array.isArray(aud) && aud.some((item) => typeof item === 'string' && accepted.includes(item))
  if (!matches) throw invalid('aud', 'Token audience is not accepted')
}
