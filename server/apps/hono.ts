/** The reference server on Hono, served on Node by @hono/node-server. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { jwtGuard } from 'jwtguard/hono'
import { answerClientError } from '../client-errors.js'
import type { ServerContext } from '../context.js'
import { capConnections, DEFAULT_HTTP_LIMITS, type HttpLimits, nodeServerOptions } from '../http-limits.js'
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi.js'
import { PAGE_ASSETS } from '../public/assets.js'
import { endSession, listSessions, SESSIONS_PATH } from '../sessions.js'
import type { Listening } from './express.js'

// `c.json()` says `application/json`; the other frameworks (and the library's errors) add the charset.
const json = (c: Context, value: unknown) =>
  c.body(JSON.stringify(value), 200, { 'content-type': 'application/json; charset=utf-8' })

export function buildHonoApp(context: ServerContext): Hono {
  const app = new Hono()
  const auth = jwtGuard(context.guard, {
    logError: (error) => context.logger.error({ err: error }, 'request failed'),
  })
  app.route('/', auth.routes)
  app.get('/health', (c) => json(c, { status: 'ok' }))
  const openapi = JSON.stringify(buildOpenApiDocument(context.guard))
  app.get(OPENAPI_PATH, (c) => c.body(openapi, 200, { 'content-type': 'application/json; charset=utf-8' }))
  // The browser page at `/` and its files (server/public).
  for (const asset of PAGE_ASSETS) {
    app.get(asset.path, (c) => c.body(asset.body, 200, asset.headers))
  }
  // `auth.protect(handler)` rather than the `auth.jwtRequired()` middleware: the same check, without
  // a trip through Hono's middleware chain (the test suite runs both forms).
  app.get(
    '/api/v1/private',
    auth.protect((c) => json(c, { meaning_of_life: 42 })),
  )
  app.get(
    '/api/v1/me',
    auth.protect((c) => json(c, c.get('identity'))),
  )
  app.get(
    '/api/v1/admin',
    auth.protect((c) => json(c, { admin: true }), { roles: ['admin'] }),
  )
  app.get(
    SESSIONS_PATH,
    auth.protect(async (c) => json(c, await listSessions(context.guard, c.get('jwtPayload') ?? {}))),
  )
  app.delete(
    `${SESSIONS_PATH}/:id`,
    auth.protect(async (c) => {
      await endSession(context.guard, c.get('jwtPayload') ?? {}, c.req.param('id') ?? '')
      return c.body(null, 204)
    }),
  )
  app.onError(auth.onError)
  app.notFound(auth.notFound(app))
  return app
}

/** Serves a Hono app on `port` (0: any free port) and `host`, within `limits`. */
export function listenHono(
  app: Hono,
  port: number,
  host: string,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const options = { fetch: app.fetch, port, hostname: host, serverOptions: nodeServerOptions(limits) }
    const server = serve(options, (info: AddressInfo) => {
      const address = info.address.includes(':') ? `[${info.address}]` : info.address
      resolve({
        address: `http://${address}:${info.port}`,
        server,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()))
            server.closeIdleConnections()
          }),
      })
    }) as Server
    capConnections(server, limits)
    server.on('clientError', answerClientError)
    server.once('error', reject)
  })
}
