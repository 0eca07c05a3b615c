/**
 * One small app per framework, for the adapter tests and the attack corpus, each mounting the
 * library's adapter directly (nothing of server/): the same routes everywhere (the guard's
 * `POST /auth`..., `GET` and `POST /protected`, `GET /open`, `/optional`, `/predicate`, `/billing`
 * for audience `billing`, the contract routes of `jwtguard/testing`'s adapter suite; and the
 * seed's `GET /api/v1/private`, `/api/v1/me` and `/health`), reached in-process (Fastify's
 * inject, Hono's app.request, Express through the in-memory HTTP client, the fetch handler with a
 * `Request`) or over a real socket. Hono runs
 * twice: with the `jwtRequired()` middleware and with handlers wrapped by `protect()`. NestJS runs on
 * Express and on Fastify, with the route decorators (`@JwtRequired`, `@JwtOptional`) rather than the
 * global guard.
 */
import 'reflect-metadata'
import { Controller, Get, HttpCode, Module, Post, Req } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import express from 'express'
import Fastify, { type FastifyRequest } from 'fastify'
import { type Context, Hono } from 'hono'
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { jwtGuard as expressGuard } from 'jwtguard/express'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { type FetchHandler, jwtGuard as fetchGuard } from 'jwtguard/fetch'
import { jwtGuard as honoGuard } from 'jwtguard/hono'
import { Identity, JwtGuardModule, JwtOptional, JwtRequired } from 'jwtguard/nest'
import type { GuardOverrides } from '../support/guard-options.js'
import {
  fetchClient,
  honoClient,
  injectClient,
  inMemoryClient,
  listenFetch,
  listenNode,
  nodeRemoteAddress,
  type RequestInit,
  socketRequest,
  TEST_SECRET,
  type TestResponse,
} from '../support/http.js'

export interface Who {
  user_id: number
}

export function makeGuard(options: GuardOverrides<Who> = {}): JwtGuard<Who> {
  return createJwtGuard<Who>({
    secret: TEST_SECRET,
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: async (payload) =>
      typeof payload.identity === 'number' ? { user_id: payload.identity } : null,
    ...options,
  })
}

/** What the two test routes answer (as JSON), computed by the same code on every framework. */
export type Handler = (identityOnRequest: unknown) => Promise<unknown>

export type Client = (method: string, path: string, init?: RequestInit) => Promise<TestResponse>

export interface TestServer {
  request: Client
  /** `http://127.0.0.1:port` for the socket transport. */
  address?: string
  /** In process, for the apps that are one: the app's `(Request) => Response`. */
  fetch?: (request: Request) => Promise<Response>
  close(): Promise<void>
}

export interface Framework {
  name: 'express' | 'fastify' | 'hono' | 'hono (protect)' | 'fetch' | 'nest-express' | 'nest-fastify'
  start(guard: JwtGuard<unknown>, handler: Handler, transport?: 'in-process' | 'socket'): Promise<TestServer>
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }
/** The seed's routes besides the test routes: `/api/v1/private`, `/api/v1/me` (the identity) and `/health`. */
const MEANING = { meaning_of_life: 42 }
const HEALTH = { status: 'ok' }
const LOOPBACK = '127.0.0.1'

function overSocket(address: string, close: () => Promise<void>): TestServer {
  return { address, request: (method, path, init) => socketRequest(address, method, path, init), close }
}

