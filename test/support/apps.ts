/**
 * The reference server, one factory per framework and transport: the server's HTTP contract suites
 * run against every entry. Only the server's own tests use this file
 * (test/package/server-imports.test.ts keeps it so).
 */

import type { RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildExpressApp, type Listening, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildFetchApp, listenFetch } from '../../server/apps/fetch.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import { buildNestApp, listenNest, type NestPlatform } from '../../server/apps/nest.js'
import type { Framework } from '../../server/config.js'
import type { ServerContext } from '../../server/context.js'
import { fetchClient, honoClient, injectClient, inMemoryClient } from './http.js'
import { createTestContext, socketRequest, type TestApp } from './server.js'

export { fetchClient, honoClient, injectClient, inMemoryClient } from './http.js'

export type AppFactory = (env?: Record<string, string>) => Promise<TestApp>

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
