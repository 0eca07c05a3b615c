/**
 * The options of {@link createJwtGuard}, with Flask-JWT's defaults, and their validation.
 *
 * @module
 */

import type { TokenStore } from '../stores/types.js'
import type { JwtPayload } from './claims.js'
import { normaliseClaimOption } from './claims.js'
import { type CookieOptions, type ResolvedCookies, resolveCookies, type TokenLocation } from './cookies.js'
import type { HeaderSource } from './extract.js'
import type { HttpResponse } from './http.js'
import { type Duration, toSeconds } from './internal/duration.js'
import { createHmacKey, type HmacAlgorithm, type JwtKey, type Secret } from './keys.js'
import { isKeyStore, type KeyStore } from './keystore.js'
import type { RemoteJwks } from './remote-jwks.js'
import { isStandardSchema, type StandardSchemaV1 } from './schema.js'
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

/** Options of {@link createJwtGuard}. Names in brackets are Flask-JWT's config keys. */
export interface JwtGuardOptions<TIdentity> {
  /** The HMAC secret [`SECRET_KEY` / `JWT_SECRET_KEY`]. Required unless `key` is given. */
  secret?: Secret | undefined
  /**
   * The signing algorithm for `secret` [`JWT_ALGORITHM`].
   * @default 'HS256'
   */
  algorithm?: HmacAlgorithm | undefined
  /** A ready key (it decides the algorithm); an alternative to `secret` and `algorithm`. */
  key?: JwtKey | undefined
  /**
   * A keystore (`createKeyStore`, `readKeyDirectory`): tokens are signed with its active key (its
   * `kid` in the header) and verified by `kid`; `rotate()` applies at once, old keys keep
   * verifying until their tokens expire.
   */
  keys?: KeyStore | undefined
  /** Resource-server mode: verify against a remote JWKS (`createRemoteJwks`) and issue nothing. */
  jwks?: RemoteJwks | undefined
  /** Written as `iss` (the first of a list) and required on every verified token. */
  issuer?: string | readonly string[] | undefined
  /** Written as `aud` and required (any of them) on every verified token. */
  audience?: string | readonly string[] | undefined
  /**
   * Where the public keys are published, when the keys are asymmetric (`false`: nowhere).
   * @default '/.well-known/jwks.json'
   */
  jwksPath?: string | false | undefined
  /** See {@link HmacKeyOptions.allowShortSecret}. @default false */
  allowShortSecret?: boolean | undefined
  /**
   * Checks a username and password: returns the user (with an `id`), or `null`
   * [`authentication_handler`].
   */
  authenticate: (username: string, password: string) => MaybePromise<AuthenticatedUser | null | undefined>
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
   * Clock skew tolerated on `exp`, `nbf` and `iat` [`JWT_LEEWAY`].
   * @default 10
   */
  leeway?: Duration | undefined
  /**
   * Authorization scheme, matched case-insensitively [`JWT_AUTH_HEADER_PREFIX`].
   * @default 'JWT'
   */
  headerPrefix?: string | undefined
  /**
   * Realm of the `WWW-Authenticate` challenge [`JWT_DEFAULT_REALM`].
   * @default 'Login Required'
   */
  realm?: string | undefined
  /**
   * Path of the login route, or `false` to mount none [`JWT_AUTH_URL_RULE`].
   * @default '/auth'
   */
  authPath?: string | false | undefined
  /** @default 'username' [`JWT_AUTH_USERNAME_KEY`] */
  usernameKey?: string | undefined
  /** @default 'password' [`JWT_AUTH_PASSWORD_KEY`] */
  passwordKey?: string | undefined
  /**
   * Claims every token must carry [`JWT_REQUIRED_CLAIMS`].
   * @default ['exp', 'iat', 'nbf']
   */
  requiredClaims?: readonly string[] | undefined
  /**
   * Claim holding the user's id.
   * @default 'identity'
   */
  identityClaim?: string | undefined
  /**
   * Make the identity available to {@link currentIdentity} (Flask-JWT's `current_identity`), from
   * any code a protected handler calls, through AsyncLocalStorage. Off by default because on Node
   * 20 and 22 the first use of AsyncLocalStorage turns on promise hooks for the whole process:
   * measured on Fastify with the cache, protected/open fell from 0.91 to 0.83 with it on
   * (bench/README.md). Every adapter also gives the identity to the handler: `request.identity`,
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
  /** Builds the payload of an access token [`JWT_PAYLOAD_HANDLER`]. Gets the default payload. */
  payloadHandler?: ((user: AuthenticatedUser, defaults: JwtPayload) => JwtPayload) | undefined
  /** Builds the `/auth` response body [`JWT_AUTH_RESPONSE_HANDLER`]. */
  authResponseHandler?: ((tokens: { access_token: string }, user: AuthenticatedUser) => unknown) | undefined
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
   * Refresh-token lifetime.
   * @default '14d'
   */
  refreshExpiresIn?: Duration | undefined
  /**
   * Concurrent rotation: a refresh token presented again within this many seconds of being spent
   * (two tabs refreshing at once) gets a sibling pair in the same family instead of ending the
   * session as reuse. The trade-off: a thief who replays a stolen token within the interval gets a
   * sibling too (the family is still revoked at the next replay after it, or at logout). `0`: every
   * replay is reuse.
   * @default 0
   */
  reuseInterval?: Duration | undefined
  /** A separate secret (or key) for refresh tokens. @default the access-token key */
  refreshSecret?: Secret | undefined
  refreshKey?: JwtKey | undefined
  /** @default '/auth/refresh' (`false`: not mounted) */
  refreshPath?: string | false | undefined
  /** @default '/auth/revoke' (`false`: not mounted) */
  revokePath?: string | false | undefined
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
   * Extra claims for the tokens of a user, at login and at each refresh (on the user `lookupUser`
   * returns then). Registered and
   * jwtguard's own claims (`exp`, `iat`, `nbf`, `jti`, `type`, `fresh`, `fam`, the identity claim)
   * cannot be set here.
   */
  additionalClaims?: ((user: AuthenticatedUser) => Record<string, unknown>) | undefined
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
  /** Rewrites any error response before it is sent [`JWT_ERROR_HANDLER`]. */
  errorHandler?: ((response: HttpResponse, error: unknown) => HttpResponse) | undefined
}

