/**
 * `jwtguard/fastify`: the Fastify plugin. It reads the request, calls the core and writes the
 * core's response; every HTTP decision is the core's.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { createJwtGuard } from 'jwtguard'
 * import { jwtGuardPlugin } from 'jwtguard/fastify'
 *
 * const app = Fastify()
 * await app.register(jwtGuardPlugin, { guard: createJwtGuard({ secret, authenticate, identity }) })
 * app.get('/api/v1/private', { preHandler: app.jwtRequired() }, async () => ({ meaning_of_life: 42 }))
 * ```
 *
 * @module jwtguard/fastify
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HTTPMethods,
  preHandlerHookHandler,
} from 'fastify'
import fp from 'fastify-plugin'
import {
  type AuthResult,
  allowedMethods,
  assertIdentityEncoding,
  assertJwtGuard,
  bodyTooLarge,
  caughtErrorResponse,
  failure,
  HTTP_METHODS,
  type HttpResponse,
  type JwtGuard,
  JwtGuardError,
  type JwtPayload,
  type ProtectedCallbacks,
  type ProtectedRoute,
  type ProtectOptions,
  type RegisteredIdentity,
  runProtected,
  unmatchedRoute,
} from '../../adapter/index.js'

/** Options of {@link jwtGuardPlugin}. */
export interface JwtGuardPluginOptions {
  /** The auth object from `createJwtGuard`. */
  guard: JwtGuard<unknown>
  /**
   * Render every error of the app (404, 405 with `Allow`, 413, 500, ...) as the contract's JSON,
   * not only those of the auth routes and protected routes.
   * @default false
   */
  renderAllErrors?: boolean | undefined
}

/** The request a `fastify.protect()` handler sees: the identity and payload are set. */
export type ProtectedRequest = FastifyRequest & { identity: RegisteredIdentity; jwtPayload: JwtPayload }

/** What `fastify.protect()` returns: route options with the check and the handler. */
export interface ProtectedRouteOptions<TReply> {
  /** The check: `jwtRequired(options)`. */
  preHandler: preHandlerHookHandler
  /** The route's handler, called only after the check admitted the request. */
  handler: (request: FastifyRequest, reply: FastifyReply) => TReply
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The identity of a request that passed `jwtRequired()`, else `null`. */
    identity: RegisteredIdentity | null
    /** The verified payload of a request that passed `jwtRequired()`, else `null`. */
    jwtPayload: JwtPayload | null
  }
  interface FastifyInstance {
    /** The auth object registered with the plugin. */
    jwtGuard: JwtGuard<RegisteredIdentity>
    /** A `preHandler` that admits only requests with a valid access token meeting `options`. */
    jwtRequired(options?: ProtectOptions<FastifyRequest>): preHandlerHookHandler
    /** A `preHandler` that sets the identity when a valid token is sent, and refuses an invalid one. */
    jwtOptional(options?: ProtectOptions<FastifyRequest>): preHandlerHookHandler
    /**
     * Route options running `handler` only for requests that `jwtRequired(options)` admits; the
     * handler's `request.identity` is the registered identity, never `null`:
     * `app.get('/api/v1/me', app.protect(async (request) => request.identity))`.
     */
    protect<TReply>(
      handler: (request: ProtectedRequest, reply: FastifyReply) => TReply,
      options?: ProtectOptions<FastifyRequest>,
    ): ProtectedRouteOptions<TReply>
  }
}

const METHODS: readonly HTTPMethods[] = [...HTTP_METHODS]

function send(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status).headers(response.headers)
  if (response.cookies !== undefined) reply.header('set-cookie', response.cookies)
  return reply.send(response.body ?? undefined)
}

