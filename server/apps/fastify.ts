/** The reference server on Fastify. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { frameworkErrors, jwtGuardPlugin } from 'jwtguard/fastify'
import { answerClientError } from '../client-errors.js'
import type { ServerContext } from '../context.js'
import { capConnections, nodeServerOptions } from '../http-limits.js'
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi.js'
import { PAGE_ASSETS } from '../public/assets.js'
import { endSession, listSessions, SESSIONS_PATH } from '../sessions.js'

/**
 * The server's own routes read no body (the guard's routes read theirs in their own scope): one
 * sent anyway, a JSON body on `DELETE /api/v1/sessions/{id}` say, is read and left unparsed, as on
 * the frameworks that parse nothing they are not asked to, instead of a 400 for malformed JSON.
 */
export function ignoreBodies(
  app: Pick<FastifyInstance, 'removeAllContentTypeParsers' | 'addContentTypeParser'>,
): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined))
}

export async function buildFastifyApp(context: ServerContext): Promise<FastifyInstance> {
  const limits = context.config.httpLimits
  const app = Fastify({
    loggerInstance: context.logger as FastifyBaseLogger,
    frameworkErrors: frameworkErrors(context.guard),
    // Fastify's own defaults wait for a stalled body forever (requestTimeout 0): server/http-limits.ts.
    http: nodeServerOptions(limits),
    requestTimeout: limits.requestTimeout * 1000,
    keepAliveTimeout: limits.keepAliveTimeout * 1000,
    connectionTimeout: limits.idleTimeout * 1000,
    clientErrorHandler: answerClientError,
  })
  capConnections(app.server, limits)
  ignoreBodies(app)
  await app.register(jwtGuardPlugin, { guard: context.guard, renderAllErrors: true })
  const protect = app.jwtRequired()
  app.get('/health', async () => ({ status: 'ok' }))
  const openapi = JSON.stringify(buildOpenApiDocument(context.guard))
  app.get(OPENAPI_PATH, (_request, reply) => reply.type('application/json; charset=utf-8').send(openapi))
  // The browser page at `/` and its files (server/public).
  for (const asset of PAGE_ASSETS) {
    app.get(asset.path, (_request, reply) => reply.headers(asset.headers).send(asset.body))
  }
  app.get('/api/v1/private', { preHandler: protect }, async () => ({ meaning_of_life: 42 }))
  app.get('/api/v1/me', { preHandler: protect }, async (request) => request.identity)
  app.get('/api/v1/admin', { preHandler: app.jwtRequired({ roles: ['admin'] }) }, async () => ({
    admin: true,
  }))
  app.get(SESSIONS_PATH, { preHandler: protect }, (request) =>
    listSessions(context.guard, request.jwtPayload ?? {}),
  )
  app.delete<{ Params: { id: string } }>(
    `${SESSIONS_PATH}/:id`,
    { preHandler: protect },
    async (request, reply) => {
      await endSession(context.guard, request.jwtPayload ?? {}, request.params.id)
      return reply.code(204).send()
    },
  )
  return app
}
