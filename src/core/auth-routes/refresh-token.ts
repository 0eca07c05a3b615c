/**
 * The refresh token a request carries: in the JSON body as `refresh_token`, or (cookie mode) in
 * the refresh cookie, which then needs the CSRF header. Verified as a refresh token.
 *
 * @module
 */
import type { JwtPayload } from '../claims.js'
import { assertCsrf, type ResolvedCookies, readCookie } from '../cookies.js'
import type { HeaderSource } from '../extract.js'
import { failure } from '../failures.js'
import type { VerifyFunction } from '../verify.js'

/** Reads and verifies refresh tokens for the refresh and revoke routes. */
export interface RefreshTokenReader {
  /** The body's `refresh_token` (400 when absent or not a string). */
  fromBody(body: Record<string, unknown>): JwtPayload
  /** The refresh cookie, CSRF-checked; `undefined` without one. */
  fromCookie(headers: HeaderSource): JwtPayload | undefined
}

export function createRefreshTokenReader(
  verifyRefresh: VerifyFunction,
  cookies: ResolvedCookies | undefined,
): RefreshTokenReader {
  return {
    fromBody(body) {
      const token = body.refresh_token
      if (typeof token !== 'string' || token === '') throw failure('refreshBody')
      return verifyRefresh(token, 'refresh')
    },
    fromCookie(headers) {
      const cookie = cookies === undefined ? undefined : readCookie(headers, cookies.refreshName)
      if (cookie === undefined || cookies === undefined) return undefined
      const payload = verifyRefresh(cookie, 'refresh')
      assertCsrf(cookies, headers, 'POST', payload)
      return payload
    },
  }
}

/** Whether the request has a body at all (an empty body is none). */
export const hasBody = (request: { body?: { length: number } | undefined }): boolean =>
  request.body !== undefined && request.body.length > 0
