/**
 * The auth object: Flask-JWT's `JWT(app, authenticate, identity)` without the app. It issues,
 * verifies, refreshes and revokes tokens, handles the auth routes and renders errors; the
 * adapters only translate.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import type { TokenStore } from '../stores/types.js'
import { type AuthRequest, parseJsonObjectBody } from './body.js'
import type { JwtPayload } from './claims.js'
import { currentIdentity, enableCurrentIdentity, runWithIdentity } from './context.js'
import { assertCsrf, newCsrfValue, readCookie, serializeCookie } from './cookies.js'
import { withRequestDeadline } from './deadline.js'
import { isJwtGuardError, JwtGuardError } from './errors.js'
import { type HeaderSource, readHeader, tokenFromAuthorization } from './extract.js'
import { errorResponse, type HttpResponse, sessionResponse } from './http.js'
import {
  customClaims,
  cutOffInstant,
  type IssueContext,
  type IssuedTokens,
  issuedInstant,
  issueTokens,
  userId,
} from './issue.js'
import type { JwtKey } from './keys.js'
import {
  type AuthenticatedUser,
  type JwtGuardOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { compileRequirements, type ProtectOptions } from './protect.js'
import { validateWithSchema } from './schema.js'

export type { ProtectOptions } from './protect.js'

import { jwksResponse, toJwks } from './jwks.js'
import { isKeyStore, type KeyStore } from './keystore.js'
import { createRemoteVerifier } from './remote-jwks.js'
import { clientAddress, type LoginAttempt } from './throttle.js'
import { createVerifier, type VerifyFunction } from './verify.js'

/** What a protected request resolves to. */
export interface AuthResult<TIdentity> {
  identity: TIdentity
  payload: JwtPayload
}

/** A route the adapters mount; its handler takes the raw request and returns the full response. */
export interface AuthRoute {
  /** `POST` for the token routes; `GET` for the JWKS. */
  method: 'POST' | 'GET'
  /** The route's path, such as `/auth`. */
  path: string
  /** Handles one request; resolves to the response to write, errors included. */
  handle(request: AuthRequest): Promise<HttpResponse>
}

/** A protected route's check, compiled once by {@link JwtGuard.protect}. */
export interface ProtectedRoute<TIdentity, TRequest = unknown> {
  /** The realm of the route's challenge. */
  readonly realm: string
  /**
   * Authenticates the request: `null` only for an optional route without a token. Throws a
   * {@link JwtGuardError} for everything else that is not allowed.
   */
  authenticate(
    headers: HeaderSource,
    request?: TRequest,
    meta?: RequestMeta,
  ): Promise<AuthResult<TIdentity> | null>
  /**
   * {@link authenticate} for adapters, without a promise where none is needed: returns the result
   * (or throws) synchronously when the key is local and the `identity` callback and the route's
   * `allow` are synchronous, and a promise otherwise.
   */
  resolve(
    headers: HeaderSource,
    request?: TRequest,
    meta?: RequestMeta,
  ): AuthResult<TIdentity> | null | Promise<AuthResult<TIdentity> | null>
}

/** What cookie mode and query tokens need to know of a request besides its headers. */
export interface RequestMeta {
  /** The HTTP method: unsafe methods need the CSRF header when the token came from a cookie. */
  method?: string | undefined
  /** The request URL (path and query), for `tokenLocation: ['query']`. */
  url?: string | undefined
}

/** The identity type of a guard: `IdentityOf<typeof guard>`, e.g. to fill `Register`. */
export type IdentityOf<TGuard> = TGuard extends JwtGuard<infer TIdentity> ? TIdentity : never

