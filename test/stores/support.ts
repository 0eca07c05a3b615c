/**
 * Helpers of the store tests beyond the conformance suite (which is `jwtguard/testing`'s
 * `runTokenStoreConformance`, run by memory.test.ts, sqlite.test.ts and redis.test.ts).
 */

/** Polls `predicate` until it holds; returns the elapsed ms, fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const start = performance.now()
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return performance.now() - start
}

/** What `promise` rejects with; throws when it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}
