/**
 * What the conformance kits take from the caller's test runner, and the few assertion helpers
 * they share. The kits register their tests with the caller's `describe`/`it`/`beforeEach`/
 * `afterEach` and assert with `node:assert/strict`, so they depend on no test runner.
 *
 * @module
 */
import { deepStrictEqual, fail } from 'node:assert/strict'

/**
 * The functions of the caller's test runner the kits register their tests with. Vitest's and
 * Jest's fit as they are; `node:test` and Mocha call the once-per-group hooks `before` and
 * `after`: pass `{ describe, it, beforeEach, afterEach, beforeAll: before, afterAll: after }`.
 *
 * Tests registered by a kit are never skipped: a capability a store lacks leaves its tests out
 * (they are not registered), and a failing backend fails the tests.
 *
 * @example
 * ```ts
 * import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest'
 * import type { TestApi } from 'jwtguard/testing'
 * const api: TestApi = { describe, it, beforeEach, afterEach, beforeAll, afterAll }
 * ```
 */
export interface TestApi {
  /** Groups tests: `describe(name, body)`. */
  describe(name: string, body: () => void): unknown
  /** Registers a test: `it(name, body)`; the body rejects (an `AssertionError`) to fail it. */
  it(name: string, body: () => Promise<void>): unknown
  /** Runs `body` before each test of the enclosing `describe`. */
  beforeEach(body: () => Promise<void>): unknown
  /** Runs `body` after each test of the enclosing `describe`, also after a failed one. */
  afterEach(body: () => Promise<void>): unknown
  /** Runs `body` once before the tests of the enclosing `describe` (`before` in node:test, Mocha). */
  beforeAll(body: () => Promise<void>): unknown
  /** Runs `body` once after the tests of the enclosing `describe` (`after` in node:test, Mocha). */
  afterAll(body: () => Promise<void>): unknown
}

/** The runner's functions, checked once when a kit is called: a missing one fails at declaration. */
export function checkTestApi(test: TestApi, kit: string): void {
  for (const name of ['describe', 'it', 'beforeEach', 'afterEach', 'beforeAll', 'afterAll'] as const) {
    if (typeof test?.[name] !== 'function') {
      throw new TypeError(`${kit}: the first argument needs your test runner's ${name} function`)
    }
  }
}

/** A non-empty string option, checked when a kit is called. */
export function checkName(value: unknown, kit: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${kit}: name must be a non-empty string`)
  return value
}

/** A function option, checked when a kit is called. */
export function checkFunction(value: unknown, what: string, kit: string): void {
  if (typeof value !== 'function') throw new TypeError(`${kit}: ${what} must be a function`)
}

/** An optional boolean option, checked when a kit is called. */
export function booleanOption(value: unknown, fallback: boolean, what: string, kit: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${kit}: ${what} must be a boolean`)
  return value
}

/** JSON's view of a value: what `toEqual` compares (no prototypes, no `undefined` properties). */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}

/** Asserts that `actual` and `expected` hold the same data, whatever their prototypes. */
export function same(actual: unknown, expected: unknown, message?: string): void {
  deepStrictEqual(plain(actual), plain(expected), message)
}

/** What `promise` rejects with; fails when it fulfils. */
export async function rejectionOf(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  return fail(`${what}: expected a rejection, the promise fulfilled`)
}

/** Polls `predicate` every 2 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) fail(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
