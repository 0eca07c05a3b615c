/**
 * Token extraction from the `Authorization` header, with Flask-JWT's rules and messages. Works on
 * a Web `Headers` object or Node's incoming headers, so every adapter shares it.
 *
 * @module
 */
import { failure } from './failures.js'

/** Request headers as either a Web `Headers` or Node's `IncomingHttpHeaders`. */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * Reads one header (lower-case `name`) from either kind of header source.
 *
 * @example
 * ```ts
 * import { readHeader } from 'jwtguard/adapter'
 * readHeader({ authorization: 'JWT abc' }, 'authorization') // 'JWT abc'
 * readHeader(new Headers({ Authorization: 'JWT abc' }), 'authorization') // 'JWT abc'
 * ```
 */
export function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined
  }
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name]
  return typeof value === 'string' ? value : value?.[0]
}

const WHITESPACE = /\s+/
const ANY_WHITESPACE = /\s/

/**
 * Returns the token of `Authorization: <prefix> <token>`, or `undefined` when the header is
 * absent or blank. The prefix is matched case-insensitively; given a list of schemes
 * (`['Bearer', 'JWT']`), any of them.
 *
 * @example
 * ```ts
 * import { tokenFromAuthorization } from 'jwtguard/adapter'
 * tokenFromAuthorization('JWT eyJhbGciOi...', 'JWT') // 'eyJhbGciOi...'
 * tokenFromAuthorization('Bearer eyJhbGciOi...', ['Bearer', 'JWT']) // 'eyJhbGciOi...'
 * tokenFromAuthorization(undefined, 'JWT') // undefined
 * tokenFromAuthorization('Bearer x', 'JWT') // throws ERR_AUTH_SCHEME_UNSUPPORTED
 * ```
 *
 * @throws {JwtGuardError} `ERR_AUTH_SCHEME_UNSUPPORTED` for another scheme,
 *   `ERR_AUTH_HEADER_MALFORMED` for a prefix without a token or a token with spaces.
 */
export function tokenFromAuthorization(
  header: string | undefined,
  prefix: string | readonly string[],
): string | undefined {
  if (header === undefined) return undefined
  if (typeof prefix === 'string') {
    const token = exactSpelling(header, prefix)
    if (token !== undefined) return token
  } else {
    for (const scheme of prefix) {
      const token = exactSpelling(header, scheme)
      if (token !== undefined) return token
    }
  }
  const parts = header.trim().split(WHITESPACE)
  const scheme = parts[0]
  if (scheme === undefined || scheme === '') return undefined
  if (!accepts(prefix, scheme.toLowerCase())) {
    throw failure('schemeUnsupported')
  }
  if (parts.length === 1) throw failure('headerTokenMissing')
  if (parts.length > 2) {
    throw failure('headerSpaces')
  }
  return parts[1]
}

/** The common spelling, `<prefix> <token>` with one space: a startsWith, a slice, a whitespace test. */
function exactSpelling(header: string, prefix: string): string | undefined {
  const start = prefix.length + 1
  if (
    header.length > start &&
    header.charCodeAt(start - 1) === 32 &&
    header.startsWith(prefix) &&
    start > 1 &&
    !ANY_WHITESPACE.test(prefix)
  ) {
    const token = header.slice(start)
    if (!ANY_WHITESPACE.test(token)) return token
  }
  return undefined
}

function accepts(prefix: string | readonly string[], scheme: string): boolean {
  if (typeof prefix === 'string') return scheme === prefix.toLowerCase()
  return prefix.some((accepted) => accepted.toLowerCase() === scheme)
}
