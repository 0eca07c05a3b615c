/**
 * Registered-claim checks, run only after the signature has been verified.
 *
 * @module
 */
import { JwtGuardError } from './errors.js'

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
}

function invalid(claim: string, message: string): JwtGuardError {
  return new JwtGuardError('ERR_CLAIM_INVALID', message, { claim })
}

/**
 * Checks presence and type of required claims, then `exp`, `nbf`, `iat` against the clock with
 * leeway, then the token-type marker. Throws the first failure as a coded error.
 */
export function validateClaims(payload: JwtPayload, rules: ClaimRules): void {
  for (const claim of rules.requiredClaims) {
    if (payload[claim] === undefined) throw invalid(claim, `Token is missing the "${claim}" claim`)
  }
  for (const claim of TIME_CLAIMS) {
    const value = payload[claim]
    // NumericDate (RFC 7519 §2): a JSON number. Strings, booleans, Infinity (from 1e400) are refused.
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw invalid(claim, `Token "${claim}" claim must be a number`)
    }
  }
  const { now, leeway } = rules
  if (payload.exp !== undefined && payload.exp <= now - leeway) {
    throw new JwtGuardError('ERR_TOKEN_EXPIRED', 'Signature has expired', { claim: 'exp' })
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
  const type = payload.type
  if (rules.tokenType === 'refresh') {
    if (type !== 'refresh') {
      throw new JwtGuardError('ERR_TOKEN_TYPE_INVALID', 'Expected a refresh token', { claim: 'type' })
    }
  } else if (type !== undefined && type !== 'access') {
    throw new JwtGuardError('ERR_TOKEN_TYPE_INVALID', 'Expected an access token', { claim: 'type' })
  }
}
