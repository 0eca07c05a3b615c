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
  bodyTooLarge,
  type HttpResponse,
  isJwtGuardError,
  type JwtGuard,
  JwtGuardError,
  type JwtPayload,
  type ProtectedRoute,
  type ProtectOptions,
  type RegisteredIdentity,
} from '../../index.js'

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
  }
}

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

function send(reply: FastifyReply, response: HttpResponse): FastifyReply {
  return reply
    .code(response.status)
    .headers(response.headers)
    .send(response.body ?? undefined)
}

/** Translates Fastify's own request errors into the core's, then renders them. */
function renderError(
  guard: JwtGuard<unknown>,
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  let known = error
  const code = (error as FastifyError | null)?.code
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') known = bodyTooLarge(guard.options.bodyLimit)
  else if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    known = new JwtGuardError('ERR_BODY_MALFORMED', 'Request body does not match its headers')
  }
  if (!isJwtGuardError(known)) request.log.error({ err: error }, 'request failed')
  return send(reply, guard.errorResponse(known))
}

function jwtGuard(fastify: FastifyInstance, options: JwtGuardPluginOptions): Promise<void> {
  const guard = options.guard as JwtGuard<RegisteredIdentity>
  if (typeof guard?.authenticateRequest !== 'function') {
    throw new TypeError('jwtguard/fastify: options.guard must be the result of createJwtGuard()')
  }
  fastify.decorateRequest('identity', null)
  fastify.decorateRequest('jwtPayload', null)
  fastify.decorate('jwtGuard', guard)
  const protectHook = (route: ProtectedRoute<RegisteredIdentity, FastifyRequest>): preHandlerHookHandler =>
    function jwtGuardHook(request, reply, done) {
      route.authenticate(request.headers, request).then(
        (result) => {
          if (result === null) return done()
          request.identity = result.identity
          request.jwtPayload = result.payload
          guard.runWithIdentity(result.identity, done)
        },
        (error: unknown) => {
          if (!isJwtGuardError(error)) request.log.error({ err: error }, 'authentication failed')
          send(reply, guard.errorResponse(error, route.realm))
        },
      )
    }
  fastify.decorate('jwtRequired', (options?: ProtectOptions<FastifyRequest>) =>
    protectHook(guard.protect(options, 'required')),
  )
  fastify.decorate('jwtOptional', (options?: ProtectOptions<FastifyRequest>) =>
    protectHook(guard.protect(options, 'optional')),
  )

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
        handler: async (request, reply) =>
          send(
            reply,
            await route.handle({
              contentType: request.headers['content-type'],
              body: request.body as Buffer | undefined,
              headers: request.headers,
              remoteAddress: request.socket.remoteAddress,
            }),
          ),
      })
      routes.route({
        method: METHODS.filter((method) => method !== route.method),
        url: route.path,
        handler: async () => {
          throw guard.methodNotAllowed([route.method])
        },
      })
    }
  })

  if (options.renderAllErrors === true) {
    fastify.setErrorHandler((error, request, reply) => renderError(guard, error, request, reply))
    fastify.setNotFoundHandler(function notFound(request, reply) {
      const url = request.url.split('?')[0] ?? '/'
      const allow = METHODS.filter((method) => this.findRoute({ method, url }) !== null)
      return send(
        reply,
        guard.errorResponse(allow.length > 0 ? guard.methodNotAllowed(allow) : guard.notFound()),
      )
    })
  }
  return Promise.resolve()
}

/** The jwtguard Fastify plugin: `POST /auth`, `fastify.jwtRequired()`, `request.identity`. */
export const jwtGuardPlugin = fp(jwtGuard, { fastify: '5.x', name: 'jwtguard' })
export default jwtGuardPlugin
