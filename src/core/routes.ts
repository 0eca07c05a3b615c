/**
 * Routing decisions the adapters share, so that every framework answers alike: the `Allow` list
 * of a path, 404 against 405, errors caught by an adapter and the content codings a login body
 * may use. Framework-free: adapters pass what their router knows as plain strings.
 *
 * @module
 */
import { isJwtGuardError, JwtGuardError } from './errors.js'
import type { JwtGuard } from './guard.js'
import type { HttpResponse } from './http.js'

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
 * import { allowedMethods } from 'jwtguard/adapter'
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
 *
 * @example
 * ```ts
 * import { unmatchedRoute } from 'jwtguard/adapter'
 * unmatchedRoute(guard, ['GET']).allow // ['GET', 'HEAD']: a 405
 * unmatchedRoute(guard, []).code // 'ERR_ROUTE_NOT_FOUND': a 404
 * ```
 */
export function unmatchedRoute(
  guard: Pick<JwtGuard<unknown>, 'methodNotAllowed' | 'notFound'>,
  methods: Iterable<string>,
): JwtGuardError {
  const allow = allowedMethods(methods)
  return allow.length > 0 ? guard.methodNotAllowed(allow) : guard.notFound()
}

/**
 * Checks, in an adapter's factory, that `guard` came from `createJwtGuard()`.
 *
 * @example
 * ```ts
 * import { assertJwtGuard } from 'jwtguard/adapter'
 * export function myAdapter(guard: unknown) {
 *   assertJwtGuard(guard, 'my-adapter') // a TypeError unless it came from createJwtGuard()
 *   return guard.routes
 * }
 * ```
 *
 * @throws {TypeError} naming the adapter (`where`) otherwise.
 */
export function assertJwtGuard(guard: unknown, where: string): asserts guard is JwtGuard<unknown> {
  if (typeof (guard as Partial<JwtGuard<unknown>> | null)?.authenticateRequest !== 'function') {
    throw new TypeError(`${where}: jwtGuard(guard) needs the result of createJwtGuard()`)
  }
}

/**
 * The default `logError` of the adapters.
 *
 * @example
 * ```ts
 * import { logToConsole } from 'jwtguard/adapter'
 * import { jwtGuard } from 'jwtguard/express'
 * const auth = jwtGuard(guard, { logError: logToConsole }) // the default
 * ```
 */
export function logToConsole(error: unknown): void {
  console.error('jwtguard: request failed', error)
}

/**
 * The response to an error an adapter caught: the core's answer for the library's own errors;
 * anything else (a bug, a database down) goes to `log` first and the client gets a 500 that
 * reveals nothing.
 *
 * @example
 * ```ts
 * import { caughtErrorResponse } from 'jwtguard/adapter'
 * const response = caughtErrorResponse(guard, new Error('database down'), (error) => console.error(error))
 * // response.status === 500: the Error went to the log, not to the client
 * ```
 */
export function caughtErrorResponse(
  guard: Pick<JwtGuard<unknown>, 'errorResponse'>,
  error: unknown,
  log: (error: unknown) => void,
  realm?: string,
): HttpResponse {
  if (!isJwtGuardError(error)) log(error)
  return guard.errorResponse(error, realm)
}

/**
 * The `415` for a body sent with a content coding (gzip, br, ...): login bodies are small.
 *
 * @example
 * ```ts
 * import { encodingUnsupported } from 'jwtguard/adapter'
 * const error = encodingUnsupported() // code 'ERR_MEDIA_TYPE_UNSUPPORTED': a 415 once rendered
 * ```
 */
export function encodingUnsupported(): JwtGuardError {
  return new JwtGuardError(
    'ERR_MEDIA_TYPE_UNSUPPORTED',
    'Content-Encoding is not supported: send the JSON body uncompressed',
  )
}

/**
 * Checks a request's `Content-Encoding` before its body is read.
 *
 * @example
 * ```ts
 * import { assertIdentityEncoding } from 'jwtguard/adapter'
 * assertIdentityEncoding(undefined) // passes
 * assertIdentityEncoding('gzip') // throws ERR_MEDIA_TYPE_UNSUPPORTED (415)
 * ```
 *
 * @throws {JwtGuardError} `ERR_MEDIA_TYPE_UNSUPPORTED` for anything but none or `identity`.
 */
export function assertIdentityEncoding(contentEncoding: string | null | undefined): void {
  if (contentEncoding === null || contentEncoding === undefined) return
  const coding = contentEncoding.trim().toLowerCase()
  if (coding !== '' && coding !== 'identity') throw encodingUnsupported()
}