/** Fastify's own request errors (its body parsers, schema validation) as the core's failures. */
const FASTIFY_ERRORS: Record<string, (guard: JwtGuard<unknown>) => JwtGuardError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (guard) => bodyTooLarge(guard.options.bodyLimit),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new JwtGuardError('ERR_BODY_MALFORMED', 'Request body does not match its headers'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => failure('mediaType'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => failure('bodyNotJson'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => failure('bodyEmpty'),
  FST_ERR_VALIDATION: () => failure('requestSchema'),
  FST_ERR_BAD_URL: (guard) => guard.notFound(),
}

/** Translates Fastify's own request errors into the core's, then renders them. */
function renderError(
  guard: JwtGuard<unknown>,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const code = (error as FastifyError | null)?.code
  const mapped =
    typeof code === 'string' && Object.hasOwn(FASTIFY_ERRORS, code)
      ? FASTIFY_ERRORS[code]?.(guard)
      : undefined
  return send(
    reply,
    caughtErrorResponse(guard, mapped ?? error, (cause) =>
      request.log.error({ err: cause }, 'request failed'),
    ),
  )
}

/**
 * Fastify's `frameworkErrors` option: renders the errors Fastify raises before any route runs
 * (a URL that does not decode, ...) in the contract's JSON.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { frameworkErrors } from 'jwtguard/fastify'
 * const app = Fastify({ frameworkErrors: frameworkErrors(guard) })
 * ```
 */
export function frameworkErrors(
  guard: JwtGuard<unknown>,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return function jwtGuardFrameworkErrors(error, request, reply) {
    renderError(guard, error, request, reply)
  }
}

function jwtGuard(fastify: FastifyInstance, options: JwtGuardPluginOptions): Promise<void> {
  const guard = options.guard as JwtGuard<RegisteredIdentity>
  assertJwtGuard(guard, 'jwtguard/fastify: options.guard')
  fastify.decorateRequest('identity', null)
  fastify.decorateRequest('jwtPayload', null)
  fastify.decorate('jwtGuard', guard)
  const callbacks = (
    realm: string,
  ): ProtectedCallbacks<RegisteredIdentity, FastifyReply, () => void, void> => ({
    onIdentity(result: AuthResult<RegisteredIdentity> | null, reply, done) {
      if (result === null) return done()
      reply.request.identity = result.identity
      reply.request.jwtPayload = result.payload
      guard.runWithIdentity(result.identity, done)
    },
    onError(error, reply) {
      const log = (cause: unknown) => reply.request.log.error({ err: cause }, 'authentication failed')
      send(reply, caughtErrorResponse(guard, error, log, realm))
    },
  })
  // Synchronous when the route's check is: no promise, microtask or closure per request.
  const protectHook = (route: ProtectedRoute<RegisteredIdentity, FastifyRequest>): preHandlerHookHandler => {
    const then = callbacks(route.realm)
    return function jwtGuardHook(request, reply, done) {
      runProtected(route, request.headers, request, request, then, reply, done)
    }
  }
  fastify.decorate('jwtRequired', (options?: ProtectOptions<FastifyRequest>) =>
    protectHook(guard.protect(options, 'required')),
  )
  fastify.decorate('jwtOptional', (options?: ProtectOptions<FastifyRequest>) =>
    protectHook(guard.protect(options, 'optional')),
  )
  fastify.decorate(
    'protect',
    <TReply>(
      handler: (request: ProtectedRequest, reply: FastifyReply) => TReply,
      options?: ProtectOptions<FastifyRequest>,
    ): ProtectedRouteOptions<TReply> => ({
      preHandler: protectHook(guard.protect(options, 'required')),
      // The preHandler admitted the request, so its identity and payload are set.
      handler: (request, reply) => handler(request as ProtectedRequest, reply),
    }),
  )

  // The auth paths answer only their own method; other methods reach a catch-all 405 route, which
  // must not count as a route when the not-found handler lists a path's methods.
  const authMethods = new Map<string, string[]>(guard.routes.map((route) => [route.path, [route.method]]))
  const realMethods = (url: string): string[] =>
    authMethods.get(url) ?? METHODS.filter((method) => fastify.findRoute({ method, url }) !== null)
  async function methodNotAllowed(request: FastifyRequest): Promise<never> {
    throw unmatchedRoute(guard, realMethods(request.routeOptions.url ?? request.url))
  }

  // The auth routes live in their own context so their raw-body parser touches no other route.
  fastify.register(async (routes) => {
    routes.removeAllContentTypeParsers()
    routes.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    routes.setErrorHandler((error, request, reply) => renderError(guard, error, request, reply))
    for (const route of guard.routes) {
      routes.route({
        method: route.method,
        url: route.path,
        bodyLimit: guard.options.bodyLimit,
        handler: async (request, reply) => {
          assertIdentityEncoding(request.headers['content-encoding'])
          return send(
            reply,
            await route.handle({
              contentType: request.headers['content-type'],
              body: request.body as Buffer | undefined,
              headers: request.headers,
              remoteAddress: request.socket.remoteAddress,
            }),
          )
        },
      })
      const answered = allowedMethods([route.method]) // GET brings HEAD, which Fastify adds itself
      routes.route({
        method: METHODS.filter((method) => !answered.includes(method)),
        url: route.path,
        handler: methodNotAllowed,
      })
    }
  })

  if (options.renderAllErrors === true) {
    fastify.setErrorHandler((error, request, reply) => renderError(guard, error, request, reply))
    fastify.setNotFoundHandler(function notFound(request, reply) {
      return send(
        reply,
        guard.errorResponse(unmatchedRoute(guard, realMethods(request.url.split('?')[0] ?? '/'))),
      )
    })
  }
  return Promise.resolve()
}

/**
 * The jwtguard Fastify plugin: `POST /auth`, `fastify.jwtRequired()`, `request.identity`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { jwtGuardPlugin } from 'jwtguard/fastify'
 * const app = Fastify()
 * await app.register(jwtGuardPlugin, { guard, renderAllErrors: true })
 * app.get('/api/v1/me', { preHandler: app.jwtRequired() }, async (request) => request.identity)
 * ```
 */
export const jwtGuardPlugin = fp(jwtGuard, { fastify: '5.x', name: 'jwtguard' })
export default jwtGuardPlugin
