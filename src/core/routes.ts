/**
 * Routing decisions the adapters share, so that every framework answers alike: the `Allow` list
 * of a path, 404 against 405, the realm of a protected route and the content codings a login
 * body may use. Framework-free: adapters pass what their router knows as plain strings.
 *
 * @module
 */
import { JwtGuardError } from './errors.js'
import type { JwtGuard, ProtectOptions } from './guard.js'

/** The methods the adapters route, in the order an `Allow` header lists them. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

const RANK = new Map<string, number>(HTTP_METHODS.map((method, index) => [method, index]))

/**
 * The `Allow` list of a path from the methods its routes answer: upper-cased, without
 * duplicates, `HEAD` added with `GET` (every framework answers it), in {@link HTTP_METHODS} order
 * and then alphabetically.
 *
 * @example
 * ```ts
 * allowedMethods(['get']) // ['GET', 'HEAD']
 * ```
 */
export function allowedMethods(methods: Iterable<string>): string[] {
  const allowed = new Set<string>()
  for (const method of methods) allowed.add(method.toUpperCase())
  if (allowed.has('GET')) allowed.add('HEAD')
  return [...allowed].sort(
    (a, b) => (RANK.get(a) ?? RANK.size) - (RANK.get(b) ?? RANK.size) || (a < b ? -1 : a > b ? 1 : 0),
  )
}

/**
 * The error for a request that no route answered: `405` with `Allow` when routes exist for other
 * methods of its path (`methods`), else `404`.
 */
export function unmatchedRoute(
  guard: Pick<JwtGuard<unknown>, 'methodNotAllowed' | 'notFound'>,
  methods: Iterable<string>,
): JwtGuardError {
  const allow = allowedMethods(methods)
  return allow.length > 0 ? guard.methodNotAllowed(allow) : guard.notFound()
}

const PRINTABLE = /^[\x20-\x7e]+$/

/**
 * Validates the options of a protected route at construction and returns its realm
 * (`undefined`: the guard's).
 *
 * @throws {TypeError} when `realm` is not a non-empty printable ASCII string.
 */
export function protectRealm(options: ProtectOptions | undefined): string | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('jwtRequired(options): options must be an object such as { realm: "API" }')
  }
  const { realm } = options
  if (realm !== undefined && (typeof realm !== 'string' || !PRINTABLE.test(realm))) {
    throw new TypeError('jwtRequired({ realm }): realm must be a non-empty printable ASCII string')
  }
  return realm
}

/** The `415` for a body sent with a content coding (gzip, br, ...): login bodies are small. */
export function encodingUnsupported(): JwtGuardError {
  return new JwtGuardError(
    'ERR_MEDIA_TYPE_UNSUPPORTED',
    'Content-Encoding is not supported: send the JSON body uncompressed',
  )
}

/**
 * Checks a request's `Content-Encoding` before its body is read.
 *
 * @throws {JwtGuardError} `ERR_MEDIA_TYPE_UNSUPPORTED` for anything but none or `identity`.
 */
export function assertIdentityEncoding(contentEncoding: string | null | undefined): void {
  if (contentEncoding === null || contentEncoding === undefined) return
  const coding = contentEncoding.trim().toLowerCase()
  if (coding !== '' && coding !== 'identity') throw encodingUnsupported()
}
