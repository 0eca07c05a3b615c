/**
 * One small app per framework on a guard without a database, for the adapter tests: the same
 * routes everywhere, reached in-process (Fastify's inject, Hono's app.request, Express through the
 * in-memory HTTP client).
 */
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { createJwtGuard, type JwtGuard, type JwtGuardOptions } from 'jwtguard'
import { jwtGuard as expressGuard } from 'jwtguard/express'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { jwtGuard as honoGuard } from 'jwtguard/hono'
import { inMemoryClient } from '../support/apps.js'
import type { RequestInit, TestResponse } from '../support/server.js'
import { TEST_SECRET, toTestResponse } from '../support/server.js'

export interface Who {
  user_id: number
}

export function makeGuard(options: Partial<JwtGuardOptions<Who>> = {}): JwtGuard<Who> {
  return createJwtGuard<Who>({
    secret: TEST_SECRET,
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: async (payload) =>
      typeof payload.identity === 'number' ? { user_id: payload.identity } : null,
    ...options,
  })
}

/** What the route under test returns, computed by the same code on every framework. */
export type Handler = (identityOnRequest: unknown) => Promise<unknown>

export type Client = (method: string, path: string, init?: RequestInit) => Promise<TestResponse>

export interface Framework {
  name: 'express' | 'fastify' | 'hono'
  /** An app with `GET /protected` (jwtRequired) and `GET /open`, both answering `handler`'s JSON. */
  build(guard: JwtGuard<unknown>, handler: Handler): Promise<{ request: Client; close(): Promise<void> }>
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

export const FRAMEWORKS: Framework[] = [
  {
    name: 'express',
    async build(guard, handler) {
      const app = express()
      const auth = expressGuard(guard)
      app.use(auth.routes)
      app.get('/protected', auth.jwtRequired(), async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.get('/open', async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.use(auth.notFound)
      app.use(auth.errorHandler)
      return { request: inMemoryClient(app), close: async () => {} }
    },
  },
  {
    name: 'fastify',
    async build(guard, handler) {
      const app = Fastify()
      await app.register(jwtGuardPlugin, { guard, renderAllErrors: true })
      app.get('/protected', { preHandler: app.jwtRequired() }, (request) => handler(request.identity))
      app.get('/open', (request) => handler(request.identity ?? undefined))
      await app.ready()
      return {
        async request(method, path, init = {}) {
          const response = await app.inject({
            method: method as 'GET',
            url: path,
            headers: init.headers ?? {},
            ...(init.body === undefined ? {} : { payload: Buffer.from(init.body) }),
          })
          return toTestResponse(
            response.statusCode,
            response.headers as Record<string, string>,
            response.body,
          )
        },
        close: () => app.close(),
      }
    },
  },
  {
    name: 'hono',
    async build(guard, handler) {
      const app = new Hono()
      const auth = honoGuard(guard)
      app.route('/', auth.routes)
      const reply = async (identity: unknown) => JSON.stringify(await handler(identity))
      app.get('/protected', auth.jwtRequired(), async (c) =>
        c.body(await reply(c.get('identity')), 200, JSON_HEADERS),
      )
      app.get('/open', async (c) => c.body(await reply(c.get('identity')), 200, JSON_HEADERS))
      app.onError(auth.onError)
      app.notFound(auth.notFound(app))
      return {
        async request(method, path, init = {}) {
          const response = await app.request(path, {
            method,
            headers: init.headers ?? {},
            ...(init.body === undefined ? {} : { body: init.body }),
          })
          const headers = Object.fromEntries(response.headers.entries())
          return toTestResponse(response.status, headers, await response.text())
        },
        close: async () => {},
      }
    },
  },
]
