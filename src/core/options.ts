/**
 * The options of {@link createJwtGuard}, with Flask-JWT's defaults, and their validation.
 *
 * @module
 */

import type { TokenStore } from '../stores/types.js'
import type { JwtPayload } from './claims.js'
import type { CookieOptions, TokenLocation } from './cookies.js'
import type { DpopMode, DpopOptions } from './dpop/options.js'
import type { HeaderSource } from './extract.js'
import type { HttpResponse } from './http.js'
import type { Duration } from './internal/duration.js'
import type { HmacAlgorithm, JwtKey, Secret } from './keys.js'
import type { KeyStore } from './keystore.js'
import type { RemoteJwks } from './remote-jwks.js'
import type { StandardSchemaV1 } from './schema.js'
import type { LoginLimiter, RefreshLimiter } from './throttle.js'

/** What `authenticate` returns for a valid login: anything with an `id` (Flask-JWT's rule). */
export interface AuthenticatedUser {
  id: string | number
  /**
   * The user's roles, when `authenticate` knows them (`passwordAuthenticator` does): for
   * `additionalClaims: (user) => ({ roles: user.roles })`, which puts them in the tokens.
   */
  roles?: readonly string[] | undefined
}

/** A value or a promise of it: callbacks may be synchronous or asynchronous. */
export type MaybePromise<T> = T | Promise<T>

/**
 * What every guard takes, whether it issues tokens ({@link IssuerOptions}) or only verifies them
 * ({@link ResourceServerOptions}). Names in brackets are Flask-JWT's config keys.
 */
