/**
 * Issue 18: `jwtguard/nest`, what only Nest has: the global guard and `@Public()`,
 * `forRootAsync`, the refresh, revoke and JWKS routes of the module's controller, and the filter
 * leaving your own `HttpException`s to Nest. (The contract rows run in contract.test.ts; the
 * reference server on NestJS answering byte for byte as on Express is test/server/nest-parity.test.ts.)
 */
import 'reflect-metadata'
import {
  BadRequestException,
  Controller,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { generateAsymmetricKey, type JwtGuard } from 'jwtguard'
import { Claims, Identity, JWT_GUARD, JwtGuardModule, JwtRequired, Public } from 'jwtguard/nest'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { injectClient, inMemoryClient } from '../support/http.js'
import { makeGuard } from './fixtures.js'

const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
/** A Nest app of `module` on `platform`, reached in process. */
async function start(module: object, platform: 'express' | 'fastify') {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app: INestApplication = await NestFactory.create(module as never, adapter, { logger: false })
  await app.init()
  const instance = app.getHttpAdapter().getInstance()
  if (platform === 'fastify') await instance.ready()
  const request = platform === 'express' ? inMemoryClient(instance) : injectClient(instance)
  return { request, close: () => app.close() }
}

const json = { 'content-type': 'application/json' }

describe.each(['express', 'fastify'] as const)('jwtguard/nest on %s', (platform) => {
  describe('the global guard', () => {
    @Controller()
    class Routes {
      @Get('open')
      @Public()
      open() {
        return { open: true }
      }
      @Get('closed')
      closed(@Identity() identity: unknown, @Claims() claims: { identity?: unknown }) {
        return { identity, claim: claims.identity }
      }
      @Get('admins')
      @JwtRequired({ roles: { anyOf: ['admin', 'root'] } })
      admins() {
        return { admin: true }
      }
      @Get('fail')
      @Public()
      fail() {
        throw new BadRequestException('your own error')
      }
    }
    const guard = makeGuard({ additionalClaims: (user) => ({ roles: user.id === 1 ? ['root'] : [] }) })
    @Module({ imports: [JwtGuardModule.forRoot(guard, { globalGuard: true })], controllers: [Routes] })
    class AppModule {}

    let app: Awaited<ReturnType<typeof start>>
    beforeAll(async () => {
      app = await start(AppModule, platform)
    })
    afterAll(() => app.close())

    it('opens @Public() routes and closes the others', async () => {
      expect((await app.request('GET', '/open')).json()).toEqual({ open: true })
      const refused = await app.request('GET', '/closed')
      expect(refused.status).toBe(401)
      expect(refused.headers['www-authenticate']).toBe('JWT realm="Login Required"')
      const token = guard.createAccessToken({ id: 7 })
      const admitted = await app.request('GET', '/closed', { headers: { authorization: `JWT ${token}` } })
      expect(admitted.json()).toEqual({ identity: { user_id: 7 }, claim: 7 })
    })

    it('answers 403 insufficient_scope for a missing role, 200 with one of them', async () => {
      const user = guard.createAccessToken({ id: 7 })
      const refused = await app.request('GET', '/admins', { headers: { authorization: `JWT ${user}` } })
      expect(refused.status).toBe(403)
      expect(refused.json()).toEqual({
        status_code: 403,
        error: 'Forbidden',
        description: 'Token lacks one of the roles: admin root',
      })
      expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope"/)
      const root = guard.createAccessToken({ id: 1 })
      const admitted = await app.request('GET', '/admins', { headers: { authorization: `JWT ${root}` } })
      expect(admitted.status).toBe(200)
    })

    it("leaves the app's own HttpExceptions and unknown routes to Nest (renderAllErrors off)", async () => {
      const own = await app.request('GET', '/fail')
      expect(own.status).toBe(400)
      expect(own.json()).toMatchObject({ message: 'your own error', statusCode: 400 })
      const unknown = await app.request('GET', '/nope')
      expect(unknown.status).toBe(404)
      expect(unknown.json()).toMatchObject({ statusCode: 404 })
      // The auth path is the library's: its other methods answer the contract's 405 in any case.
      const auth = await app.request('GET', '/auth')
      expect(auth.status).toBe(405)
      expect(auth.headers.allow).toBe('POST')
    })
  })

  describe('forRootAsync with a store and an asymmetric key', () => {
    @Injectable()
    class Settings {
      readonly key = generateAsymmetricKey('ES256')
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}

    @Controller()
    class Routes {
      constructor(@Inject(JWT_GUARD) readonly guard: JwtGuard<unknown>) {}
      @Get('me')
      @JwtRequired({ fresh: true })
      me(@Identity() identity: unknown) {
        return { identity, routes: this.guard.routes.length }
      }
    }
    @Module({
      imports: [
        JwtGuardModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: async (settings: Settings) => ({
            key: settings.key,
            refreshSecret: 'nest-async-refresh-secret-of-32-bytes!!',
            store: createMemoryStore(),
            authenticate: (username: string, password: string) =>
              username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
            identity: (payload: { identity?: unknown }) => ({ user_id: payload.identity }),
          }),
        }),
      ],
      controllers: [Routes],
    })
    class AppModule {}

    let app: Awaited<ReturnType<typeof start>>
    beforeAll(async () => {
      app = await start(AppModule, platform)
    })
    afterAll(() => app.close())

    it('mounts login, refresh, revoke and the JWKS from the guard the factory made', async () => {
      const jwks = await app.request('GET', '/.well-known/jwks.json')
      expect(jwks.status).toBe(200)
      expect((jwks.json() as { keys: Array<{ kty: string }> }).keys[0]?.kty).toBe('EC')

      const login = await app.request('POST', '/auth', { headers: json, body: SEED_LOGIN })
      expect(login.status).toBe(200)
      const tokens = login.json() as { access_token: string; refresh_token: string }
      const me = await app.request('GET', '/me', { headers: { authorization: `JWT ${tokens.access_token}` } })
      expect(me.json()).toEqual({ identity: { user_id: 123 }, routes: 4 })

      const refreshed = await app.request('POST', '/auth/refresh', {
        headers: json,
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      })
      expect(refreshed.status).toBe(200)
      const next = refreshed.json() as { access_token: string }
      // A refreshed token is not fresh: @JwtRequired({ fresh: true }) refuses it.
      const stale = await app.request('GET', '/me', {
        headers: { authorization: `JWT ${next.access_token}` },
      })
      expect(stale.status).toBe(401)
      expect(stale.json()).toMatchObject({ description: 'Fresh token required' })

      const revoke = await app.request('POST', '/auth/revoke', {
        headers: { authorization: `JWT ${tokens.access_token}` },
      })
      expect([200, 204]).toContain(revoke.status)
      const after = await app.request('GET', '/me', {
        headers: { authorization: `JWT ${tokens.access_token}` },
      })
      expect(after.status).toBe(401)
      expect(after.json()).toMatchObject({ error: 'Invalid token', description: 'Token has been revoked' })

      // Replayed before the revoke, the spent token would have ended the family (reuse), and the
      // revoke would have met an already refused access token.
      const spent = await app.request('POST', '/auth/refresh', {
        headers: json,
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      })
      expect(spent.status).toBe(401)
    })
  })

  describe('an identity callback that fails', () => {
    const logged: unknown[] = []
    @Controller()
    class Routes {
      @Get('me')
      @JwtRequired()
      me() {
        return {}
      }
    }
    const guard = makeGuard({
      identity: () => {
        throw new Error('database down')
      },
    })
    @Module({
      imports: [JwtGuardModule.forRoot(guard, { logError: (error) => logged.push(error) })],
      controllers: [Routes],
    })
    class AppModule {}

    it('answers the contract 500, revealing nothing, and logs the error', async () => {
      const app = await start(AppModule, platform)
      try {
        const token = guard.createAccessToken({ id: 1 })
        const response = await app.request('GET', '/me', { headers: { authorization: `JWT ${token}` } })
        expect(response.status).toBe(500)
        expect(response.json()).toEqual({
          status_code: 500,
          error: 'Internal Server Error',
          description: 'Internal server error',
        })
        expect(response.text).not.toContain('database down')
        expect(logged).toHaveLength(1)
      } finally {
        await app.close()
      }
    })
  })
})

