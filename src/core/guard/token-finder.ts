/**
 * Where a request's access token is: the locations of `tokenLocation`, in order (the
 * Authorization header, the access cookie, the query parameter).
 *
 * @module
 */
import { readCookie } from '../cookies.js'
import { isJwtGuardError } from '../errors.js'
import { type HeaderSource, readHeader, tokenFromAuthorization } from '../extract.js'
import type { ResolvedCommonOptions } from '../resolve-options.js'
import type { RequestMeta } from './types.js'

/** A token and whether it came from the cookie (which then needs the CSRF check). */
export interface FoundToken {
  token: string
  fromCookie: boolean
}

/** Finds the access token of a request; `undefined` when no location holds one. */
export type TokenFinder = (headers: HeaderSource, meta: RequestMeta | undefined) => FoundToken | undefined

/** The finder for the guard's `tokenLocation`, with `tokenExtractor` in place of the header's own. */
export function createTokenFinder(
  options: Pick<ResolvedCommonOptions, 'tokenLocation' | 'cookies' | 'queryParam' | 'headerSchemes'>,
  tokenExtractor: ((headers: HeaderSource) => string | undefined) | undefined,
): TokenFinder {
  const { tokenLocation, cookies, queryParam, headerSchemes } = options
  // One scheme (the common case) is passed as a string: the header's fast path compares it once.
  const schemes = headerSchemes.length === 1 ? (headerSchemes[0] as string) : headerSchemes
  const fromHeader =
    tokenExtractor ??
    ((headers: HeaderSource) => tokenFromAuthorization(readHeader(headers, 'authorization'), schemes))
  const read = (location: string, headers: HeaderSource, meta: RequestMeta | undefined) => {
    if (location === 'header') return fromHeader(headers)
    if (location === 'cookies')
      return cookies === undefined ? undefined : readCookie(headers, cookies.accessName)
    return meta?.url === undefined ? undefined : fromQuery(meta.url, queryParam)
  }
  return (headers, meta) => {
    // An Authorization header of another scheme (a proxy's Basic, say) does not hide a token in
    // a later location; it is reported only when no location has a token.
    let otherScheme: unknown
    for (const location of tokenLocation) {
      let token: string | undefined
      try {
        token = read(location, headers, meta)
      } catch (error) {
        if (!isOtherScheme(error) || tokenLocation.length === 1) throw error
        otherScheme = error
      }
      if (token !== undefined && token !== '') return { token, fromCookie: location === 'cookies' }
    }
    if (otherScheme !== undefined) throw otherScheme
    return undefined
  }
}

const isOtherScheme = (error: unknown) =>
  isJwtGuardError(error) && error.code === 'ERR_AUTH_SCHEME_UNSUPPORTED'

function fromQuery(url: string, name: string): string | undefined {
  const query = url.indexOf('?')
  return query === -1 ? undefined : (new URLSearchParams(url.slice(query + 1)).get(name) ?? undefined)
}
