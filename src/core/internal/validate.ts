/**
 * The option validators every constructor shares: each returns the value or its default, and
 * throws a `TypeError`/`RangeError` whose message names the option and the accepted values.
 *
 * @module
 * @internal
 */

/** A non-empty string, or `fallback` when `value` is undefined. */
export function nonEmptyString(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') throw new TypeError(`${option} must be a non-empty string`)
  return value
}

/** A route path starting with `/`, or `false` for no route. */
export function routePath(value: unknown, option: string, fallback: string): string | false {
  const path = value === undefined ? fallback : value
  if (path !== false && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new TypeError(`${option} must be a path starting with "/", or false to mount no route`)
  }
  return path
}

/** `true` or `false`. */
export function booleanOption(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${option} must be true or false`)
  return value
}

/** An integer of at least `minimum`. */
export function integerAtLeast(value: unknown, option: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new RangeError(`${option} must be an integer >= ${minimum}`)
  }
  return value
}

/** A function, when given. */
export function optionalFunction(value: unknown, option: string, shape: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${option} must be a function ${shape}`)
  }
}
