/**
 * The exception filter of `jwtguard/nest`: renders the library's errors (and, with
 * `renderAllErrors`, Nest's own 404 and unexpected errors) as the contract's JSON, with the
 * `WWW-Authenticate` challenge and `Allow`, through the core's one HTTP mapping.
 *
 * @module
 */
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  NotFoundException,
} from '@nestjs/common'
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core'
import {
  caughtErrorResponse,
  isJwtGuardError,
  type JwtGuard,
  logToConsole,
  unmatchedRoute,
} from '../../adapter/index.js'
import { pathMethods, send, unrouted } from './platform.js'
import { JWT_GUARD, JWT_GUARD_NEST_OPTIONS, type JwtGuardNestOptions, refusals } from './tokens.js'

/**
 * Installed by `JwtGuardModule` as a global filter (`APP_FILTER`); what it does not render goes
 * to Nest's own `BaseExceptionFilter`. Your code can throw the core's errors through it too.
 *
 * @example
 * ```ts
 * import { JwtGuardError } from 'jwtguard'
 * // In a handler: answered 401 "Invalid token" with the challenge, as the guard's own refusals.
 * throw new JwtGuardError('ERR_TOKEN_REVOKED', 'Token has been revoked')
 * ```
 */
export class JwtGuardExceptionFilter extends BaseExceptionFilter implements ExceptionFilter {
  readonly #authMethods: ReadonlyMap<string, string[]>

  constructor(
    private readonly guard: JwtGuard<unknown>,
    private readonly adapterHost: HttpAdapterHost,
    private readonly nestOptions: JwtGuardNestOptions,
  ) {
    super(adapterHost.httpAdapter)
    this.#authMethods = new Map(guard.routes.map((route) => [route.path, [route.method]]))
  }

  /** Renders `exception` as the contract's JSON when it is the library's to render. */
  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp()
    const request = http.getRequest<object>()
    const response = http.getResponse<unknown>()
    const error = this.#libraryError(exception, request)
    if (error === undefined) {
      super.catch(exception, host)
      return
    }
    const { logError = logToConsole } = this.nestOptions
    const log = (unexpected: unknown) => logError(unexpected, request)
    send(response, caughtErrorResponse(this.guard, error, log, refusals.get(request)))
  }

  /** The error to render as the contract's; `undefined` leaves `exception` to Nest. */
  #libraryError(exception: unknown, request: object): unknown {
    if (isJwtGuardError(exception) || refusals.has(request)) return exception
    const renderAll = this.nestOptions.renderAllErrors === true
    if (exception instanceof NotFoundException && unrouted(request)) {
      const { originalUrl, url } = request as { originalUrl?: string; url?: string }
      const path = (originalUrl ?? url ?? '/').split('?')[0] ?? '/'
      // The auth paths are the library's: their other methods answer 405 in any case.
      const auth = this.#authMethods.get(path)
      if (auth !== undefined) return unmatchedRoute(this.guard, auth)
      return renderAll
        ? unmatchedRoute(this.guard, pathMethods(this.adapterHost.httpAdapter, path))
        : undefined
    }
    return renderAll && !(exception instanceof HttpException) ? exception : undefined
  }
}

Catch()(JwtGuardExceptionFilter)
Inject(JWT_GUARD)(JwtGuardExceptionFilter, undefined, 0)
Inject(HttpAdapterHost)(JwtGuardExceptionFilter, undefined, 1)
Inject(JWT_GUARD_NEST_OPTIONS)(JwtGuardExceptionFilter, undefined, 2)
