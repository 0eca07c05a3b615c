/**
 * The HTTP benchmark apps: per framework, `GET /health` open and `GET /api/v1/private` behind
 * either our adapter or the ecosystem's own JWT middleware. Every app answers the same JSON on the
 * same routes, loads no user from a database, and listens on 127.0.0.1 only. The NestJS apps are in
 * nest-apps.ts.
 */
import type { AddressInfo } from 'node:net'
import fastifyJwt from '@fastify/jwt'
import { serve } from '@hono/node-server'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { expressjwt } from 'express-jwt'
import Fastify from 'fastify'
import { type Handler, Hono, type MiddlewareHandler } from 'hono'
import { jwt as honoJwt } from 'hono/jwt'
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { CEILING, FLOOR, isOurs, SECRET, SECRET_KEY } from '../lib/fixtures.js'
import { createFloorVerifier } from '../micro/floor.js'

/** The frameworks benchmarked. */
export type Framework = 'fastify' | 'express' | 'hono' | 'nest-express' | 'nest-fastify'

/** One server to benchmark: a framework with one JWT middleware. */
export interface Variant {
  /** Stable id, `framework/middleware`. */
  id: string
  framework: Framework
  /** `ours` or the ecosystem middleware's name. */
  middleware: string
  /** Authorization scheme the middleware expects. */
  scheme: 'JWT' | 'Bearer'
}

export const VARIANTS: readonly Variant[] = [
  { id: 'fastify/ours', framework: 'fastify', middleware: 'ours', scheme: 'JWT' },
  { id: 'fastify/ours (cache)', framework: 'fastify', middleware: 'ours (cache)', scheme: 'JWT' },
  { id: `fastify/${FLOOR}`, framework: 'fastify', middleware: FLOOR, scheme: 'JWT' },
  { id: 'fastify/@fastify/jwt', framework: 'fastify', middleware: '@fastify/jwt', scheme: 'Bearer' },
  { id: `fastify/${CEILING}`, framework: 'fastify', middleware: CEILING, scheme: 'JWT' },
  { id: 'express/ours', framework: 'express', middleware: 'ours', scheme: 'JWT' },
  { id: 'express/ours (cache)', framework: 'express', middleware: 'ours (cache)', scheme: 'JWT' },
  { id: `express/${FLOOR}`, framework: 'express', middleware: FLOOR, scheme: 'JWT' },
  {
    id: 'express/express-jwt (KeyObject)',
    framework: 'express',
    middleware: 'express-jwt (KeyObject)',
    scheme: 'Bearer',
  },
  {
    id: 'express/express-jwt (string)',
    framework: 'express',
    middleware: 'express-jwt (string)',
    scheme: 'Bearer',
  },
  { id: `express/${CEILING}`, framework: 'express', middleware: CEILING, scheme: 'JWT' },
  { id: 'hono/ours', framework: 'hono', middleware: 'ours', scheme: 'JWT' },
  { id: 'hono/ours (cache)', framework: 'hono', middleware: 'ours (cache)', scheme: 'JWT' },
  { id: 'hono/ours (protect)', framework: 'hono', middleware: 'ours (protect)', scheme: 'JWT' },
  { id: 'hono/ours (protect, cache)', framework: 'hono', middleware: 'ours (protect, cache)', scheme: 'JWT' },
  { id: `hono/${FLOOR}`, framework: 'hono', middleware: FLOOR, scheme: 'JWT' },
  { id: 'hono/hono/jwt', framework: 'hono', middleware: 'hono/jwt', scheme: 'Bearer' },
  { id: `hono/${CEILING}`, framework: 'hono', middleware: CEILING, scheme: 'JWT' },
  ...(['nest-express', 'nest-fastify'] as const).flatMap((framework): Variant[] => [
    { id: `${framework}/ours`, framework, middleware: 'ours', scheme: 'JWT' },
    { id: `${framework}/ours (cache)`, framework, middleware: 'ours (cache)', scheme: 'JWT' },
    { id: `${framework}/@nestjs/passport`, framework, middleware: '@nestjs/passport', scheme: 'Bearer' },
    { id: `${framework}/${CEILING}`, framework, middleware: CEILING, scheme: 'JWT' },
  ]),
]

