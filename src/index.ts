/**
 * jwtguard: Flask-JWT's way of securing a REST API, for TypeScript.
 *
 * @module jwtguard
 */

export type { AuthRequest, RawBody } from './core/body.js'
export { bodyTooLarge, isJsonMediaType, parseJsonObjectBody } from './core/body.js'
export type { ClaimRules, JwtPayload, TokenType } from './core/claims.js'
export { TIME_CLAIMS, validateClaims } from './core/claims.js'
export type { Register, RegisteredIdentity } from './core/context.js'
export { currentIdentity, runWithIdentity } from './core/context.js'
export type { ErrorCode, JwtGuardErrorDetails } from './core/errors.js'
export { ERROR_CODES, isJwtGuardError, JwtGuardError } from './core/errors.js'
export type { HeaderSource } from './core/extract.js'
export { readHeader, tokenFromAuthorization } from './core/extract.js'
export type { AuthResult, AuthRoute, JwtGuard, ProtectOptions } from './core/guard.js'
export { createJwtGuard } from './core/guard.js'
export type { ChallengeContext, ErrorBody, HttpResponse } from './core/http.js'
export { challengeHeader, errorResponse, jsonResponse, statusOf } from './core/http.js'
export type { Duration } from './core/internal/duration.js'
export { toSeconds } from './core/internal/duration.js'
export type { Algorithm, HmacAlgorithm, HmacKeyOptions, JwtKey, Secret } from './core/keys.js'
export { createHmacKey, HMAC_ALGORITHMS } from './core/keys.js'
export type {
  AuthenticatedUser,
  JwtGuardOptions,
  MaybePromise,
  ResolvedOptions,
} from './core/options.js'
export { resolveOptions } from './core/options.js'
export { headerSegmentFor, signToken } from './core/sign.js'
export type { VerifierOptions, VerifyFunction } from './core/verify.js'
export { createVerifier } from './core/verify.js'
export { clientAddress } from './core/throttle.js'
export type { LoginAttempt, LoginLimiter } from './core/throttle.js'
