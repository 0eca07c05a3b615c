/**
 * `jwtguard/hono`: Hono 4 middleware. It reads the request, calls the core and returns the
 * core's response byte for byte; every HTTP decision is the core's. The request path uses Web
 * APIs only (plus the core's node:crypto and AsyncLocalStorage, which Bun and Deno provide).
 *
 * @example
 * ```ts
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * app.route('/', auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (c) => c.json(c.get('identity')))
 * app.onError(auth.onError)
 * app.notFound(auth.notFound(app))
 * ```
 *
 * @module jwtguard/hono
 */
import {
  type Context,
  type Env,
  type ErrorHandler,
  type Handler,
  Hono,
  type Input,
  type MiddlewareHandler,
  type Next,
  type NotFoundHandler,
} from 'hono'
import type { HandlerResponse } from 'hono/types'
import type { StatusCode } from 'hono/utils/http-status'
import {
  type AuthResult,
  assertJwtGuard,
  caughtErrorResponse,
  HTTP_METHODS,
  type HttpResponse,
  type JwtGuard,
  type JwtPayload,
  logToConsole,
  type ProtectedCallbacks,
  type ProtectOptions,
  type RegisteredIdentity,
  runProtected,
  serveAuthRoute,
  unmatchedRoute,
} from '../../adapter/index.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** The identity of a request that passed `jwtRequired()` (typed through `Register`). */
    identity: RegisteredIdentity
    /** The verified payload of a request that passed `jwtRequired()`. */
    jwtPayload: JwtPayload
  }
}

/** Options of {@link jwtGuard}. */
export interface JwtGuardHonoOptions {
  /**
   * Receives each error that is not the library's (a bug, a database down); the client gets a 500.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, c: Context) => void) | undefined
  /**
   * The peer address, for login throttling. On Bun or Deno: `(c) => getConnInfo(c).remote.address`
   * with `getConnInfo` from `hono/bun` or `hono/deno`.
   * @default the socket's address under @hono/node-server, else none
   */
  remoteAddress?: ((c: Context) => string | undefined) | undefined
}

/** What {@link jwtGuard} returns: everything a Hono app mounts. */
export interface HonoJwtGuard {
  /** `POST /auth` (the guard's `authPath`) and 405 for its other methods: `app.route('/', auth.routes)`. */
  routes: Hono
  /** Admits only requests with a valid access token meeting `options`; sets `c.var.identity` and `currentIdentity()`. */
  jwtRequired(options?: ProtectOptions<Context>): MiddlewareHandler
  /** Sets `c.var.identity` when a valid token is sent, lets requests without one through, refuses an invalid one. */
  jwtOptional(options?: ProtectOptions<Context>): MiddlewareHandler
  /**
   * `handler`, run only for requests that `jwtRequired(options)` would admit: the same check and
   * the same answers, as a handler instead of a middleware (Flask-JWT's `@jwt_required()`
   * decorating a view). A route whose only handler this is skips Hono's middleware chain, which
   * costs more per request than the check itself does with the verified-token cache (bench/README.md).
   *
   * @example
   * ```ts
   * app.get('/api/v1/private', auth.protect((c) => c.json({ user: c.get('identity') })))
   * ```
   */
  protect<E extends Env, P extends string, I extends Input, R extends HandlerResponse<unknown>>(
    handler: Handler<E, P, I, R>,
    options?: ProtectOptions<Context>,
  ): Handler<E, P, I, R>
  /** `handler` run as behind `jwtOptional(options)`: see {@link HonoJwtGuard.protect}. */
  protectOptional<E extends Env, P extends string, I extends Input, R extends HandlerResponse<unknown>>(
    handler: Handler<E, P, I, R>,
    options?: ProtectOptions<Context>,
  ): Handler<E, P, I, R>
  /** Renders the core's errors as the contract's JSON; an `HTTPException` keeps its own response. */
  onError: ErrorHandler
  /** `app.notFound(auth.notFound(app))`: 405 with `Allow` when other methods of the path have routes, else 404. */
  notFound(app: Pick<Hono, 'router'>): NotFoundHandler
}

