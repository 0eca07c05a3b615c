/**
 * The reference server on `jwtguard/fetch`: one `(Request) => Response` function, as Next.js,
 * Bun, Deno and Workers take it, served on Node by @hono/node-server's request listener.
 */
import { getRequestListener } from '@hono/node-server'
import { type FetchHandler, jwtGuard } from 'jwtguard/fetch'
import type { ServerContext } from '../context.js'
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../http-limits.js'
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi.js'
import { PAGE_ASSETS } from '../public/assets.js'
import { endSession, listSessions, SESSIONS_PATH } from '../sessions.js'
import { type Listening, listenNode } from './express.js'

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }
const json = (value: unknown) => new Response(JSON.stringify(value), { headers: JSON_HEADERS })

/** The server's own routes: path, then method, then handler. `HEAD` runs the `GET` handler. */
type Routes = Map<string, Map<string, FetchHandler>>

/** The one route with a parameter: one session of the current user. */
const SESSION_ROUTE = `${SESSIONS_PATH}/{id}`

/** The route a path belongs to: itself, or {@link SESSION_ROUTE} for `/api/v1/sessions/<id>`. */
function routeOf(pathname: string): string {
  const rest = pathname.startsWith(`${SESSIONS_PATH}/`) ? pathname.slice(SESSIONS_PATH.length + 1) : ''
  return rest !== '' && !rest.includes('/') ? SESSION_ROUTE : pathname
}

/** The `{id}` of a session route's URL, decoded as the other frameworks decode parameters. */
function sessionId(request: Request): string {
  const raw = new URL(request.url).pathname.slice(SESSIONS_PATH.length + 1)
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

function appRoutes(context: ServerContext, auth: ReturnType<typeof jwtGuard>): Routes {
  const routes: Routes = new Map()
  const get = (path: string, handler: FetchHandler) => routes.set(path, new Map([['GET', handler]]))
  get('/health', () => json({ status: 'ok' }))
  const openapi = JSON.stringify(buildOpenApiDocument(context.guard))
  get(OPENAPI_PATH, () => new Response(openapi, { headers: JSON_HEADERS }))
  for (const asset of PAGE_ASSETS) get(asset.path, () => new Response(asset.body, { headers: asset.headers }))
  get(
    '/api/v1/private',
    auth.protect(() => json({ meaning_of_life: 42 })),
  )
  get(
    '/api/v1/me',
    auth.protect((_request, { identity }) => json(identity)),
  )
  get(
    '/api/v1/admin',
    auth.protect(() => json({ admin: true }), { roles: ['admin'] }),
  )
  get(
    SESSIONS_PATH,
    auth.protect(async (_request, { payload }) => json(await listSessions(context.guard, payload))),
  )
  routes.set(
    SESSION_ROUTE,
    new Map([
      [
        'DELETE',
        auth.protect(async (request, { payload }) => {
          await endSession(context.guard, payload, sessionId(request))
          return new Response(null, { status: 204 })
        }),
      ],
    ]),
  )
  return routes
}

/** The app as @hono/node-server calls it: the request, then its bindings (`incoming`, `outgoing`). */
export type NodeFetch = (request: Request, bindings?: unknown) => Promise<Response>

/** The socket's address from @hono/node-server's bindings, for login throttling. */
export function nodeRemoteAddress(_request: Request, bindings?: unknown): string | undefined {
  const address = (bindings as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming
    ?.socket?.remoteAddress
  return typeof address === 'string' ? address : undefined
}

/** The whole app as one fetch handler: the guard's routes, the server's, then 404 or 405. */
export function buildFetchApp(context: ServerContext): NodeFetch {
  const auth = jwtGuard(context.guard, {
    logError: (error) => context.logger.error({ err: error }, 'request failed'),
    remoteAddress: nodeRemoteAddress,
  })
  const routes = appRoutes(context, auth)
  return async function referenceServer(request, bindings) {
    const answered = await auth.handle(request, bindings)
    if (answered !== null) return answered
    const methods = routes.get(routeOf(new URL(request.url).pathname))
    const handler = methods?.get(request.method === 'HEAD' ? 'GET' : request.method)
    if (methods === undefined || handler === undefined) return auth.notFound(request, methods?.keys())
    const response = await handler(request)
    return request.method === 'HEAD' ? new Response(null, response) : response
  }
}

/** Serves a fetch handler on Node on `port` (0: any free port) and `host`, within `limits`. */
export function listenFetch(
  fetch: NodeFetch,
  port: number,
  host: string,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<Listening> {
  return listenNode(getRequestListener(fetch), port, host, limits)
}
