/**
 * One factory per framework and transport. The HTTP contract suite runs against every entry.
 */

import { createServer, request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Hono } from 'hono'
import { buildExpressApp, type Listening, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildFetchApp, listenFetch } from '../../server/apps/fetch.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import { buildNestApp, listenNest, type NestPlatform } from '../../server/apps/nest.js'
import type { Framework } from '../../server/config.js'
import type { ServerContext } from '../../server/context.js'
import { createTestContext, socketRequest, type TestApp, toTestResponse } from './server.js'

export type AppFactory = (env?: Record<string, string>) => Promise<TestApp>

function headerRecord(headers: Record<string, unknown>): Record<string, string> {
  const record: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return record
}

/** Fastify's own in-process client, `inject`. */
export function injectClient(app: Pick<FastifyInstance, 'inject'>): TestApp['request'] {
  return async (method, path, init = {}) => {
    const response = await app.inject({
      method: method as 'GET',
      url: path,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { payload: Buffer.from(init.body) }),
    })
    return toTestResponse(response.statusCode, headerRecord(response.headers), response.body)
  }
}

/** Hono's own in-process client, `app.request()`. */
export function honoClient(app: Pick<Hono, 'request'>): TestApp['request'] {
  return fetchClient((request) => app.request(request))
}

/** A fetch handler called with a `Request` built in process: no socket, no Node HTTP parser. */
export function fetchClient(fetch: (request: Request) => Response | Promise<Response>): TestApp['request'] {
  return async (method, path, init = {}) => {
    const response = await fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { body: init.body }),
      }),
    )
    return toTestResponse(
      response.status,
      Object.fromEntries(response.headers.entries()),
      await response.text(),
    )
  }
}

const fastifyInProcess: AppFactory = async (env) => {
  const { context, cleanup } = await createTestContext(env)
  const app = await buildFastifyApp(context)
  await app.ready()
  return {
    framework: 'fastify',
    transport: 'in-process',
    context,
    request: injectClient(app),
    async close() {
      await app.close()
      await cleanup()
    },
  }
}

const fastifySocket: AppFactory = async (env) => {
  const { context, cleanup } = await createTestContext(env)
  const app = await buildFastifyApp(context)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  return {
    framework: 'fastify',
    transport: 'socket',
    context,
    request: (method, path, init) => socketRequest(baseUrl, method, path, init),
    async close() {
      await app.close()
      await cleanup()
    },
  }
}

/** The same client over a real socket for any framework: `listen` starts it on port 0. */
function socketApp(framework: Framework, listen: (context: ServerContext) => Promise<Listening>): AppFactory {
  return async (env) => {
    const { context, cleanup } = await createTestContext(env)
    const { address, close } = await listen(context)
    return {
      framework,
      transport: 'socket',
      context,
      request: (method, path, init) => socketRequest(address, method, path, init),
      async close() {
        await close()
        await cleanup()
      },
    }
  }
}

/** Two connected in-memory streams: what one side writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = []
  for (const index of [0, 1]) {
    sides.push(
      new Duplex({
        read() {},
        write(chunk, _encoding, callback) {
          sides[1 - index]?.push(chunk)
          callback()
        },
        final(callback) {
          sides[1 - index]?.push(null)
          callback()
        },
      }),
    )
  }
  return sides as [Duplex, Duplex]
}

/**
 * Express has no inject of its own (light-my-request rewrites Express's shared request prototype,
 * which breaks real sockets in the same process). So: Node's own HTTP server and client, joined
 * by an in-memory stream instead of a socket; no port, the real parser on both sides.
 */
export function inMemoryClient(listener: RequestListener): TestApp['request'] {
  const server = createServer(listener)
  return (method, path, init = {}) =>
    new Promise((resolve, reject) => {
      const [clientSide, serverSide] = duplexPair()
      server.emit('connection', serverSide)
      const body = init.body === undefined ? undefined : Buffer.from(init.body)
      const headers: Record<string, string> = { connection: 'close', ...init.headers }
      if (body !== undefined) headers['content-length'] = String(body.byteLength)
      const req = httpRequest(
        { method, path, headers, createConnection: () => clientSide },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve(toTestResponse(response.statusCode ?? 0, headerRecord(response.headers), text))
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
}

/** An app without a server of its own (Express, Hono), reached through an in-process `client`. */
function inProcessApp(
  framework: Framework,
  client: (context: ServerContext) => TestApp['request'],
): AppFactory {
  return async (env) => {
    const { context, cleanup } = await createTestContext(env)
    return { framework, transport: 'in-process', context, request: client(context), close: cleanup }
  }
}

/** NestJS in process: Fastify's inject on @nestjs/platform-fastify, the in-memory client on Express. */
export async function nestInProcessApp(platform: NestPlatform, context: ServerContext): Promise<TestApp> {
  const app = await buildNestApp(context, platform)
  const instance = app.getHttpAdapter().getInstance()
  if (platform === 'fastify') await (instance as FastifyInstance).ready()
  const request =
    platform === 'fastify'
      ? injectClient(instance as FastifyInstance)
      : inMemoryClient(instance as RequestListener)
  return {
    framework: `nest-${platform}`,
    transport: 'in-process',
    context,
    request,
    close: () => app.close(),
  }
}

function nestInProcess(platform: NestPlatform): AppFactory {
  return async (env) => {
    const { context, cleanup } = await createTestContext(env)
    const app = await nestInProcessApp(platform, context)
    return {
      ...app,
      async close() {
        await app.close()
        await cleanup()
      },
    }
  }
}

export interface AppEntry {
  name: string
  framework: Framework
  create: AppFactory
}

/** Every framework, in-process and over a socket. */
export const APPS: AppEntry[] = [
  { name: 'fastify (inject)', framework: 'fastify', create: fastifyInProcess },
  { name: 'fastify (socket)', framework: 'fastify', create: fastifySocket },
  {
    name: 'express (in-memory)',
    framework: 'express',
    create: inProcessApp('express', (context) => inMemoryClient(buildExpressApp(context))),
  },
  {
    name: 'express (socket)',
    framework: 'express',
    create: socketApp('express', async (context) => listenExpress(buildExpressApp(context), 0, '127.0.0.1')),
  },
  {
    name: 'hono (app.request)',
    framework: 'hono',
    create: inProcessApp('hono', (context) => honoClient(buildHonoApp(context))),
  },
  {
    name: 'hono (socket)',
    framework: 'hono',
    create: socketApp('hono', async (context) => listenHono(buildHonoApp(context), 0, '127.0.0.1')),
  },
  {
    name: 'fetch (Request)',
    framework: 'fetch',
    create: inProcessApp('fetch', (context) => fetchClient(buildFetchApp(context))),
  },
  {
    name: 'fetch (socket)',
    framework: 'fetch',
    create: socketApp('fetch', async (context) => listenFetch(buildFetchApp(context), 0, '127.0.0.1')),
  },
  { name: 'nest-express (in-memory)', framework: 'nest-express', create: nestInProcess('express') },
  {
    name: 'nest-express (socket)',
    framework: 'nest-express',
    create: socketApp('nest-express', async (context) =>
      listenNest(await buildNestApp(context, 'express'), 0, '127.0.0.1'),
    ),
  },
  { name: 'nest-fastify (inject)', framework: 'nest-fastify', create: nestInProcess('fastify') },
  {
    name: 'nest-fastify (socket)',
    framework: 'nest-fastify',
    create: socketApp('nest-fastify', async (context) =>
      listenNest(await buildNestApp(context, 'fastify'), 0, '127.0.0.1'),
    ),
  },
]
