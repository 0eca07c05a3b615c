/**
 * The auth object: Flask-JWT's `JWT(app, authenticate, identity)` without the app. It issues,
 * verifies, refreshes and revokes tokens, handles the auth routes and renders errors; the
 * adapters only translate.
 *
 * This module only wires the parts: the request pipeline (`guard/pipeline.ts`), the token routes
 * (`auth-routes/`), the issuer, the verifiers and the session responses.
 *
 * @module
 */
import type { TokenStore } from '../stores/types.js'
import { authRoutes } from './auth-routes/index.js'
import { publishedKeys } from './auth-routes/jwks.js'
import { createRefreshTokenReader } from './auth-routes/refresh-token.js'
import { currentIdentity, enableCurrentIdentity, runWithIdentity } from './context.js'
import {
  createDpopBinder,
  createDpopGate,
  createDpopVerifier,
  type DpopBinder,
  type DpopGate,
  resolveDpop,
} from './dpop/index.js'
import { failure } from './failures.js'
import { createIdentityLoader, type IdentityLoader } from './guard/identity.js'
import { createIdentityCache, type IdentityCache } from './guard/identity-cache.js'
import { createSessionIssuer } from './guard/issuer.js'
import { createProtect } from './guard/pipeline.js'
import { createRevocationCheck } from './guard/revocation.js'
import { createSessionResponses } from './guard/session-response.js'
import { createSessionList } from './guard/sessions.js'
import { createTokenFinder, type TokenFinder } from './guard/token-finder.js'
import type { AuthResult, AuthRoute, JwtGuard, ProtectedRoute } from './guard/types.js'
import { createVerifiers, type Verifiers } from './guard/verifiers.js'
import { errorResponse } from './http.js'
import { cutOffInstant, userId } from './issue.js'
import type { IssuerOptions, JwtGuardOptions } from './options.js'
import { type ResolvedIssuerOptions, type ResolvedOptions, resolveOptions } from './resolve-options.js'

export type {
  AuthResult,
  AuthRoute,
  IdentityOf,
  JwtGuard,
  ProtectedRoute,
  RequestMeta,
} from './guard/types.js'
export type { ProtectOptions } from './protect.js'

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
  const { store } = options
  const verifiers = createVerifiers(resolved)
  const findToken = createTokenFinder(resolved, options.tokenExtractor)
  const { loadIdentity, identityCache } = identityParts(options, resolved)
  const dpopSettings = resolveDpop(options.dpop)
  const dpopVerifier =
    dpopSettings === undefined
      ? undefined
      : createDpopVerifier(dpopSettings, { store, now: resolved.now, leeway: resolved.leeway })
  const dpop = createDpopGate(dpopVerifier)
  const protect = createProtect<TIdentity>({
    findToken,
    verify: verifiers.remote === undefined ? { local: verifiers.access } : { remote: verifiers.remote },
    cookies: resolved.cookies,
    checkRevocation: createRevocationCheck(store, resolved.identityClaim),
    loadIdentity,
    realm: resolved.realm,
    claims: { roleClaims: resolved.roleClaims, scopeClaims: resolved.scopeClaims },
    dpop,
  })
  const defaultRoute = protect()
  const issuing =
    resolved.mode === 'issuer'
      ? issuerParts(resolved, options as IssuerOptions<TIdentity>, {
          verifiers,
          findToken,
          loadIdentity,
          defaultRoute,
          dpop: createDpopBinder(dpopVerifier),
          dpopFind: dpop.find,
        })
      : undefined
  const { realm, headerSchemes } = resolved
  const scheme = headerSchemes.length === 1 ? (headerSchemes[0] as string) : headerSchemes
  const longest = resolved.mode === 'issuer' ? resolved.refreshExpiresIn : resolved.maxTokenAge
  const sessionList = createSessionList(store, { now: resolved.now, keepRevoked: longest + resolved.leeway })
  return {
    options: resolved,
    routes: issuing?.routes ?? [],
    store,
    dpop: dpopSettings,
    createAccessToken(user) {
      if (issuing === undefined)
        throw new TypeError('this guard verifies tokens from a remote JWKS: it cannot issue tokens')
      return issuing.accessToken(user)
    },
    verify: (token) => verifiers.access(token, 'access'),
    protect,
    authenticateRequest: async (headers) =>
      (await defaultRoute.authenticate(headers)) as AuthResult<TIdentity>,
    async revokeAllFor(identity, before = resolved.now()) {
      if (store === undefined) throw new TypeError('revokeAllFor needs a token store: set the store option')
      // At once on this instance; other instances see the new cut-off in the store's view.
      identityCache?.forget(identity)
      const cutOff = cutOffInstant(before)
      await store.revokeAllFor(String(identity), cutOff, cutOff + longest + resolved.leeway)
    },
    sessions: sessionList.sessions,
    revokeSession: sessionList.revokeSession,
    jwks: () => (resolved.mode === 'issuer' ? publishedKeys(resolved.verificationKeys) : undefined),
    errorResponse(error, routeRealm = realm) {
      const response = errorResponse(error, { scheme, realm: routeRealm, dpopAlgs: dpop.algs })
      return options.errorHandler ? options.errorHandler(response, error) : response
    },
    // Without currentIdentity(), no AsyncLocalStorage: its promise hooks would tax every request.
    runWithIdentity: resolved.currentIdentity ? runWithIdentity : (_identity, callback) => callback(),
    currentIdentity: () => currentIdentity<TIdentity>(),
    methodNotAllowed: (allow) => failure('methodNotAllowed', { allow }),
    notFound: () => failure('routeNotFound'),
  }
}

