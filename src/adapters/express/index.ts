/**
 * `jwtguard/express`: Express 5 (and 4) middleware. It reads the request, calls the core and
 * writes the core's response byte for byte; every HTTP decision is the core's.
 *
 * @example
 * ```ts
 * const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity }))
 * app.use(auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (req, res) => { res.json(req.auth) })
 * app.use(auth.notFound)
 * app.use(auth.errorHandler)
 * ```
 *
 * @module jwtguard/express
 */

import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express'
import { Router } from 'express'
import type {
  AuthResult,
  JwtGuard,
  JwtPayload,
  ProtectedCallbacks,
  ProtectOptions,
  RegisteredIdentity,
} from '../../adapter/index.js'
import {
  assertJwtGuard,
  bodyTooLarge,
  caughtErrorResponse,
  encodingUnsupported,
  JwtGuardError,
  logToConsole,
  readNodeRequestBody,
  runProtected,
  unmatchedRoute,
  writeNodeResponse,
} from '../../adapter/index.js'
import { routeMethods } from './route-methods.js'

declare global {
  // Express types its request through this global namespace (as Passport does).
  namespace Express {
    interface Request {
      /** The identity of a request that passed `jwtRequired()` (typed through `Register`). */
      auth?: RegisteredIdentity
      /** The verified payload of a request that passed `jwtRequired()`. */
      jwtPayload?: JwtPayload
    }
  }
}

/** Options of {@link jwtGuard}. */
export interface JwtGuardExpressOptions {
  /**
   * Receives each error that is not the library's (a bug, a database down); the client gets a 500.
   * @default logs with `console.error`
   */
  logError?: ((error: unknown, request: Request) => void) | undefined
}

/** What {@link jwtGuard} returns: everything an Express app mounts. */
export interface ExpressJwtGuard {
  /** `POST /auth` (the guard's `authPath`) and 405 for its other methods: `app.use(auth.routes)`. */
  routes: Router
  /** Admits only requests with a valid access token meeting `options`; sets `req.auth` and `currentIdentity()`. */
  jwtRequired(options?: ProtectOptions<Request>): RequestHandler
  /** Sets `req.auth` when a valid token is sent, lets requests without one through, refuses an invalid one. */
  jwtOptional(options?: ProtectOptions<Request>): RequestHandler
  /** Renders the core's errors and body-parser's as the contract's JSON; install last. */
  errorHandler: ErrorRequestHandler
  /** 405 with `Allow` when other methods of the path have routes, else 404; install after the routes. */
  notFound: RequestHandler
}

const malformed = (message: string) => () => new JwtGuardError('ERR_BODY_MALFORMED', message)

/** body-parser's error types (`express.json()`, `express.raw()`, ...) as the core's errors. */
const BODY_PARSER_ERRORS: Record<string, (limit: number) => JwtGuardError> = {
  'entity.too.large': bodyTooLarge,
  'encoding.unsupported': encodingUnsupported,
  'entity.parse.failed': malformed('Request body could not be parsed'),
  'request.aborted': malformed('Request body was cut short'),
  'request.size.invalid': malformed('Request body does not match its headers'),
  'charset.unsupported': () =>
    new JwtGuardError('ERR_MEDIA_TYPE_UNSUPPORTED', 'Request body charset is not supported'),
}

/**
 * Builds a guard's Express middleware; options are checked here, at start-up.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { jwtGuard } from 'jwtguard/express'
 * const app = express()
 * const auth = jwtGuard(guard)
 * app.use(auth.routes)
 * app.get('/api/v1/me', auth.jwtRequired(), (req, res) => {
 *   res.json(req.auth)
 * })
 * app.use(auth.notFound)
 * app.use(auth.errorHandler)
 * ```
 */
export function jwtGuard(guard: JwtGuard<unknown>, options: JwtGuardExpressOptions = {}): ExpressJwtGuard {
  assertJwtGuard(guard, 'jwtguard/express')
  const { logError = logToConsole } = options
  const render = (req: Request, res: Response, error: unknown, realm?: string) => {
    const log = (unexpected: unknown) => logError(unexpected, req)
    writeNodeResponse(res, caughtErrorResponse(guard, error, log, realm))
  }

  const errorHandler: ErrorRequestHandler = function jwtGuardErrorHandler(error: unknown, req, res, next) {
    if (res.headersSent) return next(error)
    const { type, limit } = (error ?? {}) as { type?: unknown; limit?: unknown }
    const known = typeof type === 'string' && Object.hasOwn(BODY_PARSER_ERRORS, type)
    const bodyLimit = typeof limit === 'number' ? limit : guard.options.bodyLimit
    render(req, res, known ? BODY_PARSER_ERRORS[type]?.(bodyLimit) : error)
  }

  const routes = Router({ caseSensitive: true, strict: true })
  // The kit's reader, not body-parser's: past the limit, body-parser reads the whole rest of the
  // body before it answers (a client that keeps sending gets its 413 only at the request timeout).
  const readBody: RequestHandler = function jwtGuardReadBody(req, _res, next) {
    if (req.readableEnded) return next() // another parser of the app read the body first
    readNodeRequestBody(req, guard.options.bodyLimit).then((body) => {
      req.body = body
      next()
    }, next)
  }
  for (const route of guard.routes) {
    const handler: RequestHandler = function jwtGuardRoute(req, res, next) {
      const { headers, socket, body } = req
      const request = { contentType: headers['content-type'], headers, remoteAddress: socket.remoteAddress }
      const raw = body instanceof Uint8Array ? body : undefined
      route.handle({ ...request, body: raw }).then((response) => writeNodeResponse(res, response), next)
    }
    const path = routes.route(route.path)
    if (route.method === 'GET') path.get(handler)
    else path.post(readBody, handler)
    path.all((_req, _res, next) => next(unmatchedRoute(guard, [route.method])))
  }
  routes.use(errorHandler)

  const protect =
    (mode: 'required' | 'optional') =>
    (protectOptions?: ProtectOptions<Request>): RequestHandler => {
      const route = guard.protect(protectOptions, mode)
      const callbacks: ProtectedCallbacks<unknown, Response, NextFunction, void> = {
        onIdentity(result: AuthResult<unknown> | null, res, next) {
          if (result === null) return next()
          res.req.auth = result.identity as RegisteredIdentity
          res.req.jwtPayload = result.payload
          guard.runWithIdentity(result.identity, next)
        },
        onError: (error, res) => render(res.req, res, error, route.realm),
      }
      // Synchronous when the route's check is: no promise, microtask or closure per request.
      return function jwtGuardProtect(req, res, next) {
        runProtected(
          route,
          req.headers,
          req,
          { method: req.method, url: req.originalUrl },
          callbacks,
          res,
          next,
        )
      }
    }

  return {
    routes,
    jwtRequired: protect('required'),
    jwtOptional: protect('optional'),
    errorHandler,
    notFound: function jwtGuardNotFound(req, _res, next) {
      // Express 4 keeps its router on `_router`, Express 5 on `router`.
      const app = req.app as unknown as Record<'_router' | 'router', { stack?: unknown } | undefined>
      const path = (req.originalUrl || req.url).split('?')[0] ?? '/'
      next(unmatchedRoute(guard, routeMethods((app._router ?? app.router)?.stack, path)))
    },
  }
}

export default jwtGuard
