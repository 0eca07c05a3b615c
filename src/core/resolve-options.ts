/**
 * Validates the options of {@link createJwtGuard} and applies Flask-JWT's defaults, into one of two
 * shapes: {@link ResolvedIssuerOptions} or {@link ResolvedResourceServerOptions}. A bad
 * configuration fails here, at start-up, never per request.
 *
 * @module
 */
import type { TokenStore } from '../stores/types.js'
import { normaliseClaimOption } from './claims.js'
import { type ResolvedCookies, resolveCookies, type TokenLocation } from './cookies.js'
import { acceptedTypes, JWTGUARD_DEFAULTS, RFC9068_DEFAULTS } from './guard/rfc9068.js'
import { toSeconds } from './internal/duration.js'
import { booleanOption, integerAtLeast, nonEmptyString, routePath } from './internal/validate.js'
import { createHmacKey, deriveHmacKey, type JwtKey } from './keys.js'
import { isKeyStore, type KeyStore } from './keystore.js'
import type { CommonOptions, IssuerOptions, JwtGuardOptions, ResourceServerOptions } from './options.js'
import type { RemoteJwks } from './remote-jwks.js'
import { isStandardSchema } from './schema.js'

/** What both modes resolve to. */
export interface ResolvedCommonOptions {
  issuer: readonly string[] | undefined
  audience: readonly string[] | undefined
  leeway: number
  /** The first accepted scheme, the one jwtguard documents and writes in single-scheme setups. */
  headerPrefix: string
  /** Every accepted scheme, in order; the challenges of a 401 name each. */
  headerSchemes: readonly string[]
  realm: string
  requiredClaims: readonly string[]
  identityClaim: string
  /** The claims holding roles, for the `roles` requirement. */
  roleClaims: readonly string[]
  /** The claims holding scopes (`scope` space-separated, `scp` a list), for `scopes`. */
  scopeClaims: readonly string[]
  currentIdentity: boolean
  maxTokenSize: number
  bodyLimit: number
  cache: { maxEntries: number } | undefined
  /** The identity cache: entries and their longest life in seconds; `undefined`: off. */
  identityCache: { maxEntries: number; maxAge: number } | undefined
  /** The clock, in seconds since the epoch. */
  now: () => number
  tokenLocation: readonly TokenLocation[]
  cookies: ResolvedCookies | undefined
  queryParam: string
}

/** A guard that issues tokens: its keys, lifetimes and routes. */
export interface ResolvedIssuerOptions extends ResolvedCommonOptions {
  mode: 'issuer'
  /** What access tokens are signed with. */
  key: JwtKey | KeyStore
  /**
   * What refresh tokens are signed (and only they verified) with: never the access key, never in
   * the JWKS. `undefined` without a store (no refresh tokens).
   */
  refreshKey: JwtKey | undefined
  /** The `typ` header of access tokens. */
  accessTokenType: 'JWT' | 'at+jwt'
  /** What verifies tokens. */
  verificationKeys: readonly JwtKey[] | KeyStore
  expiresIn: number
  notBefore: number
  refreshExpiresIn: number
  reuseInterval: number
  authPath: string | false
  refreshPath: string | false
  revokePath: string | false
  jwksPath: string | false
  usernameKey: string
  passwordKey: string
  trustedProxies: number
}

/** A guard that verifies the tokens of another issuer against its JWKS. */
export interface ResolvedResourceServerOptions extends ResolvedCommonOptions {
  mode: 'resource-server'
  /** One key set per issuer (one, or several for a multi-tenant resource server). */
  jwks: readonly RemoteJwks[]
  /** The shape of the tokens: jwtguard's own, or RFC 9068 access tokens. */
  profile: 'jwtguard' | 'rfc9068'
  /** The `typ` values accepted; `undefined`: any. */
  accessTokenTypes: readonly string[] | undefined
  /** Seconds a "log out everywhere" cut-off is kept. */
  maxTokenAge: number
}

/** Options after validation, with every default applied: one shape per mode. */
export type ResolvedOptions = ResolvedIssuerOptions | ResolvedResourceServerOptions

