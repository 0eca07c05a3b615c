/**
 * The responses that start, renew or end a session: tokens in the body (header mode), in HttpOnly
 * cookies with the readable CSRF cookie (cookie mode), or both; and the cookies a logout clears.
 *
 * @module
 */
import { serializeCookie } from '../cookies.js'
import { type HttpResponse, sessionResponse } from '../http.js'
import type { IssuedTokens } from '../issue.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'

/** What the token routes answer. */
export interface SessionResponses {
  /** The response of a login or refresh; `body` defaults to the tokens. */
  issued(tokens: IssuedTokens, csrf: string | undefined, body?: unknown): HttpResponse
  /** The `204` of a logout, clearing every session cookie. */
  ended(): HttpResponse
}

/**
 * The refresh cookie's path: the deepest path covering the refresh and the revoke routes, so a
 * browser holding only that cookie can still log out (`/auth` for the default routes).
 */
export function refreshCookiePath(refreshPath: string | false, revokePath: string | false): string {
  if (refreshPath === false) return '/'
  if (revokePath === false) return refreshPath
  const a = refreshPath.split('/')
  const b = revokePath.split('/')
  let shared = 0
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++
  return a.slice(0, shared).join('/') || '/'
}

/** The session responses of an issuer; `withRefresh` when a store makes refresh tokens. */
export function createSessionResponses(
  options: ResolvedIssuerOptions,
  withRefresh: boolean,
): SessionResponses {
  const { cookies } = options
  const refreshPath = refreshCookiePath(options.refreshPath, options.revokePath)

  /** Cookies that carry a freshly issued pair, or that clear every cookie (`tokens` undefined). */
  function sessionCookies(tokens: IssuedTokens | undefined, csrf: string | undefined): string[] | undefined {
    if (cookies === undefined) return undefined
    const set = (name: string, value: string | undefined, maxAge: number, path: string, httpOnly: boolean) =>
      serializeCookie(cookies, name, value ?? '', {
        maxAge: value === undefined ? 0 : maxAge,
        path,
        httpOnly,
      })
    const list = [set(cookies.accessName, tokens?.access_token, options.expiresIn, '/', true)]
    if (withRefresh) {
      list.push(set(cookies.refreshName, tokens?.refresh_token, options.refreshExpiresIn, refreshPath, true))
      // A refresh cookie of an earlier version (path: the refresh route) would shadow this one there.
      if (options.refreshPath !== false && options.refreshPath !== refreshPath) {
        list.push(set(cookies.refreshName, undefined, 0, options.refreshPath, true))
      }
    }
    const csrfLifetime = withRefresh ? options.refreshExpiresIn : options.expiresIn
    list.push(set(cookies.csrfName, csrf, csrfLifetime, '/', false))
    return list
  }

  return {
    issued(tokens, csrf, body = tokens) {
      if (cookies === undefined) return sessionResponse(200, body)
      return sessionResponse(
        200,
        cookies.tokensInBody ? { ...(body as object), csrf_token: csrf } : { csrf_token: csrf },
        sessionCookies(tokens, csrf),
      )
    },
    ended: () => sessionResponse(204, null, sessionCookies(undefined, undefined)),
  }
}
