/**
 * The current identity, Flask-JWT's `current_identity`: set for the duration of a protected
 * request and readable from any code the handler calls, through AsyncLocalStorage. That is
 * loaded when something turns the feature on, not imported: a guard without it (and the fetch
 * adapter) loads nothing of `node:async_hooks`.
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks'
import { nodeBuiltin } from './internal/builtin.js'

/**
 * Merge into this interface to type {@link currentIdentity} across your app:
 *
 * @example
 * ```ts
 * declare module 'jwtguard' {
 *   interface Register { identity: { user_id: number } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an extension point for declaration merging
export interface Register {}

/** The identity type registered through {@link Register}, or `unknown`. */
export type RegisteredIdentity = Register extends { identity: infer T } ? T : unknown

let storage: AsyncHooks.AsyncLocalStorage<unknown> | undefined

/** The storage, made on first use; throws, naming the feature, where the runtime has none. */
function identityStorage(): AsyncHooks.AsyncLocalStorage<unknown> {
  if (storage === undefined) {
    const hooks = nodeBuiltin<typeof AsyncHooks>('node:async_hooks', 'currentIdentity')
    storage = new hooks.AsyncLocalStorage<unknown>()
  }
  return storage
}

/**
 * Whether anything turned {@link currentIdentity} on: a guard created with `currentIdentity: true`,
 * or a call of {@link runWithIdentity}. Until then no AsyncLocalStorage runs, and reading the
 * identity is a mistake worth saying aloud rather than an `undefined` that looks like "no user".
 */
let inUse = false

/** Turns {@link currentIdentity} on for the process (a guard created with `currentIdentity: true`). */
export function enableCurrentIdentity(): void {
  identityStorage()
  inUse = true
}

/**
 * Runs `callback` with `identity` as the current identity.
 *
 * @example
 * ```ts
 * import { currentIdentity, runWithIdentity } from 'jwtguard'
 * runWithIdentity({ user_id: 123 }, () => currentIdentity()) // { user_id: 123 }
 * ```
 */
export function runWithIdentity<R>(identity: unknown, callback: () => R): R {
  const scope = identityStorage()
  inUse = true
  return scope.run(identity, callback)
}

/**
 * The identity of the request being handled, or `undefined` outside a protected request. Throws
 * when no guard was created with `currentIdentity: true` (the option that runs protected requests
 * in AsyncLocalStorage): the identity would never be there.
 *
 * @example
 * ```ts
 * import { currentIdentity } from 'jwtguard'
 * function auditLog(action: string) { console.info({ user: currentIdentity(), action }) }
 * ```
 */
export function currentIdentity<T = RegisteredIdentity>(): T | undefined {
  if (!inUse) {
    throw new Error(
      'currentIdentity() is off: create the guard with `currentIdentity: true`, or read the identity ' +
        "from request.identity (Fastify), req.auth (Express) or c.get('identity') (Hono)",
    )
  }
  return storage?.getStore() as T | undefined
}