// RFC 7230 token characters, for the scheme name.
const TOKEN68 = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// Printable ASCII for the realm (it is sent in a quoted-string).
const PRINTABLE = /^[\x20-\x7e]*$/

/** The options only an issuer takes: given next to `jwks`, each is refused by name. */
const ISSUING_ONLY = [
  'authenticate',
  'secret',
  'key',
  'keys',
  'algorithm',
  'allowShortSecret',
  'expiresIn',
  'notBefore',
  'authPath',
  'usernameKey',
  'passwordKey',
  'payloadHandler',
  'authResponseHandler',
  'additionalClaims',
  'lookupUser',
  'refreshExpiresIn',
  'reuseInterval',
  'refreshSecret',
  'refreshKey',
  'accessTokenType',
  'refreshPath',
  'revokePath',
  'jwksPath',
  'loginLimiter',
  'refreshLimiter',
  'trustProxy',
] as const

/**
 * Validates options eagerly, so that a bad configuration fails at start-up, never per request.
 *
 * `createJwtGuard` calls it; `guard.options` holds the result.
 *
 * @throws {TypeError | RangeError} with a message that names the option and how to fix it.
 */
export function resolveOptions<TIdentity>(options: JwtGuardOptions<TIdentity>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  const given = (['secret', 'key', 'keys', 'jwks'] as const).filter((name) => options[name] !== undefined)
  if (given.length > 1)
    throw new TypeError(`give one of secret, key, keys or jwks, not ${given.join(' and ')}`)
  const common = resolveCommon(options, profileOf(options))
  return options.jwks === undefined
    ? resolveIssuer(options as IssuerOptions<TIdentity>, common)
    : resolveResourceServer(options as ResourceServerOptions<TIdentity>, common)
}

/** The token profile: `rfc9068` only in resource-server mode, and only when asked for. */
function profileOf(options: JwtGuardOptions<unknown>): 'jwtguard' | 'rfc9068' {
  const { profile, requireAccessTokenType } = options as ResourceServerOptions<unknown>
  if (options.jwks === undefined) {
    if (profile !== undefined || requireAccessTokenType !== undefined) {
      throw new TypeError(
        `${profile === undefined ? 'requireAccessTokenType' : 'profile'}: only a resource server (jwks) verifies the tokens of another issuer; leave it unset`,
      )
    }
    return 'jwtguard'
  }
  if (profile === undefined || profile === 'jwtguard' || profile === 'rfc9068') return profile ?? 'jwtguard'
  throw new TypeError('profile must be "jwtguard" or "rfc9068" (OAuth 2.0 access tokens of any issuer)')
}

/** A list of claim names, or the profile's default. */
function claimNames(value: unknown, option: string, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((name) => typeof name !== 'string' || name === '')
  ) {
    throw new TypeError(
      `${option} must be a non-empty list of claim names, such as ${JSON.stringify(fallback)}`,
    )
  }
  return Object.freeze([...value])
}

/** The accepted schemes: one word each, once. */
function resolveSchemes(value: unknown): readonly string[] {
  const list = value === undefined ? ['JWT'] : typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((scheme) => typeof scheme !== 'string' || !TOKEN68.test(scheme))
  ) {
    throw new TypeError('headerPrefix must be a single word such as "JWT" or "Bearer", or a list of them')
  }
  if (new Set(list.map((scheme: string) => scheme.toLowerCase())).size !== list.length) {
    throw new TypeError('headerPrefix lists a scheme twice (schemes are matched case-insensitively)')
  }
  return Object.freeze([...list])
}

