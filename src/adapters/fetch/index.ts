/**
 * `jwtguard/fetch`: the Web-standard handler, `(request: Request) => Response`, the shape of
 * Next.js route handlers, `Bun.serve`, `Deno.serve` and Cloudflare Workers. It reads the request,
 * calls the core and returns the core's response byte for byte; every HTTP decision is the core's.
 * Its imports are Web APIs and the adapter kit (`jwtguard/adapter`) only: nothing of Node's (no
 * AsyncLocalStorage, no fs, no node:http) is loaded on its path.
 *
 * @example
 * ```ts
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * const me = auth.protect((request, { identity }) => Response.json(identity))
 * export default {
 *   fetch: async (request: Request) => (await auth.handle(request)) ?? me(request),
 * }
 * ```
 *
 * @module jwtguard/fetch
 */
import {
  type AuthResult,
  type AuthRoute,
  assertJwtGuard,
  caughtErrorResponse,
  type JwtGuard,
  type JwtPayload,
  logToConsole,
  type ProtectedCallbacks,
  type ProtectedRoute,
  type ProtectOptions,
  type RegisteredIdentity,
  runProtected,
  serveAuthRoute,
  toWebResponse,
  unmatchedRoute,
} from '../../adapter/index.js'

/** What a protected handler receives besides the request: the identity and the verified payload. */
export interface FetchAuth {
  /** The identity of the request (typed through `Register`). */
  identity: RegisteredIdentity
  /** The verified payload of its access token. */
  payload: JwtPayload
}

/**
 * A Web-standard handler; `args` are what the platform passes after the request: Next.js's
 * `{ params }`, Workers' `env` and `ctx`, Bun's `server`, Deno's `info`.
 */
export type FetchHandler<TArgs extends unknown[] = []> = (
  request: Request,
  ...args: TArgs
) => Response | Promise<Response>

/** A handler behind `protect()`: it gets the request's {@link FetchAuth} after the request. */
export type ProtectedFetchHandler<TArgs extends unknown[] = []> = (
  request: Request,
  auth: FetchAuth,
  ...args: TArgs
) => Response | Promise<Response>

/** A handler behind `protectOptional()`: `auth` is `null` for a request without a token. */
export type OptionalFetchHandler<TArgs extends unknown[] = []> = (
  request: Request,
  auth: FetchAuth | null,
  ...args: TArgs
) => Response | Promise<Response>

/** Options of {@link jwtGuard}. */
export interface JwtGuardFetchOptions {
  /**
   * Receives each error that is not the library's (a bug, a database down); the client gets a 500.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, request: Request) => void) | undefined
  /**
   * The peer address, for login throttling, from the request and what the platform passed after
   * it: `(request, server) => server.requestIP(request)?.address` on Bun,
   * `(request, info) => info.remoteAddr.hostname` on Deno. Behind a proxy, set the guard's
   * `trustedProxies` as well.
   * @default none: logins are throttled per username
   */
  remoteAddress?: ((request: Request, ...args: never[]) => string | undefined) | undefined
}

/** What {@link jwtGuard} returns. */
export interface FetchJwtGuard {
  /**
   * Answers the guard's routes (`POST /auth`, `/auth/refresh`, `/auth/revoke`, the JWKS), with a
   * 405 and `Allow` for their other methods; `null` for any other path, for the app to route.
   */
  handle(request: Request, ...args: unknown[]): Promise<Response | null>
  /**
   * `handler`, run only for requests with a valid access token meeting `options`; it gets the
   * identity and payload after the request. Every refusal is the contract's JSON with
   * `WWW-Authenticate` (Flask-JWT's `@jwt_required()` decorating a view).
   *
   * @example
   * ```ts
   * export const GET = auth.protect((request, { identity }) => Response.json(identity))
   * ```
   */
  protect<TArgs extends unknown[]>(
    handler: ProtectedFetchHandler<TArgs>,
    options?: ProtectOptions<Request>,
  ): FetchHandler<TArgs>
  /** `handler` run for every request but one with an invalid token; `auth` is `null` without one. */
  protectOptional<TArgs extends unknown[]>(
    handler: OptionalFetchHandler<TArgs>,
    options?: ProtectOptions<Request>,
  ): FetchHandler<TArgs>
  /** `protect` as a decorator: `auth.jwtRequired({ roles: ['admin'] })(handler)`. */
  jwtRequired(
    options?: ProtectOptions<Request>,
  ): <TArgs extends unknown[]>(handler: ProtectedFetchHandler<TArgs>) => FetchHandler<TArgs>
  /** `protectOptional` as a decorator. */
  jwtOptional(
    options?: ProtectOptions<Request>,
  ): <TArgs extends unknown[]>(handler: OptionalFetchHandler<TArgs>) => FetchHandler<TArgs>
  /**
   * The contract's answer for a request no route took: `405` with `Allow` when `methods` (those
   * the app routes on its path) is not empty, else `404`.
   */
  notFound(request: Request, methods?: Iterable<string>): Response
  /** Renders any error as the contract's JSON; one that is not the library's is logged and becomes a 500. */
  errorResponse(error: unknown, request: Request): Response
}