/** Options after validation, with every default applied. */
export interface ResolvedOptions {
  /** What access tokens are signed with. */
  key: JwtKey | KeyStore
  /** What refresh tokens are signed with. */
  refreshKey: JwtKey | KeyStore
  /** What verifies tokens. */
  verificationKeys: readonly JwtKey[] | KeyStore | RemoteJwks
  remoteJwks: RemoteJwks | undefined
  issuer: readonly string[] | undefined
  audience: readonly string[] | undefined
  refreshExpiresIn: number
  reuseInterval: number
  refreshPath: string | false
  revokePath: string | false
  jwksPath: string | false
  expiresIn: number
  notBefore: number
  leeway: number
  headerPrefix: string
  realm: string
  authPath: string | false
  usernameKey: string
  passwordKey: string
  requiredClaims: readonly string[]
  identityClaim: string
  currentIdentity: boolean
  maxTokenSize: number
  bodyLimit: number
  cache: { maxEntries: number } | undefined
  /** The clock, in seconds since the epoch. */
  now: () => number
  trustedProxies: number
  tokenLocation: readonly TokenLocation[]
  cookies: ResolvedCookies | undefined
  queryParam: string
}

// RFC 7230 token characters, for the scheme name.
const TOKEN68 = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// Printable ASCII for the realm (it is sent in a quoted-string).
const PRINTABLE = /^[\x20-\x7e]*$/

function nonEmptyString(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') throw new TypeError(`${option} must be a non-empty string`)
  return value
}

// The signing key of a resource-server guard: it verifies tokens from a remote JWKS and issues none.
const CANNOT_ISSUE: JwtKey = Object.freeze({
  alg: 'RS256',
  kid: undefined,
  verify: () => false,
  sign(): never {
    throw new TypeError('this guard verifies tokens from a remote JWKS: it cannot issue tokens')
  },
})

function routePath(value: unknown, option: string, fallback: string): string | false {
  const path = value === undefined ? fallback : value
  if (path !== false && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new TypeError(`${option} must be a path starting with "/", or false to mount no route`)
  }
  return path
}