/** @hono/node-server's bindings (`c.env.incoming`), read without importing anything of Node. */
function nodeServerAddress(c: Context): string | undefined {
  const address = (c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming
    ?.socket?.remoteAddress
  return typeof address === 'string' ? address : undefined
}

function send(c: Context, response: HttpResponse): Response {
  for (const cookie of response.cookies ?? []) c.header('set-cookie', cookie, { append: true })
  return c.newResponse(response.body, response.status as StatusCode, response.headers)
}

/**
 * Builds a guard's Hono middleware; options are checked here, at start-up.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { jwtGuard } from 'jwtguard/hono'
 * const app = new Hono()
 * const auth = jwtGuard(guard)
 * app.route('/', auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (c) => c.json(c.get('identity')))
 * app.onError(auth.onError)
 * app.notFound(auth.notFound(app))
 * ```
 */
export function jwtGuard(guard: JwtGuard<unknown>, options: JwtGuardHonoOptions = {}): HonoJwtGuard {
  assertJwtGuard(guard, 'jwtguard/hono')
  const { logError = logToConsole, remoteAddress = nodeServerAddress } = options
  const render = (c: Context, error: unknown, realm?: string): Response => {
    const log = (unexpected: unknown) => logError(unexpected, c)
    return send(c, caughtErrorResponse(guard, error, log, realm))
  }

  const routes = new Hono()
  for (const route of guard.routes) {
    routes.on(route.method, route.path, async function jwtGuardRoute(c) {
      try {
        return send(c, await serveAuthRoute(route, c.req.raw, guard.options.bodyLimit, remoteAddress(c)))
      } catch (error) {
        return render(c, error)
      }
    })
    routes.all(route.path, (c) => render(c, unmatchedRoute(guard, [route.method])))
  }

  const tracksIdentity = guard.options.currentIdentity
  /**
   * The callbacks of one protected route: expose an admitted request's identity, then run
   * `then(c, next)` (the next middleware, or the handler) with its arguments rather than through a
   * closure made per request; render a refusal with the route's realm.
   */
  const callbacks = <T>(
    realm: string,
    then: (c: Context, next: Next) => T,
  ): ProtectedCallbacks<unknown, Context, Next, T | Response> => ({
    onIdentity(result: AuthResult<unknown> | null, c, next) {
      if (result === null) return then(c, next)
      c.set('identity', result.identity as RegisteredIdentity)
      c.set('jwtPayload', result.payload)
      if (!tracksIdentity) return then(c, next)
      return guard.runWithIdentity(result.identity, () => then(c, next))
    },
    onError: (error, c) => render(c, error, realm),
  })
  const callNext = (_c: Context, next: Next): Promise<void> => next()

  // Neither function is `async`: when the route's check is synchronous (a local key and a
  // synchronous identity), a request costs no promise of ours. `c.req` has the `method` and `url`
  // the core asks of a request: no object per request.
  const middleware =
    (mode: 'required' | 'optional') =>
    (protectOptions?: ProtectOptions<Context>): MiddlewareHandler => {
      const route = guard.protect(protectOptions, mode)
      const then = callbacks(route.realm, callNext)
      return function jwtGuardProtect(c, next) {
        return Promise.resolve(runProtected(route, c.req.raw.headers, c, c.req, then, c, next))
      }
    }

  const wrap =
    (mode: 'required' | 'optional') =>
    <E extends Env, P extends string, I extends Input, R extends HandlerResponse<unknown>>(
      handler: Handler<E, P, I, R>,
      protectOptions?: ProtectOptions<Context>,
    ): Handler<E, P, I, R> => {
      if (typeof handler !== 'function') {
        throw new TypeError(`jwtguard/hono: protect(handler) needs a handler function, not ${typeof handler}`)
      }
      const route = guard.protect(protectOptions, mode)
      // A refusal is a plain Response, outside the handler's typed responses, as in any middleware.
      const then = callbacks(route.realm, handler as unknown as (c: Context, next: Next) => R)
      return function jwtGuardProtected(c: Context<E, P, I>, next: Next): R {
        const context = c as unknown as Context
        return runProtected(route, context.req.raw.headers, context, context.req, then, context, next) as R
      }
    }

  return {
    routes,
    jwtRequired: middleware('required'),
    jwtOptional: middleware('optional'),
    protect: wrap('required'),
    protectOptional: wrap('optional'),
    onError: function jwtGuardOnError(error, c) {
      if ('getResponse' in error && typeof error.getResponse === 'function') return error.getResponse()
      return render(c, error)
    },
    notFound(app) {
      // Routes of another method on this path; `ALL` entries are middleware (or would have matched).
      const routed = (method: string, path: string) =>
        app.router.match(method, path)[0].some(([[, route]]) => route.method !== 'ALL')
      return function jwtGuardNotFound(c) {
        const methods = HTTP_METHODS.filter((method) => method !== 'HEAD' && routed(method, c.req.path))
        return render(c, unmatchedRoute(guard, methods))
      }
    },
  }
}

export default jwtGuard