/** Hono with the `jwtRequired()` middleware in front of each handler, or with `protect()` wrapping it. */
function honoFramework(name: 'hono' | 'hono (protect)', form: 'middleware' | 'protect'): Framework {
  return {
    name,
    async start(guard, handler, transport = 'in-process') {
      const app = new Hono()
      const auth = honoGuard(guard)
      app.route('/', auth.routes)
      const reply = async (c: Context) =>
        c.body(JSON.stringify(await handler(c.get('identity'))), 200, JSON_HEADERS)
      const allow = (_claims: unknown, c: Context) => c.req.header('x-allow') === 'yes'
      if (form === 'middleware') {
        app.on(['GET', 'POST'], '/protected', auth.jwtRequired(), reply)
        app.get('/optional', auth.jwtOptional(), reply)
        app.get('/predicate', auth.jwtRequired({ allow }), reply)
        app.get('/billing', auth.jwtRequired({ audience: 'billing' }), reply)
      } else {
        app.on(['GET', 'POST'], '/protected', auth.protect(reply))
        app.get('/optional', auth.protectOptional(reply))
        app.get('/predicate', auth.protect(reply, { allow }))
        app.get('/billing', auth.protect(reply, { audience: 'billing' }))
      }
      app.get('/open', reply)
      const json = (c: Context, value: unknown) => c.body(JSON.stringify(value), 200, JSON_HEADERS)
      if (form === 'middleware') {
        app.get('/api/v1/private', auth.jwtRequired(), (c) => json(c, MEANING))
        app.get('/api/v1/me', auth.jwtRequired(), (c) => json(c, c.get('identity')))
      } else {
        app.get(
          '/api/v1/private',
          auth.protect((c) => json(c, MEANING)),
        )
        app.get(
          '/api/v1/me',
          auth.protect((c) => json(c, c.get('identity'))),
        )
      }
      app.get('/health', (c) => json(c, HEALTH))
      app.onError(auth.onError)
      app.notFound(auth.notFound(app))
      if (transport === 'socket') {
        const { address, close } = await listenFetch(app.fetch)
        return overSocket(address, close)
      }
      return { request: honoClient(app), fetch: async (request) => app.fetch(request), close: async () => {} }
    },
  }
}

/** The fetch handler: one function routing by path, each route's handler wrapped by `protect()`. */
const fetchFramework: Framework = {
  name: 'fetch',
  async start(guard, handler, transport = 'in-process') {
    const auth = fetchGuard(guard, { remoteAddress: nodeRemoteAddress })
    const reply = async (identity: unknown) =>
      new Response(JSON.stringify(await handler(identity)), { headers: JSON_HEADERS })
    const allow = (_claims: unknown, request: Request) => request.headers.get('x-allow') === 'yes'
    const routes = new Map<string, Record<string, FetchHandler>>()
    const protectedRoute = auth.protect((_request, { identity }) => reply(identity))
    routes.set('/protected', { GET: protectedRoute, POST: protectedRoute })
    routes.set('/open', { GET: () => reply(undefined) })
    const json = (value: unknown) => new Response(JSON.stringify(value), { headers: JSON_HEADERS })
    routes.set('/api/v1/private', { GET: auth.protect(() => json(MEANING)) })
    routes.set('/api/v1/me', { GET: auth.protect((_request, { identity }) => json(identity)) })
    routes.set('/health', { GET: () => json(HEALTH) })
    routes.set('/optional', { GET: auth.protectOptional((_request, result) => reply(result?.identity)) })
    routes.set('/predicate', {
      GET: auth.jwtRequired({ allow })((_request, { identity }) => reply(identity)),
    })
    routes.set('/billing', {
      GET: auth.protect((_request, { identity }) => reply(identity), { audience: 'billing' }),
    })
    const app = async (request: Request, bindings?: unknown): Promise<Response> => {
      const answered = await auth.handle(request, bindings)
      if (answered !== null) return answered
      const methods = routes.get(new URL(request.url).pathname)
      const route = methods?.[request.method === 'HEAD' ? 'GET' : request.method]
      if (route === undefined) return auth.notFound(request, Object.keys(methods ?? {}))
      return route(request)
    }
    if (transport === 'socket') {
      const { address, close } = await listenFetch(app)
      return overSocket(address, close)
    }
    return { request: fetchClient(app), fetch: app, close: async () => {} }
  },
}

