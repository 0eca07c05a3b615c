/**
 * Running a protected route's check the way every adapter must: synchronously when the check is
 * (a local key, a synchronous `identity` and `allow`), through a promise only when it is not.
 *
 * @module
 */
import type { HeaderSource } from '../core/extract.js'
import type { AuthResult, ProtectedRoute, RequestMeta } from '../core/guard.js'

/**
 * What {@link runProtected} calls with the check's outcome. Make the object once per route, not
 * per request: each callback receives the request's own values as `a` and `b` (Express's `res`
 * and `next`, Hono's `c` and `next`, ...), so a request costs no closure of the adapter's.
 */
export interface ProtectedCallbacks<TIdentity, A, B, TResult> {
  /**
   * The request is admitted: `result` holds its identity and verified payload, or is `null` on an
   * optional route the request sent no token to. What it throws (or rejects with) is not a
   * refusal: it reaches the caller of {@link runProtected} as thrown (or rejected).
   */
  onIdentity(result: AuthResult<TIdentity> | null, a: A, b: B): TResult
  /**
   * The request is refused (the library's error: render it with the route's `realm`) or the check
   * failed (anything else: log it, answer 500; `caughtErrorResponse` does both).
   */
  onError(error: unknown, a: A, b: B): TResult
}

/**
 * Runs `route`'s check on a request and calls `onIdentity` or `onError` with the outcome: at once
 * when the check completes synchronously (then no promise is made), else when it settles.
 *
 * @param route - the check, from `guard.protect(options, mode)`, compiled once per route.
 * @param headers - the request's headers: a Web `Headers` or Node's incoming headers.
 * @param request - the framework's request, passed to the route's `allow` and `getToken`.
 * @param meta - the request's `method` and `url`, for cookie mode's CSRF check and query tokens.
 * @param callbacks - what to do with the outcome; made once per route.
 * @param a - passed to the callbacks as is.
 * @param b - passed to the callbacks as is.
 * @returns what the callback returned, or a promise of it when the check was asynchronous.
 *
 * @example
 * ```ts
 * import { caughtErrorResponse, runProtected, toWebResponse } from 'jwtguard/adapter'
 *
 * const route = guard.protect({ roles: ['admin'] })
 * const callbacks = {
 *   onIdentity: (result: unknown, request: Request, handler: (request: Request) => Response) =>
 *     result === null ? new Response(null, { status: 401 }) : handler(request),
 *   onError: (error: unknown) =>
 *     toWebResponse(caughtErrorResponse(guard, error, console.error, route.realm)),
 * }
 * const admin = (request: Request) =>
 *   runProtected(route, request.headers, request, request, callbacks, request, () => Response.json({ ok: true }))
 * ```
 */
export function runProtected<TIdentity, TRequest, A, B, TResult>(
  route: ProtectedRoute<TIdentity, TRequest>,
  headers: HeaderSource,
  request: TRequest,
  meta: RequestMeta,
  callbacks: ProtectedCallbacks<TIdentity, A, B, TResult>,
  a: A,
  b: B,
): TResult | Promise<TResult> {
  let result: ReturnType<typeof route.resolve>
  try {
    result = route.resolve(headers, request, meta)
  } catch (error) {
    return callbacks.onError(error, a, b)
  }
  if (!(result instanceof Promise)) return callbacks.onIdentity(result, a, b)
  return result.then(
    (loaded) => callbacks.onIdentity(loaded, a, b),
    (error: unknown) => callbacks.onError(error, a, b),
  )
}