export interface CommonOptions<TIdentity> {
  /** Written as `iss` (the first of a list) and required on every verified token. */
  issuer?: string | readonly string[] | undefined
  /** Written as `aud` and required (any of them) on every verified token. */
  audience?: string | readonly string[] | undefined
  /**
   * Loads the identity for a verified payload, or `null` [`identity_handler`]. Optional with a
   * `schema`: the identity is then the validated payload.
   */
  identity?: ((payload: JwtPayload) => MaybePromise<TIdentity | null | undefined>) | undefined
  /**
   * A Standard Schema (zod, valibot, arktype, ...) every verified payload must match; a mismatch is
   * 401 `Invalid token` naming the claim. Without `identity`, its output is the identity, and the
   * identity type is inferred from it.
   */
  schema?: StandardSchemaV1<unknown, TIdentity> | undefined
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat` [`JWT_LEEWAY`].
   * @default 10
   */
  leeway?: Duration | undefined
  /**
   * Authorization scheme, matched case-insensitively [`JWT_AUTH_HEADER_PREFIX`]; a list accepts
   * each (`['Bearer', 'JWT']`), and a 401 then challenges with each, in this order.
   * @default 'JWT'
   */
  headerPrefix?: string | readonly string[] | undefined
  /**
   * Realm of the `WWW-Authenticate` challenge [`JWT_DEFAULT_REALM`].
   * @default 'Login Required'
   */
  realm?: string | undefined
  /**
   * Claims every token must carry [`JWT_REQUIRED_CLAIMS`].
   * @default ['exp', 'iat', 'nbf']; `['exp', 'iat', 'sub']` with `profile: 'rfc9068'`
   */
  requiredClaims?: readonly string[] | undefined
  /**
   * Claim holding the user's id.
   * @default 'identity'; `'sub'` with `profile: 'rfc9068'`
   */
  identityClaim?: string | undefined
  /**
   * The claims a route's `roles` requirement reads: their values (a list of strings) together
   * are the token's roles. Identity providers name them differently (`roles`, `groups`,
   * `permissions`, a namespaced claim such as `https://example.com/roles`).
   * @default ['roles']; `['roles', 'groups', 'permissions']` with `profile: 'rfc9068'`
   */
  roleClaims?: readonly string[] | undefined
  /**
   * The claims a route's `scopes` requirement reads: a space-separated string (`scope`, RFC 9068
   * §2.2.3) or a list of strings (`scp`, as Okta and Entra ID send it).
   * @default ['scope']; `['scope', 'scp']` with `profile: 'rfc9068'`
   */
  scopeClaims?: readonly string[] | undefined
  /**
   * Make the identity available to {@link currentIdentity} (Flask-JWT's `current_identity`), from
   * any code a protected handler calls, through AsyncLocalStorage. Off by default because on Node
   * 20 and 22 the first use of AsyncLocalStorage turns on promise hooks for the whole process,
   * which costs every request (bench/README.md has the figures). Every adapter also gives the identity to the handler: `request.identity`,
   * `req.auth`, `c.get('identity')`. While no guard turns this on, `currentIdentity()` throws.
   * @default false
   */
  currentIdentity?: boolean | undefined
  /**
   * Largest accepted token, in characters, checked before decoding.
   * @default 8192
   */
  maxTokenSize?: number | undefined
  /**
   * Largest accepted body on the auth routes, in bytes.
   * @default 16384
   */
  bodyLimit?: number | undefined
  /**
   * The clock, in seconds since the epoch. Inject a fixed one in tests.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
  /** Extracts the token from the request [`JWT_REQUEST_HANDLER`]; `undefined` when none. */
  tokenExtractor?: ((headers: HeaderSource) => string | undefined) | undefined
  /**
   * Where revocations and refresh-token families live (`jwtguard/stores/memory`, `/sqlite`,
   * `/redis`). With a store, `/auth` also returns a refresh token, `POST /auth/refresh` and
   * `POST /auth/revoke` are mounted, and every protected request checks revocation.
   * @default none: stateless access tokens only, as in Flask-JWT
   */
  store?: TokenStore | undefined
  /**
   * Where tokens are read from, in order. `cookies` turns on cookie mode (HttpOnly cookies set by
   * the auth routes, CSRF double-submit on unsafe methods); `query` reads access tokens (never
   * refresh tokens) from `queryParam`, and is only for cases such as EventSource that cannot send
   * headers.
   * @default ['header']
   */
  tokenLocation?: readonly TokenLocation[] | undefined
  /** Cookie names and attributes for cookie mode. */
  cookies?: CookieOptions | undefined
  /** The query parameter read when `tokenLocation` includes `query`. @default 'jwt' */
  queryParam?: string | undefined
  /**
   * Cache verified access tokens (see `VerifierOptions.cache`): the signature of a token already
   * seen is not checked again; claims, revocation and route requirements still are, every time.
   * `true` is 1000 entries.
   * @default false
   */
  cache?: boolean | { maxEntries?: number | undefined } | undefined
  /**
   * Cache what `identity` returns, per identity (the `identityClaim`), so that a protected request
   * skips the user lookup. Needs a `store` and an `identity` callback. An entry is used only while
   * the store's view holds the identity's "log out everywhere" cut-off it was loaded under, so
   * every change that ends sessions (`revokeAllFor`: a password change, a role removal, a removal
   * through `endingSessions`) reaches the cache of every instance that shares the store as soon as
   * the revocation does; `revokeAllFor` also forgets the entry at once on its own instance. An
   * entry expires with the token that loaded it (`exp`) and after `maxAge` (seconds or `'1m'`).
   * A `null` answer (no such user) is not kept. `true` is 10 000 entries, 60 s.
   *
   * > [!NOTE]
   * > The cached value serves every token of that identity: `identity` must depend on the identity
   * > claim only (load the user by id), not on other claims. A change that ends no session (a role
   * > granted without `onRoleGrant`, a profile edit) shows after `maxAge` at most.
   * @default false
   */
  identityCache?: boolean | { maxEntries?: number | undefined; maxAge?: Duration | undefined } | undefined
  /** Rewrites any error response before it is sent [`JWT_ERROR_HANDLER`]. */
  errorHandler?: ((response: HttpResponse, error: unknown) => HttpResponse) | undefined
  /**
   * DPoP (RFC 9449): sender-constrained tokens. `'allowed'`: tokens bound to a key (`cnf.jkt`)
   * need the `DPoP` scheme and a proof of that key, unbound tokens pass as before, and the token
   * routes bind the tokens of a request that carries a proof. `'required'`: only bound tokens with
   * their proof, and the token routes refuse a request without a proof. Per route: `protect({ dpop })`.
   * Without this option, a bound token is refused (its proof cannot be checked).
   * @default none: DPoP off
   */
  dpop?: DpopMode | DpopOptions | undefined
}

