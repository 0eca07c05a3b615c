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
import type { HttpResponse, JwtGuard, JwtPayload, ProtectOptions, RegisteredIdentity } from '../../index.js'
import * as core from '../../index.js'

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
  core.assertJwtGuard(guard, 'jwtguard/hono')
  const { logError = core.logToConsole, remoteAddress = nodeServerAddress } = options
  const render = (c: Context, error: unknown, realm?: string): Response => {
    const log = (unexpected: unknown) => logError(unexpected, c)
    return send(c, core.caughtErrorResponse(guard, error, log, realm))
  }

  const routes = new Hono()
  for (const route of guard.routes) {
    routes.on(route.method, route.path, async function jwtGuardRoute(c) {
      try {
        const { headers } = c.req.raw
        core.assertIdentityEncoding(headers.get('content-encoding'))
        const body =
          route.method === 'GET' ? undefined : await core.readRequestBody(c.req.raw, guard.options.bodyLimit)
        const contentType = headers.get('content-type') ?? undefined
        return send(c, await route.handle({ contentType, body, headers, remoteAddress: remoteAddress(c) }))
      } catch (error) {
        return render(c, error)
      }
    })
    routes.all(route.path, (c) => render(c, core.unmatchedRoute(guard, [route.method])))
  }

  /** The route's check, synchronous when it can be; `null` admits a request without a token (optional). */
  const check = (
    route: core.ProtectedRoute<unknown, Context>,
    c: Context,
  ): core.AuthResult<unknown> | null | Promise<core.AuthResult<unknown> | null> =>
    // `c.req` has the `method` and `url` the core asks of a request: no object per request.
    route.resolve(c.req.raw.headers, c, c.req)

  const tracksIdentity = guard.options.currentIdentity
  /**
   * Exposes an admitted request's identity, then runs `then(c, next)`: the next middleware or the
   * handler, called with its arguments rather than through a closure made per request.
   */
  const admit = <T>(
    c: Context,
    result: core.AuthResult<unknown> | null,
    then: (c: Context, next: Next) => T,
    next: Next,
  ): T => {
    if (result === null) return then(c, next)
    c.set('identity', result.identity as RegisteredIdentity)
    c.set('jwtPayload', result.payload)
    if (!tracksIdentity) return then(c, next)
    return guard.runWithIdentity(result.identity, () => then(c, next))
  }
  const callNext = (_c: Context, next: Next): Promise<void> => next()

  // Neither function is `async`: when the route's check is synchronous (a local key and a
  // synchronous identity), a request costs no promise of ours.
  const middleware =
    (mode: 'required' | 'optional') =>
    (protectOptions?: ProtectOptions<Context>): MiddlewareHandler => {
      const route = guard.protect(protectOptions, mode)
      return function jwtGuardProtect(c, next) {
        let result: ReturnType<typeof check>
        try {
          result = check(route, c)
        } catch (error) {
          return Promise.resolve(render(c, error, route.realm))
        }
        if (!(result instanceof Promise)) return admit(c, result, callNext, next)
        return result.then(
          (loaded) => admit(c, loaded, callNext, next),
          (error: unknown) => render(c, error, route.realm),
        )
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
      const run = handler as unknown as (c: Context, next: Next) => R
      return function jwtGuardProtected(c: Context<E, P, I>, next: Next): R {
        const context = c as unknown as Context
        let result: ReturnType<typeof check>
        try {
          result = check(route, context)
        } catch (error) {
          // A refusal is a plain Response, outside the handler's typed responses, as in any middleware.
          return render(context, error, route.realm) as R
        }
        if (!(result instanceof Promise)) return admit(context, result, run, next)
        return result.then(
          (loaded): unknown => admit(context, loaded, run, next),
          (error: unknown) => render(context, error, route.realm),
        ) as R
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
        const methods = core.HTTP_METHODS.filter((method) => method !== 'HEAD' && routed(method, c.req.path))
        return render(c, core.unmatchedRoute(guard, methods))
      }
    },
  }
}

export default jwtGuard