function resolveCommon<TIdentity>(
  options: CommonOptions<TIdentity>,
  profile: 'jwtguard' | 'rfc9068',
): ResolvedCommonOptions {
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new TypeError('schema must implement Standard Schema v1 (zod 3.24+, valibot 1, arktype 2, ...)')
  }
  if (typeof options.identity !== 'function' && options.schema === undefined && profile !== 'rfc9068') {
    throw new TypeError(
      "identity(payload) is required: return the user for payload.identity or null (or give a schema; a resource server with profile: 'rfc9068' defaults to the verified claims)",
    )
  }
  if (options.store !== undefined && typeof options.store?.consumeRefresh !== 'function') {
    throw new TypeError('store must be a token store (jwtguard/stores/memory, /sqlite or /redis)')
  }
  const headerSchemes = resolveSchemes(options.headerPrefix)
  const defaults = profile === 'rfc9068' ? RFC9068_DEFAULTS : JWTGUARD_DEFAULTS
  const realm = nonEmptyString(options.realm, 'realm', 'Login Required')
  if (!PRINTABLE.test(realm)) throw new TypeError('realm must be printable ASCII')
  const requiredClaims = options.requiredClaims ?? defaults.requiredClaims
  if (!Array.isArray(requiredClaims) || requiredClaims.some((claim) => typeof claim !== 'string')) {
    throw new TypeError('requiredClaims must be an array of claim names')
  }
  const now = options.now ?? (() => Date.now() / 1000)
  if (typeof now !== 'function') throw new TypeError('now must be a function returning seconds')
  return {
    issuer: normaliseClaimOption(options.issuer, 'issuer'),
    audience: normaliseClaimOption(options.audience, 'audience'),
    leeway: toSeconds(options.leeway ?? 10, 'leeway'),
    headerPrefix: headerSchemes[0] as string,
    headerSchemes,
    realm,
    requiredClaims: [...requiredClaims],
    identityClaim: nonEmptyString(options.identityClaim, 'identityClaim', defaults.identityClaim),
    roleClaims: claimNames(options.roleClaims, 'roleClaims', defaults.roleClaims),
    scopeClaims: claimNames(options.scopeClaims, 'scopeClaims', defaults.scopeClaims),
    currentIdentity: booleanOption(options.currentIdentity, 'currentIdentity', false),
    maxTokenSize: integerAtLeast(options.maxTokenSize, 'maxTokenSize', 8192, 64),
    bodyLimit: integerAtLeast(options.bodyLimit, 'bodyLimit', 16384, 64),
    cache: resolveCache(options.cache),
    identityCache: resolveIdentityCache(options),
    now,
    ...resolveLocations(options),
  }
}

function resolveCache(cache: CommonOptions<unknown>['cache']): ResolvedCommonOptions['cache'] {
  if (cache === undefined || cache === false) return undefined
  return {
    maxEntries: cache === true ? 1000 : integerAtLeast(cache.maxEntries, 'cache.maxEntries', 1000, 1),
  }
}

function resolveIdentityCache(options: CommonOptions<unknown>): ResolvedCommonOptions['identityCache'] {
  const { identityCache } = options
  if (identityCache === undefined || identityCache === false) return undefined
  if (identityCache !== true && (typeof identityCache !== 'object' || identityCache === null)) {
    throw new TypeError('identityCache must be true, false or { maxEntries, maxAge }')
  }
  if (options.identity === undefined) {
    throw new TypeError('identityCache caches what the identity callback returns: set identity too')
  }
  if (options.store === undefined) {
    throw new TypeError(
      "identityCache needs a token store (the store option): its entries end with the store's revokeAllFor cut-offs",
    )
  }
  if (identityCache === true) return { maxEntries: 10_000, maxAge: 60 }
  const maxAge = toSeconds(identityCache.maxAge ?? 60, 'identityCache.maxAge')
  if (maxAge <= 0) throw new RangeError('identityCache.maxAge must be more than 0 seconds')
  return {
    maxEntries: integerAtLeast(identityCache.maxEntries, 'identityCache.maxEntries', 10_000, 1),
    maxAge,
  }
}

function resolveLocations(
  options: CommonOptions<unknown>,
): Pick<ResolvedCommonOptions, 'tokenLocation' | 'cookies' | 'queryParam'> {
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
  return { tokenLocation, cookies, queryParam: nonEmptyString(options.queryParam, 'queryParam', 'jwt') }
}