/** The options only a guard that issues tokens takes: login, refresh, revocation routes and their keys. */
export interface IssuingOptions {
  /**
   * Checks a username and password: returns the user (with an `id`), or `null`
   * [`authentication_handler`].
   */
  authenticate: (username: string, password: string) => MaybePromise<AuthenticatedUser | null | undefined>
  /**
   * Access-token lifetime [`JWT_EXPIRATION_DELTA`]. Seconds or a string like `15m`.
   * @default 300
   */
  expiresIn?: Duration | undefined
  /**
   * Delay before a token becomes valid [`JWT_NOT_BEFORE_DELTA`].
   * @default 0
   */
  notBefore?: Duration | undefined
  /**
   * Path of the login route, or `false` to mount none [`JWT_AUTH_URL_RULE`].
   * @default '/auth'
   */
  authPath?: string | false | undefined
  /** @default 'username' [`JWT_AUTH_USERNAME_KEY`] */
  usernameKey?: string | undefined
  /** @default 'password' [`JWT_AUTH_PASSWORD_KEY`] */
  passwordKey?: string | undefined
  /** Builds the payload of an access token [`JWT_PAYLOAD_HANDLER`]. Gets the default payload. */
  payloadHandler?: ((user: AuthenticatedUser, defaults: JwtPayload) => JwtPayload) | undefined
  /** Builds the `/auth` response body [`JWT_AUTH_RESPONSE_HANDLER`]. */
  authResponseHandler?: ((tokens: { access_token: string }, user: AuthenticatedUser) => unknown) | undefined
  /**
   * Extra claims for the tokens of a user, at login and at each refresh (on the user `lookupUser`
   * returns then). Registered and
   * jwtguard's own claims (`exp`, `iat`, `nbf`, `jti`, `type`, `fresh`, `fam`, the identity claim)
   * cannot be set here.
   */
  additionalClaims?: ((user: AuthenticatedUser) => Record<string, unknown>) | undefined
  /**
   * Loads a user by id for `POST /auth/refresh`: returns what `authenticate` returns for a login
   * (the user with its current roles, say), or `null` for a user removed or disabled since, whose
   * refresh is then refused (401 `User does not exist`). A refresh runs `additionalClaims` and
   * `payloadHandler` on it, as a login does, so a token never carries stale claims. Required with
   * a `store` and `additionalClaims` or `payloadHandler`; without either, refreshed tokens carry
   * the identity and jwtguard's own claims only.
   * @default none
   */
  lookupUser?: ((id: string | number) => MaybePromise<AuthenticatedUser | null | undefined>) | undefined
  /**
   * Refresh-token lifetime.
   * @default '14d'
   */
  refreshExpiresIn?: Duration | undefined
  /**
   * Concurrent rotation: a refresh token presented again within this many seconds of being spent
   * (two tabs refreshing at once, a retry after a lost response) gets a sibling pair in the same
   * family instead of ending the session as reuse.
   *
   * The trade-off: a thief who replays a stolen refresh token within the interval gets a sibling
   * too, so the theft is detected only at a replay after it, or ends with the session (logout,
   * "log out that device", a password change). Outside the interval, a replay ends the whole
   * session as before. A few seconds covers concurrent tabs and retries while keeping that window
   * short; `0` makes every replay reuse (the strictest, at the cost of logging out users whose
   * tabs refresh at once).
   * @default 5
   */
  reuseInterval?: Duration | undefined
  /**
   * The secret refresh tokens are signed with (HMAC, `algorithm`). Required with `key` or `keys`
   * and a store: refresh tokens must verify nowhere but here, so never under a published key; the
   * same on every instance.
   * @default with `secret`: a key derived from it (HKDF, its own label), so a refresh token does
   * not verify under the secret itself
   */
  refreshSecret?: Secret | undefined
  /** A ready key for refresh tokens, instead of `refreshSecret` (not the access key). */
  refreshKey?: JwtKey | undefined
  /**
   * The `typ` header of access tokens: `JWT`, or `at+jwt` (RFC 9068) for deployments that want
   * access tokens typed explicitly. Refresh tokens are always `refresh+jwt`. Both are accepted
   * from this guard's own tokens whatever the setting.
   * @default 'JWT'
   */
  accessTokenType?: 'JWT' | 'at+jwt' | undefined
  /** @default '/auth/refresh' (`false`: not mounted) */
  refreshPath?: string | false | undefined
  /** @default '/auth/revoke' (`false`: not mounted) */
  revokePath?: string | false | undefined
  /**
   * Where the public keys are published, when the keys are asymmetric (`false`: nowhere).
   * @default '/.well-known/jwks.json'
   */
  jwksPath?: string | false | undefined
  /**
   * The signing algorithm for `secret` and `refreshSecret` [`JWT_ALGORITHM`].
   * @default 'HS256'
   */
  algorithm?: HmacAlgorithm | undefined
  /** See {@link HmacKeyOptions.allowShortSecret}. @default false */
  allowShortSecret?: boolean | undefined
  /** Throttles failed logins; see `jwtguard/throttle`. @default no throttling */
  loginLimiter?: LoginLimiter | undefined
  /** Throttles `POST /auth/refresh` per session and per client; see `jwtguard/throttle`. @default no throttling */
  refreshLimiter?: RefreshLimiter | undefined
  /**
   * How many reverse proxies in front of the app to trust for `X-Forwarded-For`; `true` is one.
   * With `false` the client address is the socket's.
   * @default false
   */
  trustProxy?: boolean | number | undefined
}

