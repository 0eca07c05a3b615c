/**
 * `jwtguard/hono`: Hono 4 middleware. It reads the request, calls the core and returns the
 * core's response byte for byte; every HTTP decision is the core's. Only Web APIs on the request
 * path (plus the core's node:crypto and AsyncLocalStorage, which Bun and Deno provide).
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createJwtGuard } from 'jwtguard'
 * import { jwtGuard } from 'jwtguard/hono'
 *
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * const app = new Hono()
 * app.route('/', auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (c) => c.json(c.get('identity')))
 * app.onError(auth.onError)
 * app.notFound(auth.notFound(app))
 * ```
 *
 * @module jwtguard/hono
 */
import { type Context, type ErrorHandler, Hono, type MiddlewareHandler, type NotFoundHandler } from 'hono'
import type { StatusCode } from 'hono/utils/http-status'
import {
  assertIdentityEncoding,
  bodyTooLarge,
  HTTP_METHODS,
  type HttpResponse,
  isJwtGuardError,
  type JwtGuard,
  type JwtPayload,
  type ProtectOptions,
  protectRealm,
  type RegisteredIdentity,
  unmatchedRoute,
} from '../../index.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** The identity of a request that passed `jwtRequired()` (type it through `Register`). */
    identity: RegisteredIdentity
    /** The verified payload of a request that passed `jwtRequired()`. */
    jwtPayload: JwtPayload
  }
}

/** Options of {@link jwtGuard}. */
export interface JwtGuardHonoOptions {
  /**
   * Called with every error that is not the library's (a bug, a database down) before the
   * generic 500 is sent; the client never sees it.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, c: Context) => void) | undefined
  /**
   * The peer address of the request, for login throttling (with `trustProxy`, the core reads
   * `X-Forwarded-For` itself). On Bun or Deno, pass `(c) => getConnInfo(c).remote.address` from
   * `hono/bun` or `hono/deno`.
   * @default the socket's address under @hono/node-server, else `undefined`
   */
  remoteAddress?: ((c: Context) => string | undefined) | undefined
}

/** @hono/node-server's bindings (`c.env.incoming`), read without importing anything of Node. */
function nodeServerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return typeof address === 'string' ? address : undefined
}

/** What {@link jwtGuard} returns: everything a Hono app mounts. */
export interface HonoJwtGuard {
  /** `POST /auth` (the guard's `authPath`), and 405 for its other methods: `app.route('/', auth.routes)`. */
  routes: Hono
  /** Middleware that admits only requests with a valid access token and sets `c.var.identity`. */
  jwtRequired(options?: ProtectOptions): MiddlewareHandler
  /** Renders the core's errors as the contract's JSON; an `HTTPException` keeps its own response. */
  onError: ErrorHandler
  /** For `app.notFound(auth.notFound(app))`: 405 with `Allow` when another method of the path has a route, else 404. */
  notFound(app: Pick<Hono, 'router'>): NotFoundHandler
}

/** Reads at most `limit` bytes: a larger `Content-Length` is refused unread, a longer stream midway. */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (Number(request.headers.get('content-length')) > limit) throw bodyTooLarge(limit)
  if (request.body === null) return undefined
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength
    if (size > limit) throw bodyTooLarge(limit)
    chunks.push(read.value)
  }
  if (chunks.length === 1) return chunks[0]
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

function send(c: Context, response: HttpResponse): Response {
  return c.newResponse(response.body, response.status as StatusCode, response.headers)
}

/**
 * Builds the Hono middleware of a guard. Options are validated here, at start-up.
 */
export function jwtGuard(guard: JwtGuard<unknown>, options: JwtGuardHonoOptions = {}): HonoJwtGuard {
  if (typeof guard?.authenticateRequest !== 'function') {
    throw new TypeError('jwtguard/hono: jwtGuard(guard) needs the result of createJwtGuard()')
  }
  const logError = options.logError ?? ((error: unknown) => console.error('jwtguard: request failed', error))
  const remoteAddress = options.remoteAddress ?? nodeServerAddress
  const render = (c: Context, error: unknown, realm?: string): Response => {
    if (!isJwtGuardError(error)) logError(error, c)
    return send(c, guard.errorResponse(error, realm))
  }

  const routes = new Hono()
  for (const route of guard.routes) {
    routes.post(route.path, async function jwtGuardLogin(c) {
      try {
        assertIdentityEncoding(c.req.header('content-encoding'))
        const body = await readBody(c.req.raw, guard.options.bodyLimit)
        const { headers } = c.req.raw
        const request = { contentType: headers.get('content-type') ?? undefined, body, headers }
        return send(c, await route.handle({ ...request, remoteAddress: remoteAddress(c) }))
      } catch (error) {
        return render(c, error)
      }
    })
    routes.all(route.path, (c) => render(c, guard.methodNotAllowed([route.method])))
  }

  return {
    routes,
    jwtRequired(protect?: ProtectOptions): MiddlewareHandler {
      const realm = protectRealm(protect)
      return async function jwtRequired(c, next) {
        let result: Awaited<ReturnType<typeof guard.authenticateRequest>>
        try {
          result = await guard.authenticateRequest(c.req.raw.headers)
        } catch (error) {
          return render(c, error, realm)
        }
        c.set('identity', result.identity as RegisteredIdentity)
        c.set('jwtPayload', result.payload)
        return guard.runWithIdentity(result.identity, next)
      }
    },
    onError: function jwtGuardOnError(error, c) {
      if ('getResponse' in error && typeof error.getResponse === 'function') return error.getResponse()
      return render(c, error)
    },
    notFound(app) {
      return function jwtGuardNotFound(c) {
        const methods = HTTP_METHODS.filter(
          (method) =>
            method !== 'HEAD' &&
            app.router.match(method, c.req.path)[0].some(([[, r]]) => r.method !== 'ALL'),
        )
        return render(c, unmatchedRoute(guard, methods))
      }
    },
  }
}

export default jwtGuard