/** The object returned by {@link createJwtGuard}. */
export interface JwtGuard<TIdentity> {
  /** The validated options with defaults applied. */
  readonly options: Readonly<ResolvedOptions>
  /** The routes to mount: `/auth`, and with a store `/auth/refresh` and `/auth/revoke`. */
  readonly routes: readonly AuthRoute[]
  /** The token store, when one is configured. */
  readonly store: TokenStore | undefined
  /** Issues an access token for a user returned by `authenticate` (a fresh one, without refresh). */
  createAccessToken(user: AuthenticatedUser): string
  /** Verifies an access token: signature first, then claims (not revocation). */
  verify(token: string): JwtPayload
  /** Compiles a protected route's requirements; `optional` admits requests without a token. */
  protect<TRequest = unknown>(
    options?: ProtectOptions<TRequest>,
    mode?: 'required' | 'optional',
  ): ProtectedRoute<TIdentity, TRequest>
  /** Extracts and verifies the request's token and loads its identity (the default route check). */
  authenticateRequest(headers: HeaderSource): Promise<AuthResult<TIdentity>>
  /** "Log out everywhere": refuses every token of `identity` issued before `before` (default now). */
  revokeAllFor(identity: string | number, before?: number): Promise<void>
  /**
   * The `GET /.well-known/jwks.json` response: the public parts of the verification keys, with
   * Cache-Control. `undefined` when there is nothing to publish (HMAC secrets, remote JWKS).
   */
  jwks(): HttpResponse | undefined
  /** The response for any error, with the challenge of `realm` (default: the guard's). */
  errorResponse(error: unknown, realm?: string): HttpResponse
  /** Runs `callback` with `identity` as {@link currentIdentity} (just runs it when `currentIdentity` is off). */
  runWithIdentity<R>(identity: unknown, callback: () => R): R
  /** The identity of the protected request being handled, typed by this guard; else `undefined`. */
  currentIdentity(): TIdentity | undefined
  /** The `405` error for a method other than those in `allow`. */
  methodNotAllowed(allow: readonly string[]): JwtGuardError
  /** The `404` error for an unknown route. */
  notFound(): JwtGuardError
}

const revoked = (message = 'Token has been revoked') => new JwtGuardError('ERR_TOKEN_REVOKED', message)

/** The revocation id of an access token: its `jti`, or for tokens without one a hash of the token. */
function revocationId(payload: JwtPayload, token: string): string {
  return typeof payload.jti === 'string' && payload.jti !== ''
    ? payload.jti
    : // The signing input, not the whole token: an ECDSA signature can be re-spelled (r, n-s).
      `sha256:${createHash('sha256')
        .update(token.slice(0, token.lastIndexOf('.')))
        .digest('base64url')}`
}

/**
 * The refresh cookie's path: the deepest path covering the refresh and the revoke routes, so a
 * browser holding only that cookie can still log out (`/auth` for the default routes).
 */
function refreshCookiePath(refreshPath: string | false, revokePath: string | false): string {
  if (refreshPath === false) return '/'
  if (revokePath === false) return refreshPath
  const a = refreshPath.split('/')
  const b = revokePath.split('/')
  let shared = 0
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++
  return a.slice(0, shared).join('/') || '/'
}

/**
 * Creates the auth object. Every option is validated here.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { passwordAuthenticator } from 'jwtguard/users'
 * const guard = createJwtGuard({
 *   secret: process.env.JWT_SECRET_KEY!,
 *   authenticate: passwordAuthenticator(users), // (username, password) => the user, or null
 *   identity: (payload) => ({ user_id: payload.identity }),
 * })
 * ```
 */
