/**
 * One factory per framework and transport. The HTTP contract suite runs against every entry.
 */
import type { AddressInfo } from 'node:net'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import type { Framework } from '../../server/config.js'
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

const fastifyInProcess: AppFactory = async (env) => {
  const { context, cleanup } = await createTestContext(env)
  const app = await buildFastifyApp(context)
  await app.ready()
  return {
    framework: 'fastify',
    transport: 'in-process',
    context,
    async request(method, path, init = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url: path,
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { payload: Buffer.from(init.body) }),
      })
      return toTestResponse(response.statusCode, headerRecord(response.headers), response.body)
    },
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

export interface AppEntry {
  name: string
  framework: Framework
  create: AppFactory
}

/** Every framework, in-process and over a socket. */
export const APPS: AppEntry[] = [
  { name: 'fastify (inject)', framework: 'fastify', create: fastifyInProcess },
  { name: 'fastify (socket)', framework: 'fastify', create: fastifySocket },
]