describe.each(['express', 'fastify'] as const)('jwtguard/nest under a global prefix on %s', (platform) => {
  it('says, in the log, to keep the auth routes out of it (and answers the contract 500)', async () => {
    const logged: unknown[] = []
    @Module({ imports: [JwtGuardModule.forRoot(makeGuard(), { logError: (error) => logged.push(error) })] })
    class AppModule {}
    const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
    const app = await NestFactory.create(AppModule, adapter, { logger: false })
    app.setGlobalPrefix('api')
    await app.init()
    const instance = app.getHttpAdapter().getInstance()
    if (platform === 'fastify') await instance.ready()
    const request = platform === 'express' ? inMemoryClient(instance) : injectClient(instance)
    try {
      const response = await request('POST', '/api/auth', { headers: json, body: SEED_LOGIN })
      expect(response.status).toBe(500)
      expect(response.json()).toMatchObject({ status_code: 500, error: 'Internal Server Error' })
      expect(String(logged[0])).toMatch(/keep the auth routes out of a global prefix/)
    } finally {
      await app.close()
    }
  })
})

describe('jwtguard/nest at start-up', () => {
  it('refuses a bad route option when the class is declared', () => {
    expect(() => JwtRequired({ roles: [] })).toThrow(TypeError)
  })

  it('refuses options the core refuses, in forRoot', () => {
    expect(() => JwtGuardModule.forRoot({ secret: 'short', authenticate: () => null })).toThrow()
  })

  it('refuses forRootAsync without a factory', () => {
    expect(() => JwtGuardModule.forRootAsync({} as never)).toThrow(TypeError)
  })
})
