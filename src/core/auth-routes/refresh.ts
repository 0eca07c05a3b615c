/**
 * `POST /auth/refresh`: rotation. The refresh token is spent; a spent token sent again (outside
 * `reuseInterval`) is theft or replay and ends its whole session. The new pair is issued for the
 * user as it is now (`lookupUser`), never from the old token's claims.
 *
 * @module
 */
import type { TokenStore } from '../../stores/types.js'
import type { AuthRequest } from '../body.js'
import { parseJsonObjectBody } from '../body.js'
import type { JwtPayload } from '../claims.js'
import { failure } from '../failures.js'
import type { IdentityLoader } from '../guard/identity.js'
import type { SessionIssuer } from '../guard/issuer.js'
import type { SessionResponses } from '../guard/session-response.js'
import type { AuthRoute } from '../guard/types.js'
import type { HttpResponse } from '../http.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'
import { clientAddress, type RefreshLimiter } from '../throttle.js'
import { hasBody, type RefreshTokenReader } from './refresh-token.js'

/** What the refresh route is built from. */
export interface RefreshParts {
  options: Pick<
    ResolvedIssuerOptions,
    'bodyLimit' | 'now' | 'reuseInterval' | 'refreshExpiresIn' | 'leeway' | 'trustedProxies'
  >
  store: TokenStore
  refreshTokens: RefreshTokenReader
  /** The guard's identity check: a refresh is refused for a token whose identity no longer loads. */
  loadIdentity: IdentityLoader<unknown>
  limiter: RefreshLimiter | undefined
  issuer: SessionIssuer
  responses: SessionResponses
}

/** The refresh route at `path`. */
export function refreshRoute(path: string, parts: RefreshParts): AuthRoute {
  return {
    name: 'refresh',
    method: 'POST',
    path,
    failures: ['refreshReused', 'refreshUnknown', 'expectedRefresh', 'refreshBody', 'userNotFound'],
    handle: (request) => refresh(request, parts),
  }
}

async function refresh(request: AuthRequest, parts: RefreshParts): Promise<HttpResponse> {
  const { options, issuer } = parts
  const payload = presentedToken(request, parts)
  const { jti, fam: familyId } = payload
  if (typeof jti !== 'string' || typeof familyId !== 'string') throw failure('refreshIncomplete')
  await parts.limiter?.check({
    familyId,
    clientAddress: clientAddress(request.headers, request.remoteAddress, options.trustedProxies),
  })
  await spend(parts, jti, familyId)
  await parts.loadIdentity(payload)
  const user = await issuer.currentUser(payload)
  const { tokens, csrf } = await issuer.issueSession(user, { fresh: false, familyId })
  return parts.responses.issued(tokens, csrf)
}

/** The refresh token of a request: from the JSON body, else (cookie mode) from its cookie. */
function presentedToken(request: AuthRequest, parts: RefreshParts): JwtPayload {
  if (!hasBody(request)) {
    const fromCookie = parts.refreshTokens.fromCookie(request.headers ?? {})
    if (fromCookie !== undefined) return fromCookie
  }
  return parts.refreshTokens.fromBody(parseJsonObjectBody(request, parts.options.bodyLimit))
}

/** Spends the token; reuse revokes the family (the whole session) and refuses. */
async function spend(parts: RefreshParts, jti: string, familyId: string): Promise<void> {
  const { store, options } = parts
  const result = await store.consumeRefresh(jti, options.now(), options.reuseInterval)
  switch (result.status) {
    case 'ok':
    case 'concurrent': // spent within reuseInterval: a sibling pair in the same family
      return
    case 'reused':
      // A spent token came back: it was stolen or replayed. End the whole session.
      await store.revokeFamily(familyId, options.now() + options.refreshExpiresIn + options.leeway)
      throw failure('refreshReused')
    case 'unknown':
      throw failure('refreshUnknown')
    default:
      throw failure('revoked')
  }
}