/** A started server. */
export interface RunningServer {
  port: number
  close(): Promise<void>
}

/** Thrown when a variant's middleware does not exist (yet) in this tree. */
export class UnavailableError extends Error {}

const floorVerify = createFloorVerifier('HS256')

/** The ceiling's only check: an Authorization header of the JWT scheme, the token not looked at. */
function hasJwtScheme(authorization: string | null | undefined): authorization is string {
  return typeof authorization === 'string' && authorization.startsWith('JWT ')
}

/** The token of `JWT <token>`, verified by the floor verifier; false when refused. */
function floorAccepts(authorization: string | null | undefined): boolean {
  if (!hasJwtScheme(authorization)) return false
  try {
    floorVerify(authorization.slice(4))
    return true
  } catch {
    return false
  }
}

const OPEN_BODY = { status: 'ok' }
const PRIVATE_BODY = { meaning_of_life: 42 }

/**
 * Our guard as an app would configure it: defaults, identity from the payload, revocation checked
 * on every request against the embedded SQLite store (the reference server's default; its view in
 * memory answers the hot path); `… cache` variants add the verified-token cache.
 */
function makeGuard(middleware: string): JwtGuard<{ user_id: unknown }> {
  return createJwtGuard({
    secret: SECRET,
    cache: middleware.endsWith('cache)'),
    store: createSqliteStore({ database: ':memory:', syncInterval: 0 }),
    authenticate: () => null,
    identity: (payload) => ({ user_id: payload.identity }),
  })
}

// The Express and Hono adapters are written in parallel with this benchmark: loaded by a
// specifier the type checker does not follow, and described here by the API they are meant to have.
interface ExpressAdapter {
  jwtGuard(guard: JwtGuard<unknown>): {
    routes: RequestHandler
    jwtRequired(options?: { realm?: string }): RequestHandler
    errorHandler: ErrorRequestHandler
  }
}

interface HonoAdapter {
  jwtGuard(guard: JwtGuard<unknown>): {
    routes: Hono
    jwtRequired(options?: { realm?: string }): MiddlewareHandler
    protect(handler: Handler): Handler
  }
}

async function loadAdapter<T>(specifier: string): Promise<T> {
  let loaded: unknown
  try {
    loaded = await import(specifier)
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new UnavailableError(`${specifier} not available (${String(code)})`)
    }
    throw error
  }
  if (typeof (loaded as { jwtGuard?: unknown }).jwtGuard !== 'function') {
    throw new UnavailableError(`${specifier} has no jwtGuard export`)
  }
  return loaded as T
}

async function startFastify(middleware: string): Promise<RunningServer> {
  const app = Fastify()
  if (isOurs(middleware)) {
    await app.register(jwtGuardPlugin, { guard: makeGuard(middleware), renderAllErrors: true })
    const protect = app.jwtRequired()
    app.get('/health', async () => OPEN_BODY)
    app.get('/api/v1/private', { preHandler: protect }, async () => PRIVATE_BODY)
  } else if (middleware === FLOOR || middleware === CEILING) {
    const accepts = middleware === FLOOR ? floorAccepts : hasJwtScheme
    app.get('/health', async () => OPEN_BODY)
    app.get(
      '/api/v1/private',
      {
        preHandler: (request, reply, done) => {
          if (accepts(request.headers.authorization)) done()
          else reply.code(401).send({ error: 'unauthorized' })
        },
      },
      async () => PRIVATE_BODY,
    )
  } else {
    // @fastify/jwt's documented setup: the plugin, then `request.jwtVerify()` in an onRequest hook.
    await app.register(fastifyJwt, { secret: SECRET, verify: { algorithms: ['HS256'] } })
    app.get('/health', async () => OPEN_BODY)
    app.get(
      '/api/v1/private',
      {
        onRequest: async (request) => {
          await request.jwtVerify()
        },
      },
      async () => PRIVATE_BODY,
    )
  }
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
}

