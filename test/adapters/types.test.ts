/**
 * Type-level tests: what each adapter puts on the request is typed through the framework's own
 * augmentation point, from the `Register` interface users merge into. The first block is checked
 * by `tsc -p tsconfig.json` (expectTypeOf does nothing at run time); the last compiles a user's
 * app that registers an identity type, in its own program so the augmentation stays there.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { ErrorRequestHandler, Request, RequestHandler, Router } from 'express'
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify'
import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from 'hono'
import type { JwtPayload, ProtectOptions, RegisteredIdentity } from 'jwtguard'
import type { ExpressJwtGuard } from 'jwtguard/express'
import { type FetchAuth, jwtGuard as fetchGuard } from 'jwtguard/fetch'
import { type HonoJwtGuard, jwtGuard } from 'jwtguard/hono'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { makeGuard } from './fixtures.js'

describe('request typing', () => {
  it('express: req.auth is the registered identity, req.jwtPayload the payload, both optional', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<RegisteredIdentity | undefined>()
    expectTypeOf<Request['jwtPayload']>().toEqualTypeOf<JwtPayload | undefined>()
    expectTypeOf<ExpressJwtGuard['routes']>().toEqualTypeOf<Router>()
    type Protect = (options?: ProtectOptions<Request>) => RequestHandler
    expectTypeOf<ExpressJwtGuard['jwtRequired']>().toEqualTypeOf<Protect>()
    expectTypeOf<ExpressJwtGuard['jwtOptional']>().toEqualTypeOf<Protect>()
    expectTypeOf<ExpressJwtGuard['errorHandler']>().toEqualTypeOf<ErrorRequestHandler>()
    expectTypeOf<ExpressJwtGuard['notFound']>().toEqualTypeOf<RequestHandler>()
  })

  it("hono: c.get('identity') and c.var.jwtPayload through ContextVariableMap", () => {
    expectTypeOf((c: Context) => c.get('identity')).returns.toEqualTypeOf<RegisteredIdentity>()
    expectTypeOf((c: Context) => c.var.identity).returns.toEqualTypeOf<RegisteredIdentity>()
    expectTypeOf((c: Context) => c.get('jwtPayload')).returns.toEqualTypeOf<JwtPayload>()
    expectTypeOf<HonoJwtGuard['routes']>().toEqualTypeOf<Hono>()
    type Protect = (options?: ProtectOptions<Context>) => MiddlewareHandler
    expectTypeOf<HonoJwtGuard['jwtRequired']>().toEqualTypeOf<Protect>()
    expectTypeOf<HonoJwtGuard['jwtOptional']>().toEqualTypeOf<Protect>()
    expectTypeOf<HonoJwtGuard['onError']>().toEqualTypeOf<ErrorHandler>()
    expectTypeOf<HonoJwtGuard['notFound']>().returns.toEqualTypeOf<NotFoundHandler>()
  })

  it('hono: protect(handler) keeps the handler type, so typed responses reach the RPC client', () => {
    const auth = jwtGuard(makeGuard())
    const handler = (c: Context) => c.json({ meaning_of_life: 42 as const })
    expectTypeOf(auth.protect(handler)).returns.toEqualTypeOf<ReturnType<typeof handler>>()
    expectTypeOf(auth.protectOptional(handler)).returns.toEqualTypeOf<ReturnType<typeof handler>>()
  })

  it('fetch: the handler gets the registered identity, and keeps the arguments after the request', () => {
    expectTypeOf<FetchAuth['identity']>().toEqualTypeOf<RegisteredIdentity>()
    expectTypeOf<FetchAuth['payload']>().toEqualTypeOf<JwtPayload>()
    const auth = fetchGuard(makeGuard())
    interface Env {
      KV: string
    }
    const worker = auth.protect(
      (_request, _auth, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }) =>
        new Response(env.KV, { headers: { ctx: typeof ctx } }),
    )
    expectTypeOf(worker).parameters.toEqualTypeOf<
      [globalThis.Request, Env, { waitUntil(p: Promise<unknown>): void }]
    >()
    expectTypeOf(worker).returns.toEqualTypeOf<Response | Promise<Response>>()
    const optional = auth.protectOptional((_request, result) => new Response(String(result?.identity)))
    expectTypeOf(optional).parameters.toEqualTypeOf<[globalThis.Request]>()
    expectTypeOf(auth.handle).returns.toEqualTypeOf<Promise<Response | null>>()
  })

  it('fastify: request.identity and request.jwtPayload, null outside protected routes', () => {
    expectTypeOf<FastifyRequest['identity']>().toEqualTypeOf<RegisteredIdentity | null>()
    expectTypeOf<FastifyRequest['jwtPayload']>().toEqualTypeOf<JwtPayload | null>()
    expectTypeOf<FastifyInstance['jwtRequired']>().returns.toEqualTypeOf<preHandlerHookHandler>()
  })
})

// A user's app: its schema gives the identity type, registered once and read, typed, on every framework.
const USER_APP = `
import express from 'express'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Hono } from 'hono'
import { createJwtGuard, currentIdentity, type IdentityOf } from 'jwtguard'
import { jwtGuard as expressGuard } from 'jwtguard/express'
import type {} from 'jwtguard/fastify'
import { jwtGuard as fetchGuard } from 'jwtguard/fetch'
import { jwtGuard as honoGuard } from 'jwtguard/hono'
import type { JwtAuthenticatedRequest } from 'jwtguard/nest'
import { z } from 'zod'

// The identity type comes from the schema, and reaches every framework through Register.
const guard = createJwtGuard({
  secret: 'x'.repeat(32),
  authenticate: () => ({ id: 1 }),
  schema: z.object({ identity: z.number() }).transform(({ identity }) => ({ user_id: identity })),
})
declare module 'jwtguard' {
  interface Register {
    identity: IdentityOf<typeof guard>
  }
}

declare const request: FastifyRequest
const app = express()
app.get('/', expressGuard(guard).jwtRequired(), (req, res) => {
  const id: number | undefined = req.auth?.user_id
  // @ts-expect-error the identity is not a string
  const wrong: string | undefined = req.auth?.user_id
  res.json({ id, wrong })
})
const hono = new Hono()
hono.get('/', honoGuard(guard).jwtRequired(), (c) => c.json({ id: c.get('identity').user_id satisfies number }))
hono.get('/p', honoGuard(guard).protect((c) => c.json({ id: c.get('identity').user_id satisfies number })))
export const GET = fetchGuard(guard).protect((_request, { identity }) =>
  new Response(String(identity.user_id satisfies number)),
)
// @ts-expect-error the identity is not a string
export const wrongFetch = fetchGuard(guard).protect((_request, { identity }) => new Response(identity.user_id satisfies string))
export const fromStore: number | undefined = currentIdentity()?.user_id
export const fromFastify: number | undefined = request.identity?.user_id
declare const fastify: FastifyInstance
fastify.get('/me', fastify.protect(async (protectedRequest) => ({ id: protectedRequest.identity.user_id satisfies number })))
fastify.get('/admin', fastify.protect((protectedRequest) => protectedRequest.jwtPayload.exp, { roles: ['admin'] }))
// @ts-expect-error outside protect(), request.identity may be null
export const unchecked: number = request.identity.user_id
declare const nestRequest: JwtAuthenticatedRequest
export const fromNest: number | undefined = nestRequest.identity?.user_id
// @ts-expect-error the identity is not a string
export const wrongNest: string | undefined = nestRequest.identity?.user_id
`

describe('a registered identity type', () => {
  it("types req.auth, c.get('identity'), request.identity (Fastify and Nest), the fetch handler's identity and currentIdentity()", async () => {
    // Inside the package (so `jwtguard/*` resolves to the sources) but outside tsconfig's include.
    const root = resolve(import.meta.dirname, '../..')
    const dir = join(root, 'node_modules', '.cache', `jwtguard-register-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    try {
      writeFileSync(join(dir, 'app.ts'), USER_APP)
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ extends: join(root, 'tsconfig.json'), include: ['app.ts'] }),
      )
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
      const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir]).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      )
      expect(result).toBe('')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    // A whole tsc program (zod, express, fastify, hono): 25 s on a busy 2-core machine.
  }, 90_000)
})
