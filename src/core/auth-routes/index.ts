/**
 * The routes an issuer mounts: `/auth`, and with a store `/auth/refresh` and `/auth/revoke`; the
 * JWKS when its keys are public. Each token route's backend calls (limiter, user store, token
 * store) share one deadline.
 *
 * @module
 */
import { withRequestDeadline } from '../deadline.js'
import type { AuthRoute } from '../guard/types.js'
import type { JwtKey } from '../keys.js'
import type { KeyStore } from '../keystore.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'
import { jwksRoute, publishedKeys } from './jwks.js'
import { type LoginParts, loginRoute } from './login.js'
import { type RefreshParts, refreshRoute } from './refresh.js'
import { type RevokeParts, revokeRoute } from './revoke.js'

/** What the routes are built from; `refresh` and `revoke` only with a store. */
export interface AuthRouteParts {
  options: Pick<ResolvedIssuerOptions, 'authPath' | 'refreshPath' | 'revokePath' | 'jwksPath'>
  keys: KeyStore | readonly JwtKey[]
  login: LoginParts
  session: { refresh: RefreshParts; revoke: RevokeParts } | undefined
}

/** The issuer's routes, in mounting order. */
export function authRoutes(parts: AuthRouteParts): AuthRoute[] {
  const { authPath, refreshPath, revokePath, jwksPath } = parts.options
  const routes: AuthRoute[] = []
  if (jwksPath !== false && publishedKeys(parts.keys) !== undefined)
    routes.push(jwksRoute(jwksPath, parts.keys))
  if (authPath !== false) routes.push(withDeadline(loginRoute(authPath, parts.login)))
  if (parts.session !== undefined) {
    if (refreshPath !== false) routes.push(withDeadline(refreshRoute(refreshPath, parts.session.refresh)))
    if (revokePath !== false) routes.push(withDeadline(revokeRoute(revokePath, parts.session.revoke)))
  }
  return routes
}

const withDeadline = (route: AuthRoute): AuthRoute => ({
  ...route,
  handle: withRequestDeadline(route.handle),
})