export function createJwtGuard<TIdentity>(options: JwtGuardOptions<TIdentity>): JwtGuard<TIdentity> {
  const resolved = resolveOptions(options)
  if (resolved.currentIdentity) enableCurrentIdentity()
  const { now, headerPrefix, realm, identityClaim } = resolved
  const store = options.store
  const verifierOptions = {
    leeway: resolved.leeway,
    requiredClaims: resolved.requiredClaims,
    maxTokenSize: resolved.maxTokenSize,
    now,
  }
  const pins = { issuer: resolved.issuer, audience: resolved.audience }
  const { remoteJwks } = resolved
  const verifyAccess: VerifyFunction = createVerifier({
    keys: resolved.verificationKeys,
    ...verifierOptions,
    ...pins,
    cache: resolved.cache,
  })
  const verifyRefresh: VerifyFunction =
    resolved.refreshKey === resolved.key && resolved.cache === undefined
      ? verifyAccess
      : createVerifier({
          keys: isKeyStore(resolved.refreshKey) ? resolved.refreshKey : [resolved.refreshKey],
          ...verifierOptions,
          ...pins,
        })
  // Over a remote JWKS an unknown kid waits for (at most) one key-set refresh.
  const verifyRemote =
    remoteJwks === undefined
      ? undefined
      : createRemoteVerifier({ jwks: remoteJwks, ...verifierOptions, ...pins, cache: resolved.cache })
  const { authenticate, identity: loadIdentity, payloadHandler } = options
  const limiter = options.loginLimiter
  const extractFromHeader =
    options.tokenExtractor ??
    ((headers: HeaderSource) => tokenFromAuthorization(readHeader(headers, 'authorization'), headerPrefix))
  const { cookies, tokenLocation, queryParam } = resolved

  /** The access token and where it was found, following `tokenLocation` in order. */
  function findToken(
    headers: HeaderSource,
    meta: RequestMeta | undefined,
  ): { token: string; fromCookie: boolean } | undefined {
    // An Authorization header of another scheme (a proxy's Basic, say) does not hide a token in
    // a later location; it is reported only when no location has a token.
    let otherScheme: unknown
    for (const location of tokenLocation) {
      let token: string | undefined
      if (location === 'header') {
        try {
          token = extractFromHeader(headers)
        } catch (error) {
          if (
            !isJwtGuardError(error) ||
            error.code !== 'ERR_AUTH_SCHEME_UNSUPPORTED' ||
            tokenLocation.length === 1
          ) {
            throw error
          }
          otherScheme = error
        }
      } else if (location === 'cookies' && cookies !== undefined)
        token = readCookie(headers, cookies.accessName)
      else if (location === 'query' && meta?.url !== undefined) {
        const query = meta.url.indexOf('?')
        token =
          query === -1
            ? undefined
            : (new URLSearchParams(meta.url.slice(query + 1)).get(queryParam) ?? undefined)
      }
      if (token !== undefined && token !== '') return { token, fromCookie: location === 'cookies' }
    }
    if (otherScheme !== undefined) throw otherScheme
    return undefined
  }

  const refreshPath = refreshCookiePath(resolved.refreshPath, resolved.revokePath)

  /** Cookies that carry a freshly issued pair, or that clear every cookie (`tokens` undefined). */
  function sessionCookies(tokens: IssuedTokens | undefined, csrf: string | undefined): string[] | undefined {
    if (cookies === undefined) return undefined
    const set = (name: string, value: string | undefined, maxAge: number, path: string, httpOnly: boolean) =>
      serializeCookie(cookies, name, value ?? '', {
        maxAge: value === undefined ? 0 : maxAge,
        path,
        httpOnly,
      })
    const list = [set(cookies.accessName, tokens?.access_token, resolved.expiresIn, '/', true)]
    if (store !== undefined) {
      list.push(set(cookies.refreshName, tokens?.refresh_token, resolved.refreshExpiresIn, refreshPath, true))
      // A refresh cookie of an earlier version (path: the refresh route) would shadow this one there.
      if (resolved.refreshPath !== false && resolved.refreshPath !== refreshPath) {
        list.push(set(cookies.refreshName, undefined, 0, resolved.refreshPath, true))
      }
    }
    list.push(
      set(
        cookies.csrfName,
        csrf,
        store === undefined ? resolved.expiresIn : resolved.refreshExpiresIn,
        '/',
        false,
      ),
    )
    return list
  }

  /** The response of a login or refresh: tokens in the body (header mode), in cookies (cookie mode), or both. */
  function tokensResponse(
    tokens: IssuedTokens,
    csrf: string | undefined,
    body: unknown = tokens,
  ): HttpResponse {
    if (cookies === undefined) return sessionResponse(200, body)
    return sessionResponse(
      200,
      cookies.tokensInBody ? { ...(body as object), csrf_token: csrf } : { csrf_token: csrf },
      sessionCookies(tokens, csrf),
    )
  }

  function issue(
    context: Omit<IssueContext, 'withRefresh' | 'stamp'>,
    user: AuthenticatedUser,
    withRefresh = store !== undefined,
  ) {
    const handler =
      payloadHandler === undefined ? undefined : (defaults: JwtPayload) => payloadHandler(user, defaults)
    return issueTokens(resolved, { ...context, withRefresh, stamp: store !== undefined }, handler)
  }

  async function saveRefresh(
    issued: ReturnType<typeof issue>,
    identity: string | number,
    familyId: string,
  ): Promise<void> {
    if (store === undefined || issued.refresh === undefined) return
    await store.saveRefresh({
      id: issued.refresh.jti,
      familyId,
      identity: String(identity),
      issuedAt: issued.refresh.issuedAt,
      expiresAt: issued.refresh.exp + resolved.leeway,
    })
  }

  /** Throws when the access token was revoked, by jti or by a "log out everywhere" cut-off. */
  function assertNotRevoked(payload: JwtPayload, token: string): void {
    if (store === undefined) return
    const { view } = store
    if (view.isRevoked(revocationId(payload, token))) throw revoked()
    // The session (refresh family) of the token: logout, reuse detection or a revoked session.
    if (typeof payload.fam === 'string' && payload.fam !== '' && view.isFamilyRevoked(payload.fam)) {
      throw revoked()
    }
    const cutOff = view.revokedBefore(String(payload[identityClaim]))
    if (cutOff !== null && issuedInstant(payload) < cutOff) throw revoked()
    // The store's data was lost (Redis emptied): every token issued before is refused, fleet-wide.
    const everyone = view.revokedBeforeAll?.() ?? null
    if (everyone !== null && issuedInstant(payload) < everyone) throw revoked()
  }

  const { schema } = options
  async function identityOf(payload: JwtPayload): Promise<TIdentity> {
    const validated = schema === undefined ? undefined : await validateWithSchema(schema, payload)
    const identity = loadIdentity === undefined ? validated : await loadIdentity(payload)
    if (identity === null || identity === undefined) {
      throw new JwtGuardError('ERR_USER_NOT_FOUND', 'User does not exist')
    }
    return identity
  }

  function protect<TRequest>(
    protectOptions: ProtectOptions<TRequest> = {},
    mode: 'required' | 'optional' = 'required',
  ): ProtectedRoute<TIdentity, TRequest> {
    const requirements = compileRequirements(protectOptions)
    return {
      realm: requirements.realm ?? realm,
      resolve,
      authenticate(headers, request, meta) {
        try {
          return Promise.resolve(resolve(headers, request, meta))
        } catch (error) {
          return Promise.reject(error)
        }
      },
    }

    // The common case (a local key, a synchronous identity callback, no predicate) is synchronous
    // from end to end: no promise, no await, no microtask on the per-request path.
    function resolve(
      headers: HeaderSource,
      request: TRequest | undefined,
      meta: RequestMeta | undefined,
    ): AuthResult<TIdentity> | null | Promise<AuthResult<TIdentity> | null> {
      const found = findToken(headers, meta)
      if (found === undefined) {
        if (mode === 'optional') return null
        throw new JwtGuardError('ERR_TOKEN_MISSING', 'Request does not contain an access token')
      }
      if (verifyRemote !== undefined) return remoteAuthenticate(found, headers, request as TRequest, meta)
      const payload = verifyAccess(found.token, 'access')
      admit(payload, found, headers, meta)
      return settle(payload, request as TRequest)
    }

    async function remoteAuthenticate(
      found: { token: string; fromCookie: boolean },
      headers: HeaderSource,
      request: TRequest,
      meta: RequestMeta | undefined,
    ): Promise<AuthResult<TIdentity>> {
      const payload = await (verifyRemote as NonNullable<typeof verifyRemote>)(found.token, 'access')
      admit(payload, found, headers, meta)
      return settle(payload, request)
    }

    /** Identity, then the route's requirements; synchronous callbacks stay synchronous. */
    function settle(
      payload: JwtPayload,
      request: TRequest,
    ): AuthResult<TIdentity> | Promise<AuthResult<TIdentity>> {
      const loaded = schema === undefined && loadIdentity !== undefined ? loadIdentity(payload) : undefined
      const thenable = typeof (loaded as { then?: unknown } | null | undefined)?.then === 'function'
      if (schema !== undefined || thenable) {
        const identity = schema === undefined ? Promise.resolve(loaded) : identityOf(payload)
        return identity.then((value) => complete(payload, value as TIdentity | null | undefined, request))
      }
      return complete(payload, loaded as TIdentity | null | undefined, request)
    }

    function complete(
      payload: JwtPayload,
      identity: TIdentity | null | undefined,
      request: TRequest,
    ): AuthResult<TIdentity> | Promise<AuthResult<TIdentity>> {
      if (identity === null || identity === undefined) {
        throw new JwtGuardError('ERR_USER_NOT_FOUND', 'User does not exist')
      }
      const result = { identity, payload }
      const pending = requirements.check(payload, request)
      return pending === undefined ? result : pending.then(() => result)
    }
  }

  /** CSRF for cookie tokens, then revocation: what every verified access token must pass. */
  function admit(
    payload: JwtPayload,
    found: { token: string; fromCookie: boolean },
    headers: HeaderSource,
    meta: RequestMeta | undefined,
  ): void {
    if (found.fromCookie && cookies !== undefined) assertCsrf(cookies, headers, meta?.method, payload)
    assertNotRevoked(payload, found.token)
  }

  const defaultRoute = protect()

  /**
   * `authenticate`, and when it throws (its user store is down, say) the attempt `check` counted
   * is released: an outage is not a wrong password.
   */
  async function authenticateOrRelease(
    username: string,
    password: string,
    attempt: LoginAttempt | undefined,
  ) {
    try {
      return await authenticate(username, password)
    } catch (error) {
      if (attempt !== undefined) await limiter?.recordAborted?.(attempt).catch(() => undefined)
      throw error
    }
  }

  async function login(request: AuthRequest): Promise<HttpResponse> {
    const body = parseJsonObjectBody(request, resolved.bodyLimit)
    const username = body[resolved.usernameKey]
    const password = body[resolved.passwordKey]
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      username === '' ||
      password === '' ||
      Object.keys(body).length !== 2
    ) {
      throw new JwtGuardError('ERR_INVALID_CREDENTIALS', 'Invalid credentials')
    }
    let attempt: LoginAttempt | undefined
    if (limiter !== undefined) {
      attempt = {
        username,
        clientAddress: clientAddress(request.headers, request.remoteAddress, resolved.trustedProxies),
      }
      await limiter.check(attempt)
    }
    const user = await authenticateOrRelease(username, password, attempt)
    if (user === null || user === undefined) {
      if (attempt !== undefined) await limiter?.recordFailure(attempt)
      throw new JwtGuardError('ERR_INVALID_CREDENTIALS', 'Invalid credentials')
    }
    if (attempt !== undefined) await limiter?.recordSuccess(attempt)
    const id = userId(user)
    const familyId = randomUUID()
    const csrf = cookies === undefined ? undefined : newCsrfValue()
    const claims = customClaims(options, resolved, user)
    const issued = issue(
      { identity: id, fresh: true, familyId, claims: csrf === undefined ? claims : { ...claims, csrf } },
      user,
    )
    await saveRefresh(issued, id, familyId)
    const responseBody = options.authResponseHandler
      ? options.authResponseHandler(issued.tokens, user)
      : issued.tokens
    return tokensResponse(issued.tokens, csrf, responseBody)
  }

  function refreshTokenOf(body: Record<string, unknown>): string {
    const token = body.refresh_token
    if (typeof token !== 'string' || token === '') {
      throw new JwtGuardError('ERR_BODY_MALFORMED', 'Request body must be {"refresh_token": "<token>"}')
    }
    return token
  }

  /** The refresh token of a request: from the JSON body, else (cookie mode) from its cookie, CSRF-checked. */
  function requestRefreshPayload(request: AuthRequest): JwtPayload {
    const headers = request.headers ?? {}
    const cookie = cookies === undefined ? undefined : readCookie(headers, cookies.refreshName)
    const hasBody = request.body !== undefined && request.body.length > 0
    if (cookie !== undefined && cookies !== undefined && !hasBody) {
      const payload = verifyRefresh(cookie, 'refresh')
      assertCsrf(cookies, headers, 'POST', payload)
      return payload
    }
    return verifyRefresh(refreshTokenOf(parseJsonObjectBody(request, resolved.bodyLimit)), 'refresh')
  }

  async function refresh(request: AuthRequest): Promise<HttpResponse> {
    const activeStore = store as TokenStore
    const payload = requestRefreshPayload(request)
    const jti = payload.jti
    const familyId = payload.fam
    if (typeof jti !== 'string' || typeof familyId !== 'string') {
      throw new JwtGuardError('ERR_TOKEN_MALFORMED', 'Refresh token lacks its id or family')
    }
    await options.refreshLimiter?.check({
      familyId,
      clientAddress: clientAddress(request.headers, request.remoteAddress, resolved.trustedProxies),
    })
    const result = await activeStore.consumeRefresh(jti, now(), resolved.reuseInterval)
    switch (result.status) {
      case 'ok':
      case 'concurrent': // spent within reuseInterval: a sibling pair in the same family
        break
      case 'reused':
        // A spent token came back: it was stolen or replayed. End the whole session.
        await activeStore.revokeFamily(familyId, now() + resolved.refreshExpiresIn + resolved.leeway)
        throw revoked('Refresh token reuse detected: the session has been revoked')
      case 'unknown':
        throw revoked('Refresh token is unknown or expired')
      default:
        throw revoked()
    }
    await identityOf(payload)
    const user = await currentUser(payload)
    const id = userId(user)
    const csrf = cookies === undefined ? undefined : newCsrfValue()
    const claims = options.lookupUser === undefined ? {} : customClaims(options, resolved, user)
    const issued = issue(
      { identity: id, fresh: false, familyId, claims: csrf === undefined ? claims : { ...claims, csrf } },
      user,
    )
    await saveRefresh(issued, id, familyId)
    return tokensResponse(issued.tokens, csrf)
  }

  /**
   * Log out: revokes the access token (when one is sent) and the families of the access and the
   * refresh token. Either suffices: a browser idle past the access token's lifetime holds only
   * the refresh cookie. A refresh token from a cookie needs the CSRF header.
   */
  /**
   * The user a refresh issues for, as it is now: `lookupUser` asks the user store (null: removed
   * or disabled, refused), else only the identity is kept. Claims are never copied from the token.
   */
  async function currentUser(payload: JwtPayload): Promise<AuthenticatedUser> {
    const id = payload[identityClaim]
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new JwtGuardError('ERR_CLAIM_INVALID', 'Refresh token lacks an identity', {
        claim: identityClaim,
      })
    }
    if (options.lookupUser === undefined) return { id }
    const user = await options.lookupUser(id)
    if (user === null || user === undefined || String(userId(user)) !== String(id)) {
      throw new JwtGuardError('ERR_USER_NOT_FOUND', 'User does not exist')
    }
    return user
  }

  async function revoke(request: AuthRequest): Promise<HttpResponse> {
    const activeStore = store as TokenStore
    const headers = request.headers ?? {}
    const hasBody = request.body !== undefined && request.body.length > 0
    const body = hasBody ? parseJsonObjectBody(request, resolved.bodyLimit) : {}
    const refreshPayload = revokedRefreshPayload(headers, body)
    const access = await revokedAccess(headers, refreshPayload !== undefined)
    if (access === undefined && refreshPayload === undefined) {
      throw new JwtGuardError('ERR_TOKEN_MISSING', 'Request does not contain an access token')
    }
    if (
      access !== undefined &&
      refreshPayload !== undefined &&
      String(refreshPayload[identityClaim]) !== String(access.payload[identityClaim])
    ) {
      throw new JwtGuardError('ERR_TOKEN_TYPE_INVALID', 'Refresh token belongs to another identity')
    }
    const families = new Set<string>()
    for (const payload of [access?.payload, refreshPayload]) {
      if (typeof payload?.fam === 'string' && payload.fam !== '') families.add(payload.fam)
    }
    const at = now()
    if (access !== undefined) {
      await activeStore.revoke(
        revocationId(access.payload, access.token),
        (access.payload.exp ?? at) + resolved.leeway,
      )
    }
    for (const familyId of families) {
      await activeStore.revokeFamily(familyId, at + resolved.refreshExpiresIn + resolved.leeway)
    }
    return sessionResponse(204, null, sessionCookies(undefined, undefined))
  }

  /** The refresh token a logout names: in the body, else (cookie mode) its cookie, CSRF-checked. */
  function revokedRefreshPayload(
    headers: HeaderSource,
    body: Record<string, unknown>,
  ): JwtPayload | undefined {
    if (body.refresh_token !== undefined) return verifyRefresh(refreshTokenOf(body), 'refresh')
    const cookie = cookies === undefined ? undefined : readCookie(headers, cookies.refreshName)
    if (cookie === undefined || cookies === undefined) return undefined
    const payload = verifyRefresh(cookie, 'refresh')
    assertCsrf(cookies, headers, 'POST', payload)
    return payload
  }

  /**
   * The access token a logout revokes, verified like any protected request. Next to a refresh
   * token, an expired or already revoked one is passed over: there is nothing left to revoke.
   */
  async function revokedAccess(
    headers: HeaderSource,
    withRefresh: boolean,
  ): Promise<{ token: string; payload: JwtPayload } | undefined> {
    const meta = { method: 'POST' }
    const token = findToken(headers, meta)?.token
    if (token === undefined) return undefined
    try {
      const result = await defaultRoute.authenticate(headers, undefined, meta)
      return result === null ? undefined : { token, payload: result.payload }
    } catch (error) {
      const spent = isJwtGuardError(error) && ['ERR_TOKEN_EXPIRED', 'ERR_TOKEN_REVOKED'].includes(error.code)
      if (withRefresh && spent) return undefined
      throw error
    }
  }

  const routes: AuthRoute[] = []
  const publishesKeys =
    remoteJwks === undefined &&
    resolved.jwksPath !== false &&
    toJwks(resolved.verificationKeys as KeyStore | readonly JwtKey[]).keys.length > 0
  if (publishesKeys && resolved.jwksPath !== false) {
    const keys = resolved.verificationKeys as KeyStore | readonly JwtKey[]
    routes.push({ method: 'GET', path: resolved.jwksPath, handle: async () => jwksResponse(keys) })
  }
  // Each token route's backend calls (limiter, user store, token store) share one deadline.
  if (resolved.authPath !== false)
    routes.push({ method: 'POST', path: resolved.authPath, handle: withRequestDeadline(login) })
  if (store !== undefined) {
    if (resolved.refreshPath !== false)
      routes.push({ method: 'POST', path: resolved.refreshPath, handle: withRequestDeadline(refresh) })
    if (resolved.revokePath !== false)
      routes.push({ method: 'POST', path: resolved.revokePath, handle: withRequestDeadline(revoke) })
  }

  return {
    options: resolved,
    routes,
    store,
    createAccessToken: (user) =>
      issue(
        { identity: userId(user), fresh: true, familyId: '', claims: customClaims(options, resolved, user) },
        user,
        false,
      ).tokens.access_token,
    verify: (token) => verifyAccess(token, 'access'),
    protect,
    async authenticateRequest(headers) {
      return (await defaultRoute.authenticate(headers)) as AuthResult<TIdentity>
    },
    async revokeAllFor(identity, before = now()) {
      if (store === undefined) throw new TypeError('revokeAllFor needs a token store: set the store option')
      const cutOff = cutOffInstant(before)
      await store.revokeAllFor(String(identity), cutOff, cutOff + resolved.refreshExpiresIn + resolved.leeway)
    },
    jwks() {
      if (remoteJwks !== undefined) return undefined
      const keys = resolved.verificationKeys as KeyStore | readonly JwtKey[]
      return toJwks(keys).keys.length === 0 ? undefined : jwksResponse(keys)
    },
    errorResponse(error, routeRealm = realm) {
      const response = errorResponse(error, { scheme: headerPrefix, realm: routeRealm })
      return options.errorHandler ? options.errorHandler(response, error) : response
    },
    // Without currentIdentity(), no AsyncLocalStorage: its promise hooks would tax every request.
    runWithIdentity: resolved.currentIdentity ? runWithIdentity : (_identity, callback) => callback(),
    currentIdentity: () => currentIdentity<TIdentity>(),
    methodNotAllowed: (allow) =>
      new JwtGuardError('ERR_METHOD_NOT_ALLOWED', 'The method is not allowed for the requested URL.', {
        allow,
      }),
    notFound: () =>
      new JwtGuardError('ERR_ROUTE_NOT_FOUND', 'The requested URL was not found on the server.'),
  }
}
