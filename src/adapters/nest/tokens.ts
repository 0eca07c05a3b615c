/**
 * What the parts of `jwtguard/nest` share: injection tokens, the module's options, the route
 * metadata and what the guard leaves on a request for the exception filter.
 *
 * @module
 */
import type { JwtPayload, ProtectOptions, RegisteredIdentity } from '../../adapter/index.js'

/** The injection token of the guard (`JwtGuard<RegisteredIdentity>`): `@Inject(JWT_GUARD)`. */
export const JWT_GUARD: unique symbol = Symbol('jwtguard:guard')

/** The injection token of the module's {@link JwtGuardNestOptions}. */
export const JWT_GUARD_NEST_OPTIONS: unique symbol = Symbol('jwtguard:nest-options')

/** Options of `JwtGuardModule.forRoot` / `forRootAsync`, besides the guard. */
export interface JwtGuardNestOptions {
  /**
   * Guard every route of the app (`APP_GUARD`): a route without `@JwtRequired()` /
   * `@JwtOptional()` needs a valid access token, and `@Public()` opens one.
   * @default false
   */
  globalGuard?: boolean | undefined
  /**
   * Render every error of the app that Nest would answer itself (404, and 405 with `Allow` for a
   * path with routes of other methods; 500 for an unexpected error) as the contract's JSON. The
   * library's own errors are rendered so in any case, and `HttpException`s your code throws keep
   * Nest's rendering.
   * @default false
   */
  renderAllErrors?: boolean | undefined
  /**
   * Receives each error that is not the library's (a bug, a database down); the client gets a 500.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, request: unknown) => void) | undefined
}

/** The metadata key under which a route's requirement is stored. */
export const JWT_ROUTE_METADATA = 'jwtguard:route'

/** What a route requires: a token (`required`), a token if sent (`optional`), or nothing (`public`). */
export interface JwtRouteMetadata {
  mode: 'required' | 'optional' | 'public'
  options: ProtectOptions<unknown>
}

/** Where the guard leaves an admitted request's identity and payload. */
export interface JwtAuthenticatedRequest {
  /** The identity of a request that passed the guard, typed through `Register`. */
  identity?: RegisteredIdentity | undefined
  /** The verified payload of a request that passed the guard. */
  jwtPayload?: JwtPayload
}

/**
 * Requests refused by the guard or served by an auth route, with the route's realm: the filter
 * renders whatever they threw (a library error, or a 500 for anything else) with that realm's
 * challenge.
 * @internal
 */
export const refusals: WeakMap<object, string> = new WeakMap()

/** Requests the guard already admitted: a handler under both the global and a route guard is checked once. @internal */
export const admitted: WeakSet<object> = new WeakSet()