/** NestJS on `platform`: the module for the guard, a controller with the decorators. */
function nestFramework(platform: 'express' | 'fastify'): Framework {
  return {
    name: `nest-${platform}`,
    async start(guard, handler, transport = 'in-process') {
      const allow = (_claims: unknown, request: { headers: Record<string, unknown> }) =>
        request.headers['x-allow'] === 'yes'

      @Controller()
      class TestController {
        @Get('protected')
        @JwtRequired()
        get(@Identity() identity: unknown) {
          return handler(identity)
        }
        @Post('protected')
        @HttpCode(200) // Nest answers a POST with 201 by default
        @JwtRequired()
        post(@Identity() identity: unknown) {
          return handler(identity)
        }
        @Get('open')
        open(@Req() request: { identity?: unknown }) {
          return handler(request.identity)
        }
        @Get('optional')
        @JwtOptional()
        optional(@Identity() identity: unknown) {
          return handler(identity)
        }
        @Get('predicate')
        @JwtRequired({ allow })
        predicate(@Identity() identity: unknown) {
          return handler(identity)
        }
        @Get('billing')
        @JwtRequired({ audience: 'billing' })
        billing(@Identity() identity: unknown) {
          return handler(identity)
        }
        @Get('api/v1/private')
        @JwtRequired()
        meaning() {
          return MEANING
        }
        @Get('api/v1/me')
        @JwtRequired()
        me(@Identity() identity: unknown) {
          return identity
        }
        @Get('health')
        health() {
          return HEALTH
        }
      }
      @Module({
        imports: [JwtGuardModule.forRoot(guard, { renderAllErrors: true })],
        controllers: [TestController],
      })
      class TestModule {}

      const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
      const app = await NestFactory.create(TestModule, adapter, { logger: false })
      if (transport === 'socket') {
        await app.listen(0, LOOPBACK)
        return overSocket(await app.getUrl(), () => app.close())
      }
      await app.init()
      const instance = app.getHttpAdapter().getInstance()
      if (platform === 'express') return { request: inMemoryClient(instance), close: () => app.close() }
      await instance.ready()
      return { request: injectClient(instance), close: () => app.close() }
    },
  }
}

export const FRAMEWORKS: Framework[] = [
  {
    name: 'express',
    async start(guard, handler, transport = 'in-process') {
      const app = express()
      const auth = expressGuard(guard)
      app.use(auth.routes)
      app.get('/protected', auth.jwtRequired(), async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.post('/protected', auth.jwtRequired(), async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.get('/open', async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.get('/optional', auth.jwtOptional(), async (req, res) => {
        res.json(await handler(req.auth))
      })
      const allow = (_claims: unknown, req: express.Request) => req.headers['x-allow'] === 'yes'
      app.get('/predicate', auth.jwtRequired({ allow }), async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.get('/billing', auth.jwtRequired({ audience: 'billing' }), async (req, res) => {
        res.json(await handler(req.auth))
      })
      app.get('/api/v1/private', auth.jwtRequired(), (_req, res) => {
        res.json(MEANING)
      })
      app.get('/api/v1/me', auth.jwtRequired(), (req, res) => {
        res.json(req.auth)
      })
      app.get('/health', (_req, res) => {
        res.json(HEALTH)
      })
      app.use(auth.notFound)
      app.use(auth.errorHandler)
      if (transport === 'in-process') return { request: inMemoryClient(app), close: async () => {} }
      const { address, close } = await listenNode(app)
      return overSocket(address, close)
    },
  },
  {
    name: 'fastify',
    async start(guard, handler, transport = 'in-process') {
      const app = Fastify()
      await app.register(jwtGuardPlugin, { guard, renderAllErrors: true })
      app.get('/protected', { preHandler: app.jwtRequired() }, (request) => handler(request.identity))
      app.post('/protected', { preHandler: app.jwtRequired() }, (request) => handler(request.identity))
      app.get('/open', (request) => handler(request.identity ?? undefined))
      app.get('/optional', { preHandler: app.jwtOptional() }, (request) =>
        handler(request.identity ?? undefined),
      )
      const allow = (_claims: unknown, request: FastifyRequest) => request.headers['x-allow'] === 'yes'
      app.get('/predicate', { preHandler: app.jwtRequired({ allow }) }, (request) =>
        handler(request.identity),
      )
      app.get('/billing', { preHandler: app.jwtRequired({ audience: 'billing' }) }, (request) =>
        handler(request.identity),
      )
      app.get('/api/v1/private', { preHandler: app.jwtRequired() }, async () => MEANING)
      app.get('/api/v1/me', { preHandler: app.jwtRequired() }, async (request) => request.identity)
      app.get('/health', async () => HEALTH)
      if (transport === 'socket') {
        return overSocket(await app.listen({ port: 0, host: LOOPBACK }), () => app.close())
      }
      await app.ready()
      return {
        request: injectClient(app),
        close: () => app.close(),
      }
    },
  },
  honoFramework('hono', 'middleware'),
  honoFramework('hono (protect)', 'protect'),
  fetchFramework,
  nestFramework('express'),
  nestFramework('fastify'),
]
