/**
 * Node's built-in modules loaded when a feature first needs them, through
 * `process.getBuiltinModule` (Node 20.16+, Bun, Deno, workerd with `nodejs_compat`), rather than
 * by a static import: a runtime that lacks one (workerd has no `node:fs` at the compatibility
 * date 2025-09-01) still loads the package, and only the feature that needs it says so.
 *
 * @module
 */

type BuiltinLoader = (id: string) => unknown

/**
 * The built-in module `id`, for `feature`.
 *
 * @throws {Error} naming the feature and the module when the runtime does not provide it.
 */
export function nodeBuiltin<T>(id: `node:${string}`, feature: string): T {
  const load = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader } }).process?.getBuiltinModule
  let module: unknown
  try {
    module = load?.(id)
  } catch {
    module = undefined
  }
  if (module === undefined || module === null) {
    throw new Error(
      `${feature} needs ${id}, which this runtime does not provide (process.getBuiltinModule('${id}') ` +
        'is missing): run it on Node 20.16+, Bun, Deno, or workerd with the nodejs_compat flag',
    )
  }
  return module as T
}
