/**
 * jwtguard: Flask-JWT's way of securing a REST API, for TypeScript. This root holds what an
 * application uses: the guard, keys and key stores, signing and verification, errors, the
 * current identity, and the types of the seams (token store, user store, limiters) it can fill.
 * The frameworks' bindings are `jwtguard/fastify`, `jwtguard/express`, `jwtguard/hono`,
 * `jwtguard/fetch` and `jwtguard/nest`; what their authors use is `jwtguard/adapter`.
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
export type { JwtPayload, TokenType } from './core/claims.js'
export type { Register, RegisteredIdentity } from './core/context.js'
export { currentIdentity, runWithIdentity } from './core/context.js'
export type { CookieOptions, TokenLocation } from './core/cookies.js'
export type { DpopAlgorithm, DpopMode, DpopNonceOptions, DpopOptions } from './core/dpop/options.js'
export type { ErrorCode, JwtGuardErrorDetails } from './core/errors.js'
export { ERROR_CODES, isJwtGuardError, JwtGuardError } from './core/errors.js'
export type { IdentityOf, JwtGuard } from './core/guard.js'
export { createJwtGuard } from './core/guard.js'
export type { Duration } from './core/internal/duration.js'
export type { IssuedTokens } from './core/issue.js'
export type { ImportedJwk, PublicJwk } from './core/jwk.js'
export { jwkThumbprint, publicJwkOf, readJwk } from './core/jwk.js'
export type { JwksDocument } from './core/jwks.js'
export { toJwks } from './core/jwks.js'
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
  RSA_KEY_ALGORITHMS,
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
export type { ProtectOptions, Requirement } from './core/protect.js'
export type {
  AsyncVerifyFunction,
  FetchFunction,
  RemoteJwks,
  RemoteJwksOptions,
  RemoteJwksStatus,
  RemoteVerifierOptions,
} from './core/remote-jwks.js'
export { createRemoteJwks, createRemoteVerifier } from './core/remote-jwks.js'
export type { StandardSchemaV1 } from './core/schema.js'
export type { SecretStrength } from './core/secret-strength.js'
export { secretStrength } from './core/secret-strength.js'
export type { SigningKeyHolder } from './core/sign.js'
export { signToken } from './core/sign.js'
export type { LoginAttempt, LoginLimiter, RefreshAttempt, RefreshLimiter } from './core/throttle.js'
export type { VerifierOptions, VerifyFunction } from './core/verify.js'
export { createVerifier } from './core/verify.js'
export type {
  ConsumeResult,
  RefreshRecord,
  RevocationView,
  SessionRecord,
  TokenStore,
} from './stores/types.js'
export type { NewUser, UserRecord, UserStore } from './users/types.js'
