/**
 * The request pipeline of a protected route: find the token → verify it (signature, then claims)
 * → CSRF when it came from a cookie → revocation → identity → the route's requirements.
 *
 * Synchronous from end to end in the common case (a local key, a synchronous `identity`, no
 * predicate): no promise, no await, no microtask on the per-request path.
 *
 * @module
 */
import type { JwtPayload } from '../claims.js'
import { assertCsrf, type ResolvedCookies } from '../cookies.js'
import type { HeaderSource } from '../extract.js'
import { failure } from '../failures.js'
import { compileRequirements, type ProtectOptions, type RequirementClaims } from '../protect.js'
import type { AsyncVerifyFunction } from '../remote-jwks.js'
import type { VerifyFunction } from '../verify.js'
import type { IdentityLoader } from './identity.js'
import type { RevocationCheck } from './revocation.js'
import type { FoundToken, TokenFinder } from './token-finder.js'
import type { AuthResult, ProtectedRoute, RequestMeta } from './types.js'

/** What the pipeline is built from. */
export interface PipelineParts<TIdentity> {
  findToken: TokenFinder
  /** The verifier of access tokens: a local one (synchronous) or a remote JWKS's. */
  verify: { local: VerifyFunction } | { remote: AsyncVerifyFunction }
  cookies: ResolvedCookies | undefined
  checkRevocation: RevocationCheck
  loadIdentity: IdentityLoader<TIdentity>
  /** The guard's realm, for routes that set none. */
  realm: string
  /** The claims the `roles` and `scopes` requirements read. */
  claims?: RequirementClaims | undefined
}

/** Compiles a protected route: its requirements once, its pipeline per request. */
export type Protect<TIdentity> = <TRequest>(
  options?: ProtectOptions<TRequest>,
  mode?: 'required' | 'optional',
) => ProtectedRoute<TIdentity, TRequest>

type Outcome<TIdentity> = AuthResult<TIdentity> | Promise<AuthResult<TIdentity>>

/** The `protect` of a guard. */
export function createProtect<TIdentity>(parts: PipelineParts<TIdentity>): Protect<TIdentity> {
  const { findToken, cookies, checkRevocation, loadIdentity } = parts
  const local = 'local' in parts.verify ? parts.verify.local : undefined
  const remote = 'remote' in parts.verify ? parts.verify.remote : undefined

  /** CSRF for cookie tokens, then revocation: what every verified access token must pass. */
  function admit(
    payload: JwtPayload,
    found: FoundToken,
    headers: HeaderSource,
    meta: RequestMeta | undefined,
  ) {
    if (found.fromCookie && cookies !== undefined) assertCsrf(cookies, headers, meta?.method, payload)
    checkRevocation(payload, found.token)
  }

  return function protect<TRequest>(
    options: ProtectOptions<TRequest> = {},
    mode: 'required' | 'optional' = 'required',
  ): ProtectedRoute<TIdentity, TRequest> {
    const requirements = compileRequirements(options, parts.claims)

    /** Identity, then the route's requirements; synchronous callbacks stay synchronous. */
    function settle(payload: JwtPayload, request: TRequest): Outcome<TIdentity> {
      const identity = loadIdentity(payload)
      if (identity instanceof Promise) return identity.then((loaded) => complete(payload, loaded, request))
      return complete(payload, identity, request)
    }

    function complete(payload: JwtPayload, identity: TIdentity, request: TRequest): Outcome<TIdentity> {
      const result = { identity, payload }
      const pending = requirements.check(payload, request)
      return pending === undefined ? result : pending.then(() => result)
    }

    async function viaRemote(
      found: FoundToken,
      headers: HeaderSource,
      request: TRequest,
      meta?: RequestMeta,
    ) {
      const payload = await (remote as AsyncVerifyFunction)(found.token, 'access')
      admit(payload, found, headers, meta)
      return settle(payload, request)
    }

    function resolve(
      headers: HeaderSource,
      request?: TRequest,
      meta?: RequestMeta,
    ): AuthResult<TIdentity> | null | Promise<AuthResult<TIdentity> | null> {
      const found = findToken(headers, meta)
      if (found === undefined) {
        if (mode === 'optional') return null
        throw failure('tokenMissing')
      }
      if (local === undefined) return viaRemote(found, headers, request as TRequest, meta)
      const payload = local(found.token, 'access')
      admit(payload, found, headers, meta)
      return settle(payload, request as TRequest)
    }

    return {
      realm: requirements.realm ?? parts.realm,
      resolve,
      authenticate(headers: HeaderSource, request?: TRequest, meta?: RequestMeta) {
        try {
          return Promise.resolve(resolve(headers, request, meta))
        } catch (error) {
          return Promise.reject(error)
        }
      },
    }
  }
}
