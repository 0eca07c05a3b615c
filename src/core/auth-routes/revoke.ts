/**
 * `POST /auth/revoke`: log out. Revokes the access token (when one is sent) and the families of
 * the access and the refresh token. Either suffices: a browser idle past the access token's
 * lifetime holds only the refresh cookie. A refresh token from a cookie needs the CSRF header.
 *
 * @module
 */
import type { TokenStore } from '../../stores/types.js'
import { type AuthRequest, parseJsonObjectBody } from '../body.js'
import type { JwtPayload } from '../claims.js'
import { isJwtGuardError } from '../errors.js'
import type { HeaderSource } from '../extract.js'
import { failure } from '../failures.js'
import { revocationId } from '../guard/revocation.js'
import type { SessionResponses } from '../guard/session-response.js'
import type { TokenFinder } from '../guard/token-finder.js'
import type { AuthRoute, ProtectedRoute, RequestMeta } from '../guard/types.js'
import type { HttpResponse } from '../http.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'
import { hasBody, type RefreshTokenReader } from './refresh-token.js'

/** What the revoke route is built from. */
export interface RevokeParts {
  options: Pick<ResolvedIssuerOptions, 'bodyLimit' | 'now' | 'leeway' | 'refreshExpiresIn' | 'identityClaim'>
  store: TokenStore
  refreshTokens: RefreshTokenReader
  findToken: TokenFinder
  /** The guard's default protected route: the access token is checked as any request's. */
  accessRoute: ProtectedRoute<unknown>
  responses: SessionResponses
}

/** The revoke route at `path`. */
export function revokeRoute(path: string, parts: RevokeParts): AuthRoute {
  return {
    name: 'revoke',
    method: 'POST',
    path,
    failures: ['tokenMissing', 'otherIdentity', 'revoked', 'expired'],
    handle: (request) => revoke(request, parts, path),
  }
}

async function revoke(request: AuthRequest, parts: RevokeParts, path: string): Promise<HttpResponse> {
  const { options, store } = parts
  const headers = request.headers ?? {}
  const body = hasBody(request) ? parseJsonObjectBody(request, options.bodyLimit) : {}
  const refresh =
    body.refresh_token !== undefined
      ? parts.refreshTokens.fromBody(body)
      : parts.refreshTokens.fromCookie(headers)
  // The URL is the one a DPoP proof of a bound access token names.
  const meta = { method: 'POST', url: request.url ?? path }
  const access = await accessToRevoke(parts, headers, refresh !== undefined, meta)
  if (access === undefined && refresh === undefined) throw failure('tokenMissing')
  const { identityClaim } = options
  if (access !== undefined && refresh !== undefined) {
    if (String(refresh[identityClaim]) !== String(access.payload[identityClaim]))
      throw failure('otherIdentity')
  }
  const at = options.now()
  if (access !== undefined) {
    await store.revoke(
      revocationId(access.payload, access.token),
      (access.payload.exp ?? at) + options.leeway,
    )
  }
  for (const familyId of familiesOf(access?.payload, refresh)) {
    await store.revokeFamily(familyId, at + options.refreshExpiresIn + options.leeway)
  }
  return parts.responses.ended()
}

function familiesOf(...payloads: (JwtPayload | undefined)[]): Set<string> {
  const families = new Set<string>()
  for (const payload of payloads) {
    if (typeof payload?.fam === 'string' && payload.fam !== '') families.add(payload.fam)
  }
  return families
}

/**
 * The access token a logout revokes, verified like any protected request. Next to a refresh
 * token, an expired or already revoked one is passed over: there is nothing left to revoke.
 */
async function accessToRevoke(
  parts: RevokeParts,
  headers: HeaderSource,
  withRefresh: boolean,
  meta: RequestMeta,
): Promise<{ token: string; payload: JwtPayload } | undefined> {
  const token = parts.findToken(headers, meta)?.token
  if (token === undefined) return undefined
  try {
    const result = await parts.accessRoute.authenticate(headers, undefined, meta)
    return result === null ? undefined : { token, payload: result.payload }
  } catch (error) {
    const spent = isJwtGuardError(error) && ['ERR_TOKEN_EXPIRED', 'ERR_TOKEN_REVOKED'].includes(error.code)
    if (withRefresh && spent) return undefined
    throw error
  }
}