/** An issuer signs with exactly one of these: an HMAC secret, a key, or a keystore. */
export type SigningKeyOptions =
  | {
      /** The HMAC secret [`SECRET_KEY` / `JWT_SECRET_KEY`]: at least as long as the hash (32 bytes for HS256). */
      secret: Secret
      key?: undefined
      keys?: undefined
    }
  | {
      /** A ready key (`createAsymmetricKey`, `createHmacKey`): it decides the algorithm. */
      key: JwtKey
      secret?: undefined
      keys?: undefined
    }
  | {
      /**
       * A keystore (`createKeyStore`, `readKeyDirectory`): tokens are signed with its active key (its
       * `kid` in the header) and verified by `kid`; `rotate()` applies at once, old keys keep
       * verifying until their tokens expire.
       */
      keys: KeyStore
      secret?: undefined
      key?: undefined
    }

/** Issuer mode: `POST /auth` (and with a store refresh and revoke) issue tokens signed with your key. */
export type IssuerOptions<TIdentity> = CommonOptions<TIdentity> &
  IssuingOptions &
  SigningKeyOptions & {
    /** Resource-server mode only. */
    jwks?: undefined
  }

/** Resource-server mode: tokens come from another issuer and are verified against its JWKS. */
export type ResourceServerOptions<TIdentity> = CommonOptions<TIdentity> & {
  /**
   * Resource-server mode: verify against a remote JWKS (`createRemoteJwks`) and issue nothing.
   * A list serves several issuers at once (multi-tenant), each key set with its own issuer and
   * audience: the token's `iss`, read before the signature only to pick the key set, selects
   * it, and is checked again after; a token of an issuer none pins is refused (401).
   */
  jwks: RemoteJwks | readonly RemoteJwks[]
  /**
   * The shape of the tokens verified. `'jwtguard'`: jwtguard's own (an `identity` claim, `nbf`
   * required). `'rfc9068'`: OAuth 2.0 access tokens of any authorization server (RFC 9068): `sub`
   * is the identity claim, `exp`, `iat` and `sub` are required (`iss` and `aud` are pinned by the
   * key set), `nbf` is optional, `typ` must be `at+jwt` or `JWT` (never `refresh+jwt`, say),
   * `scope` and `scp` feed the `scopes` requirement, `roles`, `groups` and `permissions` the `roles`
   * one, `client_id`, `auth_time` and `acr` are checked for their types, and without `identity` the
   * identity is the verified claims (no user store needed).
   * @default 'jwtguard'
   */
  profile?: 'jwtguard' | 'rfc9068' | undefined
  /**
   * Require the `typ` header `at+jwt` (or `application/at+jwt`), RFC 9068 §4: an ID token or any
   * other JWT signed by the same keys is then refused even with a matching audience. Turn it on
   * when your authorization server types its access tokens (oidc-provider, Auth0's RFC 9068
   * profile, Keycloak 24+ with the option set).
   * @default false
   */
  requireAccessTokenType?: boolean | undefined
  /**
   * The longest a token of the issuer lives: how long a "log out everywhere" cut-off
   * ({@link JwtGuard.revokeAllFor}) is kept in the store.
   * @default '14d'
   */
  maxTokenAge?: Duration | undefined
} & { [Option in keyof IssuingOptions | 'secret' | 'key' | 'keys']?: undefined }

/**
 * Options of {@link createJwtGuard}: {@link IssuerOptions} (give `secret`, `key` or `keys`, and
 * `authenticate`), or {@link ResourceServerOptions} (give `jwks`; nothing is issued). The type
 * checker refuses a mix of the two, and two key sources at once.
 */
export type JwtGuardOptions<TIdentity> = IssuerOptions<TIdentity> | ResourceServerOptions<TIdentity>