function resolveResourceServer(
  options: ResourceServerOptions<unknown>,
  common: ResolvedCommonOptions,
): ResolvedResourceServerOptions {
  const jwks = resolveKeySets(options.jwks)
  if (jwks.length > 1 && (options.issuer !== undefined || options.audience !== undefined)) {
    throw new TypeError(
      `${options.issuer === undefined ? 'audience' : 'issuer'}: with several key sets, each pins its own issuer and audience (createRemoteJwks); leave it unset here`,
    )
  }
  for (const name of ISSUING_ONLY) {
    if ((options as unknown as Record<string, unknown>)[name] !== undefined) {
      throw new TypeError(`${name}: a guard over a remote JWKS issues no tokens; leave it unset`)
    }
  }
  const maxTokenAge = toSeconds(options.maxTokenAge ?? '14d', 'maxTokenAge')
  if (maxTokenAge <= 0) throw new RangeError('maxTokenAge must be at least 1 second')
  const profile = options.profile ?? 'jwtguard'
  const required = booleanOption(options.requireAccessTokenType, 'requireAccessTokenType', false)
  return {
    ...common,
    mode: 'resource-server',
    jwks,
    profile,
    accessTokenTypes: acceptedTypes(profile, required),
    maxTokenAge,
  }
}

/** One key set, or several whose issuers differ (the token's `iss` picks one). */
function resolveKeySets(value: RemoteJwks | readonly RemoteJwks[]): readonly RemoteJwks[] {
  const list: readonly RemoteJwks[] = Array.isArray(value) ? value : [value as RemoteJwks]
  if (list.length === 0 || list.some((jwks) => typeof jwks?.refresh !== 'function')) {
    throw new TypeError(
      'jwks must come from createRemoteJwks(), or be a non-empty list of them (one per issuer)',
    )
  }
  const seen = new Set<string>()
  for (const jwks of list) {
    for (const issuer of jwks.pinnedClaims.issuer ?? []) {
      if (seen.has(issuer)) {
        throw new TypeError(`jwks: two key sets pin the issuer ${issuer}; give each issuer one key set`)
      }
      seen.add(issuer)
    }
  }
  return Object.freeze([...list])
}

function resolveIssuer(
  options: IssuerOptions<unknown>,
  common: ResolvedCommonOptions,
): ResolvedIssuerOptions {
  if (typeof options.authenticate !== 'function') {
    throw new TypeError(
      'authenticate(username, password) is required to issue tokens: return the user or null (or give jwks to only verify the tokens of another issuer)',
    )
  }
  checkLookupUser(options)
  const expiresIn = toSeconds(options.expiresIn ?? 300, 'expiresIn')
  if (expiresIn <= 0) throw new RangeError('expiresIn must be at least 1 second')
  const refreshExpiresIn = toSeconds(options.refreshExpiresIn ?? '14d', 'refreshExpiresIn')
  if (refreshExpiresIn <= 0) throw new RangeError('refreshExpiresIn must be at least 1 second')
  const keys = resolveSigningKeys(options)
  checkKeyStoreLifetime(keys.key, expiresIn, options.store, refreshExpiresIn, common.leeway)
  const usernameKey = nonEmptyString(options.usernameKey, 'usernameKey', 'username')
  const passwordKey = nonEmptyString(options.passwordKey, 'passwordKey', 'password')
  if (usernameKey === passwordKey) throw new TypeError('usernameKey and passwordKey must differ')
  return {
    ...common,
    mode: 'issuer',
    ...keys,
    expiresIn,
    notBefore: toSeconds(options.notBefore ?? 0, 'notBefore'),
    refreshExpiresIn,
    reuseInterval: toSeconds(options.reuseInterval ?? 5, 'reuseInterval'),
    accessTokenType: accessTokenType(options.accessTokenType),
    authPath: routePath(options.authPath, 'authPath', '/auth'),
    refreshPath: routePath(options.refreshPath, 'refreshPath', '/auth/refresh'),
    revokePath: routePath(options.revokePath, 'revokePath', '/auth/revoke'),
    jwksPath: routePath(options.jwksPath, 'jwksPath', '/.well-known/jwks.json'),
    usernameKey,
    passwordKey,
    trustedProxies: resolveTrustProxy(options.trustProxy),
  }
}