function booleanOption(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${option} must be true or false`)
  return value
}

function positiveInteger(value: unknown, option: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new RangeError(`${option} must be an integer >= ${minimum}`)
  }
  return value
}

/**
 * Validates options eagerly, so that a bad configuration fails at start-up, never per request.
 *
 * @example
 * ```ts
 * import { resolveOptions } from 'jwtguard'
 * const resolved = resolveOptions({ secret, authenticate, identity })
 * resolved.expiresIn // 300
 * ```
 *
 * @throws {TypeError | RangeError} with a message that names the option and how to fix it.
 */
export function resolveOptions<TIdentity>(options: JwtGuardOptions<TIdentity>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  if (typeof options.authenticate !== 'function') {
    throw new TypeError('authenticate(username, password) is required: return the user or null')
  }
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new TypeError('schema must implement Standard Schema v1 (zod 3.24+, valibot 1, arktype 2, ...)')
  }
  if (typeof options.identity !== 'function' && options.schema === undefined) {
    throw new TypeError(
      'identity(payload) is required: return the user for payload.identity or null (or give a schema)',
    )
  }
  checkLookupUser(options)
  const given = (['secret', 'key', 'keys', 'jwks'] as const).filter((name) => options[name] !== undefined)
  if (given.length > 1)
    throw new TypeError(`give one of secret, key, keys or jwks, not ${given.join(' and ')}`)
  let key: JwtKey | KeyStore
  let verificationKeys: readonly JwtKey[] | KeyStore | RemoteJwks
  let remoteJwks: RemoteJwks | undefined
  if (options.keys !== undefined) {
    if (!isKeyStore(options.keys))
      throw new TypeError('keys must come from createKeyStore() or readKeyDirectory()')
    key = verificationKeys = options.keys
  } else if (options.jwks !== undefined) {
    if (typeof options.jwks?.refresh !== 'function')
      throw new TypeError('jwks must come from createRemoteJwks()')
    remoteJwks = verificationKeys = options.jwks
    key = CANNOT_ISSUE
  } else if (options.key !== undefined) {
    key = options.key
    verificationKeys = [key]
  } else {
    if (options.secret === undefined || options.secret === null) {
      throw new TypeError('secret is required: set it to a random value of at least 32 bytes')
    }
    key = createHmacKey(options.secret, {
      alg: options.algorithm,
      allowShortSecret: options.allowShortSecret,
    })
    verificationKeys = [key]
  }
  const expiresIn = toSeconds(options.expiresIn ?? 300, 'expiresIn')
  if (expiresIn <= 0) throw new RangeError('expiresIn must be at least 1 second')
  const headerPrefix = nonEmptyString(options.headerPrefix, 'headerPrefix', 'JWT')
  if (!TOKEN68.test(headerPrefix)) {
    throw new TypeError('headerPrefix must be a single word such as "JWT" or "Bearer"')
  }
  const realm = nonEmptyString(options.realm, 'realm', 'Login Required')
  if (!PRINTABLE.test(realm)) throw new TypeError('realm must be printable ASCII')
  const authPath = routePath(options.authPath, 'authPath', '/auth')
  let refreshKey = key
  if (options.refreshKey !== undefined) {
    if (options.refreshSecret !== undefined)
      throw new TypeError('give either refreshKey or refreshSecret, not both')
    refreshKey = options.refreshKey
  } else if (options.refreshSecret !== undefined) {
    refreshKey = createHmacKey(options.refreshSecret, {
      alg: options.algorithm,
      allowShortSecret: options.allowShortSecret,
    })
  }
  const refreshExpiresIn = toSeconds(options.refreshExpiresIn ?? '14d', 'refreshExpiresIn')
  if (refreshExpiresIn <= 0) throw new RangeError('refreshExpiresIn must be at least 1 second')
  const leeway = toSeconds(options.leeway ?? 10, 'leeway')
  if (isKeyStore(key)) {
    const longest = Math.max(expiresIn, options.store === undefined ? 0 : refreshExpiresIn) + leeway
    if (key.maxTokenLifetime < longest) {
      throw new RangeError(
        `keys: maxTokenLifetime is ${key.maxTokenLifetime}s but tokens live up to ${longest}s: createKeyStore({ maxTokenLifetime: ${longest} })`,
      )
    }
  }
  if (remoteJwks !== undefined) {
    for (const name of ['authPath', 'refreshPath', 'revokePath'] as const) {
      if (options[name] !== undefined && options[name] !== false) {
        throw new TypeError(`${name}: a guard over a remote JWKS issues no tokens; leave it unset`)
      }
    }
  }
  const issuing = remoteJwks === undefined
  if (options.store !== undefined && typeof options.store?.consumeRefresh !== 'function') {
    throw new TypeError('store must be a token store (jwtguard/stores/memory, /sqlite or /redis)')
  }
  const usernameKey = nonEmptyString(options.usernameKey, 'usernameKey', 'username')
  const passwordKey = nonEmptyString(options.passwordKey, 'passwordKey', 'password')
  if (usernameKey === passwordKey) throw new TypeError('usernameKey and passwordKey must differ')
  const requiredClaims = options.requiredClaims ?? ['exp', 'iat', 'nbf']
  if (!Array.isArray(requiredClaims) || requiredClaims.some((claim) => typeof claim !== 'string')) {
    throw new TypeError('requiredClaims must be an array of claim names')
  }
  const trustProxy = options.trustProxy ?? false
  const trustedProxies = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy
  if (!Number.isInteger(trustedProxies) || trustedProxies < 0) {
    throw new TypeError('trustProxy must be true, false or the number of proxies in front of the app')
  }
  const tokenLocation = [...(options.tokenLocation ?? ['header'])]
  if (
    tokenLocation.length === 0 ||
    tokenLocation.some((location) => !['header', 'cookies', 'query'].includes(location)) ||
    new Set(tokenLocation).size !== tokenLocation.length
  ) {
    throw new TypeError('tokenLocation must list "header", "cookies" and/or "query", each once')
  }
  const cookies = tokenLocation.includes('cookies')
    ? resolveCookies(options.cookies, tokenLocation.includes('header'))
    : undefined
  if (cookies === undefined && options.cookies !== undefined) {
    throw new TypeError('cookies are configured but tokenLocation does not include "cookies"')
  }
  const now = options.now ?? (() => Date.now() / 1000)
  if (typeof now !== 'function') throw new TypeError('now must be a function returning seconds')
  return {
    key,
    refreshKey,
    verificationKeys,
    remoteJwks,
    issuer: normaliseClaimOption(options.issuer, 'issuer'),
    audience: normaliseClaimOption(options.audience, 'audience'),
    refreshExpiresIn,
    reuseInterval: toSeconds(options.reuseInterval ?? 0, 'reuseInterval'),
    refreshPath: issuing ? routePath(options.refreshPath, 'refreshPath', '/auth/refresh') : false,
    revokePath: issuing ? routePath(options.revokePath, 'revokePath', '/auth/revoke') : false,
    expiresIn,
    notBefore: toSeconds(options.notBefore ?? 0, 'notBefore'),
    leeway,
    headerPrefix,
    realm,
    authPath: issuing ? authPath : false,
    jwksPath: routePath(options.jwksPath, 'jwksPath', '/.well-known/jwks.json'),
    usernameKey,
    passwordKey,
    requiredClaims: [...requiredClaims],
    identityClaim: nonEmptyString(options.identityClaim, 'identityClaim', 'identity'),
    currentIdentity: booleanOption(options.currentIdentity, 'currentIdentity', false),
    maxTokenSize: positiveInteger(options.maxTokenSize, 'maxTokenSize', 8192, 64),
    bodyLimit: positiveInteger(options.bodyLimit, 'bodyLimit', 16384, 64),
    cache:
      options.cache === undefined || options.cache === false
        ? undefined
        : {
            maxEntries:
              options.cache === true
                ? 1000
                : positiveInteger(options.cache.maxEntries, 'cache.maxEntries', 1000, 1),
          },
    now,
    trustedProxies,
    tokenLocation,
    cookies,
    queryParam: nonEmptyString(options.queryParam, 'queryParam', 'jwt'),
  }
}

/** A refresh rebuilds custom claims from the user: with a store they need a way to load it. */
function checkLookupUser(options: JwtGuardOptions<unknown>): void {
  if (options.lookupUser !== undefined && typeof options.lookupUser !== 'function') {
    throw new TypeError('lookupUser must be a function (id) => the user, or null')
  }
  const custom = options.additionalClaims !== undefined || options.payloadHandler !== undefined
  if (options.store !== undefined && custom && options.lookupUser === undefined) {
    throw new TypeError(
      'lookupUser(id) is required with a store and additionalClaims or payloadHandler: a refresh rebuilds the claims from the current user (return it, or null when removed or disabled); e.g. lookupUser: userLookup(users) from jwtguard/users',
    )
  }
}
