/** The reference server on Express. */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Express } from 'express'
import { jwtGuard } from 'jwtguard/express'
import { answerClientError } from '../client-errors.js'
import type { ServerContext } from '../context.js'
import { capConnections, DEFAULT_HTTP_LIMITS, type HttpLimits, nodeServerOptions } from '../http-limits.js'
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi.js'
import { PAGE_ASSETS } from '../public/assets.js'
import { endSession, listSessions, SESSIONS_PATH } from '../sessions.js'

export function buildExpressApp(context: ServerContext): Express {
  const app = express()
  app.disable('x-powered-by')
  // Fastify's and Hono's routing: `/health/` and `/HEALTH` are not `/health`.
  app.set('strict routing', true)
  app.set('case sensitive routing', true)
  const auth = jwtGuard(context.guard, {
    logError: (error) => context.logger.error({ err: error }, 'request failed'),
  })
  const protect = auth.jwtRequired()
  app.use(auth.routes)
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })
  const openapi = JSON.stringify(buildOpenApiDocument(context.guard))
  app.get(OPENAPI_PATH, (_req, res) => {
    res.type('application/json; charset=utf-8').send(openapi)
  })
  // The browser page at `/` and its files (server/public).
  for (const asset of PAGE_ASSETS) {
    app.get(asset.path, (_req, res) => {
      res.status(200).set(asset.headers).end(asset.body)
    })
  }
  app.get('/api/v1/private', protect, (_req, res) => {
    res.json({ meaning_of_life: 42 })
  })
  app.get('/api/v1/me', protect, (req, res) => {
    res.json(req.auth)
  })
  app.get('/api/v1/admin', auth.jwtRequired({ roles: ['admin'] }), (_req, res) => {
    res.json({ admin: true })
  })
  // Express 5 passes a rejected handler's error to the error handler.
  app.get(SESSIONS_PATH, protect, async (req, res) => {
    res.json(await listSessions(context.guard, req.jwtPayload ?? {}))
  })
  app.delete(`${SESSIONS_PATH}/:id`, protect, async (req, res) => {
    await endSession(context.guard, req.jwtPayload ?? {}, String(req.params.id))
    res.status(204).end()
  })
  app.use(auth.notFound)
  app.use(auth.errorHandler)
  return app
}

/** A started Node server: its `http://host:port` address and a close that waits for it. */
export interface Listening {
  address: string
  server: Server
  close(): Promise<void>
}

/** Serves an Express app on `port` (0: any free port) and `host`, within `limits`. */
export function listenExpress(
  app: Express,
  port: number,
  host: string,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<Listening> {
  return listenNode(app, port, host, limits)
}

/** Serves a Node request listener on `port` (0: any free port) and `host`, within `limits`. */
export function listenNode(
  listener: RequestListener,
  port: number,
  host: string,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<Listening> {
  const server = createServer(nodeServerOptions(limits), listener)
  capConnections(server, limits)
  server.on('clientError', answerClientError)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const { address, port: bound } = server.address() as AddressInfo
      resolve({
        address: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`,
        server,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()))
            server.closeIdleConnections()
          }),
      })
    })
  })
}
