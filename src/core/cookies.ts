/**
 * Cookie mode for browser apps: tokens in HttpOnly cookies, and CSRF double-submit bound to the
 * token (the CSRF value is a claim of the signed token, so a cookie planted by a sibling domain
 * cannot forge it).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { JwtPayload } from './claims.js'
import { JwtGuardError } from './errors.js'
import { type HeaderSource, readHeader } from './extract.js'
import { failure } from './failures.js'

/** Where tokens are looked for, in this order. */
export type TokenLocation = 'header' | 'cookies' | 'query'

/** Cookie settings of {@link CommonOptions.cookies | the `cookies` option}. Names follow Flask-JWT-Extended. */
export interface CookieOptions {
  /** @default 'access_token_cookie' */
  accessName?: string | undefined
  /** @default 'refresh_token_cookie' */
  refreshName?: string | undefined
  /** The readable cookie holding the CSRF value. @default 'csrf_access_token' */
  csrfName?: string | undefined
  /** The header that must echo the CSRF value on unsafe methods. @default 'x-csrf-token' */
  csrfHeader?: string | undefined
  /** `Secure` attribute; turn off only for local development over http. @default true */
  secure?: boolean | undefined
  /** @default 'Lax' */
  sameSite?: 'Strict' | 'Lax' | 'None' | undefined
  /** `Domain` attribute. @default none (host-only) */
  domain?: string | undefined
  /**
   * Also send the tokens in the JSON body of login and refresh. Cookie-only deployments do not
   * need them there (the page reads only `csrf_token`), and a token a script can read is one XSS
   * can steal.
   * @default true when `tokenLocation` includes `header`, false for cookie-only deployments
   */
  tokensInBody?: boolean | undefined
}

/** Cookie settings with defaults applied. */
export interface ResolvedCookies {
  accessName: string
  refreshName: string
  csrfName: string
  csrfHeader: string
  secure: boolean
  sameSite: 'Strict' | 'Lax' | 'None'
  domain: string | undefined
  tokensInBody: boolean
}

const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Applies the defaults of {@link CookieOptions} and checks every name and attribute.
 *
 * Internal: not exported from the package.
 *
 * @throws {TypeError} for an invalid cookie or header name, `sameSite`, or `domain`.
 */
export function resolveCookies(options: CookieOptions = {}, tokensInBodyDefault = true): ResolvedCookies {
  const resolved: ResolvedCookies = {
    accessName: options.accessName ?? 'access_token_cookie',
    refreshName: options.refreshName ?? 'refresh_token_cookie',
    csrfName: options.csrfName ?? 'csrf_access_token',
    csrfHeader: (options.csrfHeader ?? 'x-csrf-token').toLowerCase(),
    secure: options.secure ?? true,
    sameSite: options.sameSite ?? 'Lax',
    domain: options.domain,
    tokensInBody: options.tokensInBody ?? tokensInBodyDefault,
  }
  if (typeof resolved.tokensInBody !== 'boolean')
    throw new TypeError('cookies.tokensInBody must be a boolean')
  for (const name of [resolved.accessName, resolved.refreshName, resolved.csrfName, resolved.csrfHeader]) {
    if (!COOKIE_NAME.test(name))
      throw new TypeError(`cookies: "${name}" is not a valid cookie or header name`)
  }
  if (!['Strict', 'Lax', 'None'].includes(resolved.sameSite)) {
    throw new TypeError('cookies.sameSite must be "Strict", "Lax" or "None"')
  }
  if (resolved.sameSite === 'None' && !resolved.secure) {
    throw new TypeError('cookies.sameSite "None" requires secure: browsers refuse it otherwise')
  }
  if (resolved.domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(resolved.domain)) {
    throw new TypeError('cookies.domain must be a host name')
  }
  checkPrefixes(resolved)
  return resolved
}

/**
 * Browsers drop a `__Secure-` cookie without `Secure`, and a `__Host-` cookie unless it is also
 * host-only with `Path=/` (RFC 6265bis §4.1.3): refuse such names at start-up, not in the browser.
 */
function checkPrefixes(resolved: ResolvedCookies): void {
  const names = [resolved.accessName, resolved.refreshName, resolved.csrfName]
  for (const name of names) {
    const host = name.toLowerCase().startsWith('__host-')
    if ((host || name.toLowerCase().startsWith('__secure-')) && !resolved.secure) {
      throw new TypeError(`cookies: "${name}" needs secure: browsers drop it otherwise`)
    }
    if (host && resolved.domain !== undefined) {
      throw new TypeError(`cookies: "${name}" cannot have a domain: __Host- cookies are host-only`)
    }
  }
  if (resolved.refreshName.toLowerCase().startsWith('__host-')) {
    throw new TypeError(
      `cookies: the refresh cookie "${resolved.refreshName}" is scoped to the refresh route, not Path=/: use __Secure-`,
    )
  }
}

/**
 * The value of cookie `name` in the request's `Cookie` header (the first one, undecoded).
 *
 * Internal: not exported from the package.
 */
export function readCookie(headers: HeaderSource, name: string): string | undefined {
  const header = readHeader(headers, 'cookie')
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const separator = part.indexOf('=')
    if (separator !== -1 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim()
      return value === '' ? undefined : value
    }
  }
  return undefined
}

/**
 * A `Set-Cookie` value. `maxAge` 0 deletes the cookie.
 *
 * Internal: not exported from the package.
 */
export function serializeCookie(
  cookies: ResolvedCookies,
  name: string,
  value: string,
  attributes: { maxAge: number; path: string; httpOnly: boolean },
): string {
  let cookie = `${name}=${value}; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}; Path=${attributes.path}`
  if (cookies.domain !== undefined) cookie += `; Domain=${cookies.domain}`
  if (attributes.httpOnly) cookie += '; HttpOnly'
  if (cookies.secure) cookie += '; Secure'
  return `${cookie}; SameSite=${cookies.sameSite}`
}

/**
 * A new random CSRF value (256 bits).
 *
 * Internal: not exported from the package.
 */
export function newCsrfValue(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Double-submit check for a token read from a cookie: on unsafe methods the CSRF header must equal
 * the token's `csrf` claim, compared in constant time.
 *
 * Internal: not exported from the package.
 *
 * @throws {JwtGuardError} `ERR_CSRF_INVALID` when the header is absent or does not match.
 */
export function assertCsrf(
  cookies: ResolvedCookies,
  headers: HeaderSource,
  method: string | undefined,
  payload: JwtPayload,
): void {
  if (method !== undefined && SAFE_METHODS.has(method.toUpperCase())) return
  const sent = readHeader(headers, cookies.csrfHeader)
  if (sent === undefined || sent === '') {
    throw new JwtGuardError(
      'ERR_CSRF_INVALID',
      `Missing CSRF token: send the ${cookies.csrfName} cookie's value in ${cookies.csrfHeader}`,
    )
  }
  const expected = typeof payload.csrf === 'string' ? Buffer.from(payload.csrf) : Buffer.alloc(0)
  const actual = Buffer.from(sent)
  if (expected.length === 0 || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw failure('csrfMismatch')
  }
}