/** The identity loader, through the identity cache when it is on. */
function identityParts<TIdentity>(
  options: JwtGuardOptions<TIdentity>,
  resolved: ResolvedOptions,
): { loadIdentity: IdentityLoader<TIdentity>; identityCache: IdentityCache<TIdentity> | undefined } {
  const { identity, store } = options
  // resolveOptions refused an identity cache without a store or an identity callback.
  const identityCache =
    resolved.identityCache === undefined || store === undefined || identity === undefined
      ? undefined
      : createIdentityCache(identity, {
          ...resolved.identityCache,
          identityClaim: resolved.identityClaim,
          now: resolved.now,
          view: store.view,
        })
  return {
    loadIdentity: createIdentityLoader(
      identityCache?.identity ?? identity,
      options.schema,
      resolved.mode === 'resource-server' && resolved.profile === 'rfc9068',
    ),
    identityCache,
  }
}

interface Shared<TIdentity> {
  verifiers: Verifiers
  findToken: TokenFinder
  loadIdentity: IdentityLoader<TIdentity>
  defaultRoute: ProtectedRoute<TIdentity>
  dpop: DpopBinder
  dpopFind: DpopGate['find']
}

/** An issuer's routes and `createAccessToken`, wired from its options. */
function issuerParts<TIdentity>(
  resolved: ResolvedIssuerOptions,
  options: IssuerOptions<TIdentity>,
  shared: Shared<TIdentity>,
): { routes: AuthRoute[]; accessToken: JwtGuard<TIdentity>['createAccessToken'] } {
  const store: TokenStore | undefined = options.store
  const issuer = createSessionIssuer(resolved, options, store)
  const responses = createSessionResponses(resolved, store !== undefined)
  const verifyRefresh = shared.verifiers.refresh
  const refreshTokens =
    verifyRefresh === undefined ? undefined : createRefreshTokenReader(verifyRefresh, resolved.cookies)
  const routes = authRoutes({
    options: resolved,
    keys: resolved.verificationKeys,
    login: { options: resolved, callbacks: options, issuer, responses, dpop: shared.dpop },
    session:
      store === undefined || refreshTokens === undefined
        ? undefined
        : {
            refresh: {
              options: resolved,
              store,
              refreshTokens,
              loadIdentity: shared.loadIdentity,
              limiter: options.refreshLimiter,
              issuer,
              responses,
              dpop: shared.dpop,
            },
            revoke: {
              options: resolved,
              store,
              refreshTokens,
              // A bound access token is logged out with the DPoP scheme and a proof.
              findToken: (headers, meta) => shared.dpopFind(headers) ?? shared.findToken(headers, meta),
              accessRoute: shared.defaultRoute,
              responses,
            },
          },
  })
  const accessToken = (user: Parameters<JwtGuard<TIdentity>['createAccessToken']>[0]) =>
    issuer.issue(
      user,
      { identity: userId(user), fresh: true, familyId: '', claims: issuer.claimsOf(user) },
      false,
    ).tokens.access_token
  return { routes, accessToken }
}
