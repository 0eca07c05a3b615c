/**
 * `jwtguard/express`: Express 5 (and 4) middleware. It reads the request, calls the core and
 * writes the core's response byte for byte; every HTTP decision is the core's.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createJwtGuard, currentIdentity } from 'jwtguard'
 * import { jwtGuard } from 'jwtguard/express'
 *
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * const app = express()
 * app.use(auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (req, res) => { res.json(req.auth) })
 * app.use(auth.notFound)
 * app.use(auth.errorHandler)
 * ```
 *
 * @module jwtguard/express
 */
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  Router,
} from 'express'
import {
  bodyTooLarge,
  encodingUnsupported,
  type HttpResponse,
  isJwtGuardError,
  type JwtGuard,
  JwtGuardError,
  type JwtPayload,
  type ProtectOptions,
  protectRealm,
  type RegisteredIdentity,
  unmatchedRoute,
} from '../../index.js'

declare global {
  // Express types its request through this global namespace (as Passport does).
  namespace Express {
    interface Request {
      /** The identity of a request that passed `jwtRequired()` (type it through `Register`). */
      auth?: RegisteredIdentity
      /** The verified payload of a request that passed `jwtRequired()`. */
      jwtPayload?: JwtPayload
    }
  }
}

/** Options of {@link jwtGuard}. */
export interface JwtGuardExpressOptions {
  /**
   * Called with every error that is not the library's (a bug, a database down) before the
   * generic 500 is sent; the client never sees it.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, request: Request) => void) | undefined
}

/** What {@link jwtGuard} returns: everything an Express app mounts. */
export interface ExpressJwtGuard {
  /** `POST /auth` (the guard's `authPath`), and 405 for its other methods: `app.use(auth.routes)`. */
  routes: Router
  /** Middleware that admits only requests with a valid access token and sets `req.auth`. */
  jwtRequired(options?: ProtectOptions): RequestHandler
  /** Renders the core's errors and Express's own body errors as the contract's JSON; install last. */
  errorHandler: ErrorRequestHandler
  /** 405 with `Allow` when another method of the path has a route, else 404; install after the routes. */
  notFound: RequestHandler
}

/** body-parser's error types (`express.json()`, `express.raw()`, ...) as the core's errors. */
function bodyParserError(error: unknown, limit: number): unknown {
  const { type, limit: parserLimit } = (error ?? {}) as { type?: unknown; limit?: unknown }
  switch (type) {
    case 'entity.too.large':
      return bodyTooLarge(typeof parserLimit === 'number' ? parserLimit : limit)
    case 'entity.parse.failed':
      return new JwtGuardError('ERR_BODY_MALFORMED', 'Request body could not be parsed', { cause: error })
    case 'request.aborted':
    case 'request.size.invalid':
      return new JwtGuardError('ERR_BODY_MALFORMED', 'Request body does not match its headers')
    case 'encoding.unsupported':
      return encodingUnsupported()
    case 'charset.unsupported':
      return new JwtGuardError('ERR_MEDIA_TYPE_UNSUPPORTED', 'Request body charset is not supported')
    default:
      return error
  }
}

/** The structural part of Express's router (4 and 5) that `notFound` reads to compute `Allow`. */
interface RouterLayer {
  route?: { methods?: Record<string, unknown> }
  handle?: { stack?: unknown }
  path?: string
  match(path: string): unknown
}

/** Collects the methods of every route under `stack` that matches `path`, mounted routers included. */
function routeMethods(stack: unknown, path: string, into: string[]): string[] {
  if (!Array.isArray(stack)) return into
  for (const layer of stack as RouterLayer[]) {
    let match: unknown
    try {
      match = layer.match(path)
    } catch {
      continue
    }
    if (!match) continue
    if (layer.route?.methods) into.push(...Object.keys(layer.route.methods).filter((m) => m !== '_all'))
    else if (Array.isArray(layer.handle?.stack)) {
      const prefix = typeof match === 'object' ? (match as { path?: unknown }).path : layer.path
      const rest = path.slice(typeof prefix === 'string' ? prefix.length : 0)
      routeMethods(layer.handle.stack, rest.startsWith('/') ? rest : `/${rest}`, into)
    }
  }
  return into
}

function send(res: Response, response: HttpResponse): void {
  res.status(response.status)
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  res.end(response.body ?? undefined)
}

/**
 * Builds the Express middleware of a guard. Options are validated here, at start-up.
 */
export function jwtGuard(guard: JwtGuard<unknown>, options: JwtGuardExpressOptions = {}): ExpressJwtGuard {
  if (typeof guard?.authenticateRequest !== 'function') {
    throw new TypeError('jwtguard/express: jwtGuard(guard) needs the result of createJwtGuard()')
  }
  const logError = options.logError ?? ((error: unknown) => console.error('jwtguard: request failed', error))
  const render = (req: Request, res: Response, error: unknown, realm?: string): void => {
    if (!isJwtGuardError(error)) logError(error, req)
    send(res, guard.errorResponse(error, realm))
  }

  const errorHandler: ErrorRequestHandler = function jwtGuardErrorHandler(error: unknown, req, res, next) {
    if (res.headersSent) return next(error)
    render(req, res, bodyParserError(error, guard.options.bodyLimit))
  }

  const routes = Router({ caseSensitive: true, strict: true })
  const readBody = express.raw({ type: () => true, limit: guard.options.bodyLimit, inflate: false })
  for (const route of guard.routes) {
    routes
      .route(route.path)
      .post(readBody, function jwtGuardLogin(req, res, next) {
        const body = Buffer.isBuffer(req.body) ? (req.body as Buffer) : undefined
        const { headers, socket } = req
        route
          .handle({
            contentType: headers['content-type'],
            body,
            headers,
            remoteAddress: socket.remoteAddress,
          })
          .then((response) => send(res, response), next)
      })
      .all((_req, _res, next) => next(guard.methodNotAllowed([route.method])))
  }
  routes.use(errorHandler)

  return {
    routes,
    jwtRequired(protect?: ProtectOptions): RequestHandler {
      const realm = protectRealm(protect)
      return function jwtRequired(req, res, next) {
        guard.authenticateRequest(req.headers).then(
          (result) => {
            req.auth = result.identity as RegisteredIdentity
            req.jwtPayload = result.payload
            guard.runWithIdentity(result.identity, next)
          },
          (error: unknown) => render(req, res, error, realm),
        )
      }
    },
    errorHandler,
    notFound: function jwtGuardNotFound(req, _res, next) {
      const app = req.app as unknown as { _router?: { stack?: unknown }; router?: { stack?: unknown } }
      // Express 4 keeps its router on `_router`; Express 5 on `router`.
      const stack = (app._router ?? app.router)?.stack
      const path = (req.originalUrl || req.url).split('?')[0] ?? '/'
      next(unmatchedRoute(guard, routeMethods(stack, path, [])))
    },
  }
}

export default jwtGuard