/**
 * Builds a guard's fetch handlers; options are checked here, at start-up.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { jwtGuard } from 'jwtguard/fetch'
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * const privateRoute = auth.protect(() => Response.json({ meaning_of_life: 42 }))
 * // for Bun.serve({ fetch }), Deno.serve(fetch) or a Worker's default export { fetch }:
 * export const fetch = async (request: Request) => (await auth.handle(request)) ?? privateRoute(request)
 * ```
 */
export function jwtGuard(guard: JwtGuard<unknown>, options: JwtGuardFetchOptions = {}): FetchJwtGuard {
  assertJwtGuard(guard, 'jwtguard/fetch')
  const { logError = logToConsole, remoteAddress } = options
  if (typeof logError !== 'function') throw new TypeError('jwtguard/fetch: logError must be a function')
  if (remoteAddress !== undefined && typeof remoteAddress !== 'function') {
    throw new TypeError('jwtguard/fetch: remoteAddress must be a function')
  }
  const peer = remoteAddress as ((request: Request, ...args: unknown[]) => string | undefined) | undefined
  const render = (request: Request, error: unknown, realm?: string): Response =>
    toWebResponse(caughtErrorResponse(guard, error, (unexpected) => logError(unexpected, request), realm))

  const answer = async (route: AuthRoute, request: Request, args: unknown[]): Promise<Response> => {
    try {
      const response = toWebResponse(
        await serveAuthRoute(route, request, guard.options.bodyLimit, peer?.(request, ...args)),
      )
      return request.method === 'HEAD' ? new Response(null, response) : response
    } catch (error) {
      return render(request, error)
    }
  }

  const byPath = new Map(guard.routes.map((route) => [route.path, route]))
  const handle = async (request: Request, ...args: unknown[]): Promise<Response | null> => {
    const route = byPath.get(new URL(request.url).pathname)
    if (route === undefined) return null
    const { method } = request
    if (method === route.method || (method === 'HEAD' && route.method === 'GET')) {
      return answer(route, request, args)
    }
    return render(request, unmatchedRoute(guard, [route.method]))
  }

  /** Runs the route's check, then `handler` with its result; a refusal becomes the contract's answer. */
  const guarded = <TArgs extends unknown[]>(
    route: ProtectedRoute<unknown, Request>,
    handler: (request: Request, auth: FetchAuth | null, ...args: TArgs) => Response | Promise<Response>,
  ): FetchHandler<TArgs> => {
    if (typeof handler !== 'function') {
      throw new TypeError(`jwtguard/fetch: protect(handler) needs a handler function, not ${typeof handler}`)
    }
    const callbacks: ProtectedCallbacks<unknown, Request, TArgs, Response | Promise<Response>> = {
      onIdentity(result: AuthResult<unknown> | null, request, args) {
        if (result === null) return handler(request, null, ...args)
        const auth = { identity: result.identity as RegisteredIdentity, payload: result.payload }
        return guard.runWithIdentity(result.identity, () => handler(request, auth, ...args))
      },
      onError: (error, request) => render(request, error, route.realm),
    }
    return async function jwtGuardProtected(request: Request, ...args: TArgs): Promise<Response> {
      try {
        return await runProtected(route, request.headers, request, request, callbacks, request, args)
      } catch (error) {
        // The handler's own failure: the library's errors keep their answer, anything else is a 500.
        return render(request, error)
      }
    }
  }

  const protect = <TArgs extends unknown[]>(
    handler: ProtectedFetchHandler<TArgs>,
    protectOptions?: ProtectOptions<Request>,
  ) => guarded(guard.protect(protectOptions, 'required'), handler as OptionalFetchHandler<TArgs>)
  const protectOptional = <TArgs extends unknown[]>(
    handler: OptionalFetchHandler<TArgs>,
    protectOptions?: ProtectOptions<Request>,
  ) => guarded(guard.protect(protectOptions, 'optional'), handler)

  return {
    handle,
    protect,
    protectOptional,
    jwtRequired: (protectOptions) => (handler) => protect(handler, protectOptions),
    jwtOptional: (protectOptions) => (handler) => protectOptional(handler, protectOptions),
    notFound: (request, methods = []) => render(request, unmatchedRoute(guard, methods)),
    errorResponse: (error, request) => render(request, error),
  }
}

export default jwtGuard