function listenNode(server: import('node:http').Server): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

async function startExpress(middleware: string): Promise<RunningServer> {
  const app = express()
  const open: RequestHandler = (_request, response) => {
    response.json(OPEN_BODY)
  }
  const handler: RequestHandler = (_request, response) => {
    response.json(PRIVATE_BODY)
  }
  if (isOurs(middleware)) {
    const { jwtGuard } = await loadAdapter<ExpressAdapter>('jwtguard/express')
    const auth = jwtGuard(makeGuard(middleware) as JwtGuard<unknown>)
    app.use(auth.routes)
    app.get('/health', open)
    app.get('/api/v1/private', auth.jwtRequired(), handler)
    app.use(auth.errorHandler)
  } else if (middleware === FLOOR || middleware === CEILING) {
    const accepts = middleware === FLOOR ? floorAccepts : hasJwtScheme
    app.get('/health', open)
    const floor: RequestHandler = (request, response, next) => {
      if (accepts(request.headers.authorization)) next()
      else response.status(401).json({ error: 'unauthorized' })
    }
    app.get('/api/v1/private', floor, handler)
  } else {
    const secret = middleware === 'express-jwt (KeyObject)' ? SECRET_KEY : SECRET
    app.get('/health', open)
    app.get('/api/v1/private', expressjwt({ secret, algorithms: ['HS256'] }), handler)
    const onError: ErrorRequestHandler = (error: { status?: number }, _request, response, _next) => {
      response.status(error.status ?? 500).json({ error: 'unauthorized' })
    }
    app.use(onError)
  }
  const { createServer } = await import('node:http')
  return listenNode(createServer(app))
}

async function startHono(middleware: string): Promise<RunningServer> {
  const app = new Hono()
  if (isOurs(middleware)) {
    const { jwtGuard } = await loadAdapter<HonoAdapter>('jwtguard/hono')
    const auth = jwtGuard(makeGuard(middleware) as JwtGuard<unknown>)
    app.route('/', auth.routes)
    app.get('/health', (c) => c.json(OPEN_BODY))
    const handler: Handler = (c) => c.json(PRIVATE_BODY)
    if (middleware.startsWith('ours (protect')) app.get('/api/v1/private', auth.protect(handler))
    else app.get('/api/v1/private', auth.jwtRequired(), handler)
  } else if (middleware === FLOOR || middleware === CEILING) {
    const accepts = middleware === FLOOR ? floorAccepts : hasJwtScheme
    app.get('/health', (c) => c.json(OPEN_BODY))
    const floor: MiddlewareHandler = async (c, next) =>
      accepts(c.req.header('authorization')) ? next() : c.json({ error: 'unauthorized' }, 401)
    app.get('/api/v1/private', floor, (c) => c.json(PRIVATE_BODY))
  } else {
    app.get('/health', (c) => c.json(OPEN_BODY))
    app.get('/api/v1/private', honoJwt({ secret: SECRET, alg: 'HS256' }), (c) => c.json(PRIVATE_BODY))
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
          }),
      })
    })
  })
}

/** Starts `variant` on an ephemeral loopback port. */
export function startVariant(variant: Variant): Promise<RunningServer> {
  switch (variant.framework) {
    case 'fastify':
      return startFastify(variant.middleware)
    case 'express':
      return startExpress(variant.middleware)
    case 'hono':
      return startHono(variant.middleware)
    case 'nest-express':
    case 'nest-fastify':
      // Loaded only when measured: NestJS and its decorators stay out of the other servers.
      return import('./nest-apps.js').then(({ startNest }) =>
        startNest(variant.framework === 'nest-express' ? 'express' : 'fastify', variant.middleware, () =>
          makeGuard(variant.middleware),
        ),
      )
  }
}
