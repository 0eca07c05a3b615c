/**
 * jwtguard: Flask-JWT's way of securing a REST API, for TypeScript.
 *
 * @module jwtguard
 */

export type {
  AsymmetricKey,
  AsymmetricKeyMaterial,
  AsymmetricKeyOptions,
  GenerateKeyOptions,
} from './core/asymmetric.js'
export {
  createAsymmetricKey,
  generateAsymmetricKey,
  isAsymmetricKey,
  MIN_RSA_MODULUS_BITS,
} from './core/asymmetric.js'
export type { AuthRequest, RawBody } from './core/body.js'
export { bodyTooLarge, isJsonMediaType, parseJsonObjectBody } from './core/body.js'
export type { ClaimRules, JwtPayload, TokenType } from './core/claims.js'
export { normaliseClaimOption, TIME_CLAIMS, validateClaims } from './core/claims.js'
export type { Register, RegisteredIdentity } from './core/context.js'
export { currentIdentity, runWithIdentity } from './core/context.js'
export type { CookieOptions, ResolvedCookies, TokenLocation } from './core/cookies.js'
export { assertCsrf, newCsrfValue, readCookie, resolveCookies, serializeCookie } from './core/cookies.js'
export { remainingDeadline, withRequestDeadline } from './core/deadline.js'
export type { ErrorCode, JwtGuardErrorDetails } from './core/errors.js'
export { ERROR_CODES, isJwtGuardError, JwtGuardError } from './core/errors.js'
export type { HeaderSource } from './core/extract.js'
export { readHeader, tokenFromAuthorization } from './core/extract.js'
export type { Failure, FailureName } from './core/failures.js'
export { FAILURES } from './core/failures.js'
export type {
  AuthResult,
  AuthRoute,
  IdentityOf,
  JwtGuard,
  ProtectedRoute,
  RequestMeta,
} from './core/guard.js'
export { createJwtGuard } from './core/guard.js'
export type { ChallengeContext, ErrorBody, HttpResponse } from './core/http.js'
export { challengeHeader, errorResponse, jsonResponse, statusOf } from './core/http.js'
export type { Duration } from './core/internal/duration.js'
export { toSeconds } from './core/internal/duration.js'
export type { IssuedTokens } from './core/issue.js'
export { carriedClaims, issuedInstant, RESERVED_CLAIMS } from './core/issue.js'
export type { ImportedJwk, PublicJwk } from './core/jwk.js'
export { jwkThumbprint, publicJwkOf, readJwk } from './core/jwk.js'
export type { JwksDocument, JwksResponseOptions } from './core/jwks.js'
export { jwksResponse, toJwks } from './core/jwks.js'
export type { KeyDirectoryChanges, KeyDirectoryOptions } from './core/key-files.js'
export { KEY_FILE_EXTENSIONS, readKeyDirectory, readKeyFile, syncKeyDirectory } from './core/key-files.js'
export type {
  Algorithm,
  AsymmetricAlgorithm,
  HmacAlgorithm,
  HmacKeyOptions,
  JwtKey,
  KeySet,
  KeySource,
  PinnedClaims,
  Secret,
} from './core/keys.js'
export {
  ASYMMETRIC_ALGORITHMS,
  createHmacKey,
  ECDSA_ALGORITHMS,
  EDDSA_ALGORITHMS,
  HMAC_ALGORITHMS,
  PSS_ALGORITHMS,
  RSA_ALGORITHMS,
} from './core/keys.js'
export type {
  AddKeyOptions,
  KeyStore,
  KeyStoreEntry,
  KeyStoreOptions,
  RotateOptions,
} from './core/keystore.js'
export { createKeyStore, isKeyStore } from './core/keystore.js'
export type {
  AuthenticatedUser,
  CommonOptions,
  IssuerOptions,
  IssuingOptions,
  JwtGuardOptions,
  MaybePromise,
  ResourceServerOptions,
  SigningKeyOptions,
} from './core/options.js'
export type { ProtectOptions, Requirement, RouteRequirements } from './core/protect.js'
export { compileRequirements } from './core/protect.js'
export type {
  AsyncVerifyFunction,
  FetchFunction,
  RemoteJwks,
  RemoteJwksOptions,
  RemoteJwksStatus,
  RemoteVerifierOptions,
} from './core/remote-jwks.js'
export { createRemoteJwks, createRemoteVerifier } from './core/remote-jwks.js'
export type {
  ResolvedCommonOptions,
  ResolvedIssuerOptions,
  ResolvedOptions,
  ResolvedResourceServerOptions,
} from './core/resolve-options.js'
export { resolveOptions } from './core/resolve-options.js'
export {
  allowedMethods,
  assertIdentityEncoding,
  assertJwtGuard,
  caughtErrorResponse,
  encodingUnsupported,
  HTTP_METHODS,
  logToConsole,
  unmatchedRoute,
} from './core/routes.js'
export type { StandardSchemaV1 } from './core/schema.js'
export { isStandardSchema, validateWithSchema } from './core/schema.js'
export type { SecretStrength } from './core/secret-strength.js'
export { secretStrength } from './core/secret-strength.js'
export type { SigningKeyHolder } from './core/sign.js'
export { headerSegmentFor, signToken } from './core/sign.js'
export type { LoginAttempt, LoginLimiter, RefreshAttempt, RefreshLimiter } from './core/throttle.js'
export { clientAddress } from './core/throttle.js'
export type { VerifierOptions, VerifyFunction } from './core/verify.js'
export { createVerifier } from './core/verify.js'
export { readRequestBody, toWebResponse } from './core/web.js'
