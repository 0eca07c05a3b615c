/**
 * One deadline per request for the backends behind it. A login may call the login limiter's Redis
 * twice, the user store and the token store: with a backend hung, a timeout per call would add
 * up (four 2 s timeouts made an 8 s login). Inside {@link withRequestDeadline}, the first backend
 * call starts the request's deadline with its own timeout, and every later call gets only what is
 * left of it, so the request fails within about one timeout.
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks'
import { nodeBuiltin } from './internal/builtin.js'

interface Budget {
  /** `performance.now()` at which the request's deadline ends; set by the first backend call. */
  end: number | undefined
}

// Made on the first request, not at import: the package root (and the fetch adapter) load no
// node:async_hooks. Where a runtime has none, each backend call keeps its own timeout instead.
let budgets: AsyncHooks.AsyncLocalStorage<Budget> | null | undefined

function storage(): AsyncHooks.AsyncLocalStorage<Budget> | null {
  if (budgets === undefined) {
    try {
      budgets = new (nodeBuiltin<typeof AsyncHooks>(
        'node:async_hooks',
        'the per-request deadline',
      ).AsyncLocalStorage)()
    } catch {
      budgets = null
    }
  }
  return budgets
}

/**
 * Wraps a request handler so that the backend calls it makes share one deadline.
 *
 * @example
 * ```ts
 * import { withRequestDeadline } from 'jwtguard/adapter'
 * const handle = withRequestDeadline(async (name: string) => `hello ${name}`)
 * ```
 */
export function withRequestDeadline<A extends unknown[], R>(
  handle: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args) => {
    const scope = storage()
    return scope === null ? handle(...args) : scope.run({ end: undefined }, () => handle(...args))
  }
}

/**
 * Milliseconds a backend call may take: `timeoutMs` outside a request, else what is left of the
 * request's deadline (started now, at `timeoutMs`, by the request's first call). `0` means the
 * deadline has passed: fail (or fall back) without calling the backend.
 *
 * @example
 * ```ts
 * import { remainingDeadline } from 'jwtguard/adapter'
 * const ms = remainingDeadline(2000) // 2000 for the first call of a request, less afterwards
 * ```
 */
export function remainingDeadline(timeoutMs: number): number {
  const budget = budgets?.getStore()
  if (budget === undefined) return timeoutMs
  const at = performance.now()
  if (budget.end === undefined) budget.end = at + timeoutMs
  return Math.max(0, Math.min(timeoutMs, budget.end - at))
}