/** The access key (`secret`, `key` or `keys`), the refresh key, and what verifies. */
function resolveSigningKeys(
  options: IssuerOptions<unknown>,
): Pick<ResolvedIssuerOptions, 'key' | 'refreshKey' | 'verificationKeys'> {
  const hmac = { alg: options.algorithm, allowShortSecret: options.allowShortSecret }
  let key: JwtKey | KeyStore
  if (options.keys !== undefined) {
    if (!isKeyStore(options.keys))
      throw new TypeError('keys must come from createKeyStore() or readKeyDirectory()')
    key = options.keys
  } else if (options.key !== undefined) {
    key = options.key
  } else {
    if (options.secret === undefined || options.secret === null) {
      throw new TypeError('secret is required: set it to a random value of at least 32 bytes')
    }
    key = createHmacKey(options.secret, hmac)
  }
  const refreshKey = resolveRefreshKey(options, key, hmac)
  return { key, refreshKey, verificationKeys: isKeyStore(key) ? key : [key] }
}

/** The label of the refresh-token key derived from `secret`. */
export const REFRESH_KEY_LABEL = 'jwtguard refresh-token key v1'

/**
 * The refresh-token key: `refreshKey` or `refreshSecret` when given, else (with `secret`) a key
 * derived from the secret by HKDF, so a refresh token verifies nowhere an access token does: not
 * under the secret (Flask-JWT, PyJWT, jsonwebtoken), not under a published key.
 */
function resolveRefreshKey(
  options: IssuerOptions<unknown>,
  key: JwtKey | KeyStore,
  hmac: { alg: IssuerOptions<unknown>['algorithm']; allowShortSecret: boolean | undefined },
): JwtKey | undefined {
  if (options.refreshKey !== undefined) {
    if (options.refreshSecret !== undefined)
      throw new TypeError('give either refreshKey or refreshSecret, not both')
    if (options.refreshKey === key)
      throw new TypeError('refreshKey must not be the access key: give another key')
    return options.refreshKey
  }
  if (options.refreshSecret !== undefined) return createHmacKey(options.refreshSecret, hmac)
  if (options.store === undefined) return undefined
  if (options.secret !== undefined) return deriveHmacKey(options.secret, REFRESH_KEY_LABEL, hmac)
  throw new TypeError(
    `refreshSecret is required with ${options.keys === undefined ? 'key' : 'keys'} and a store: refresh tokens are signed by a key only this service holds, never published in the JWKS (32 random bytes, the same on every instance)`,
  )
}

function checkKeyStoreLifetime(
  key: JwtKey | KeyStore,
  expiresIn: number,
  store: TokenStore | undefined,
  refreshExpiresIn: number,
  leeway: number,
): void {
  if (!isKeyStore(key)) return
  const longest = Math.max(expiresIn, store === undefined ? 0 : refreshExpiresIn) + leeway
  if (key.maxTokenLifetime < longest) {
    throw new RangeError(
      `keys: maxTokenLifetime is ${key.maxTokenLifetime}s but tokens live up to ${longest}s: createKeyStore({ maxTokenLifetime: ${longest} })`,
    )
  }
}

function accessTokenType(value: unknown): 'JWT' | 'at+jwt' {
  if (value === undefined || value === 'JWT' || value === 'at+jwt') return value ?? 'JWT'
  throw new TypeError('accessTokenType must be "JWT" or "at+jwt"')
}

function resolveTrustProxy(trustProxy: boolean | number | undefined): number {
  const value = trustProxy ?? false
  const trustedProxies = value === true ? 1 : value === false ? 0 : value
  if (!Number.isInteger(trustedProxies) || trustedProxies < 0) {
    throw new TypeError('trustProxy must be true, false or the number of proxies in front of the app')
  }
  return trustedProxies
}

/** A refresh rebuilds custom claims from the user: with a store they need a way to load it. */
function checkLookupUser(options: IssuerOptions<unknown>): void {
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
