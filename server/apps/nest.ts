/**
 * The reference server on NestJS, on @nestjs/platform-express or @nestjs/platform-fastify. It runs
 * the global-guard mode: every route needs a token unless it is `@Public()`.
 */
import 'reflect-metadata'
import type { ServerResponse } from 'node:http'
import { Controller, Delete, Get, HttpCode, type INestApplication, Module, Param } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import express from 'express'
import type { FastifyReply } from 'fastify'
import type { JwtPayload, RegisteredIdentity } from 'jwtguard'
import { frameworkErrors } from 'jwtguard/fastify'
import { Claims, Identity, JwtGuardModule, JwtRequired, Public } from 'jwtguard/nest'
import type { ServerContext } from '../context.js'
import { buildOpenApiDocument, OPENAPI_PATH } from '../openapi.js'
import { PAGE_ASSETS } from '../public/assets.js'
import { endSession, listSessions, SESSIONS_PATH } from '../sessions.js'
import type { Listening } from './express.js'
import { ignoreBodies } from './fastify.js'

@Controller()
class HealthController {
  @Get('health')
  @Public()
  health() {
    return { status: 'ok' }
  }
}

@Controller('api/v1')
class ApiController {
  @Get('private')
  private() {
    return { meaning_of_life: 42 }
  }

  @Get('me')
  me(@Identity() identity: RegisteredIdentity) {
    return identity
  }

  @Get('admin')
  @JwtRequired({ roles: ['admin'] })
  admin() {
    return { admin: true }
  }
}

/** The current user's sessions (server/sessions.ts), on the guard of `context`. */
function sessionsController(context: ServerContext) {
  @Controller(SESSIONS_PATH.slice(1))
  class SessionsController {
    @Get()
    list(@Claims() payload: JwtPayload) {
      return listSessions(context.guard, payload)
    }

    @Delete(':id')
    @HttpCode(204)
    async end(@Claims() payload: JwtPayload, @Param('id') id: string): Promise<void> {
      await endSession(context.guard, payload, id)
    }
  }
  return SessionsController
}

/** The platforms the reference server runs NestJS on. */
export type NestPlatform = 'express' | 'fastify'

/** The page, its files and the OpenAPI document, served straight by the platform as on the other apps. */
function serveStatic(app: INestApplication, context: ServerContext): void {
  const adapter = app.getHttpAdapter()
  const openapi = JSON.stringify(buildOpenApiDocument(context.guard))
  const files = [
    ...PAGE_ASSETS,
    { path: OPENAPI_PATH, headers: { 'content-type': 'application/json; charset=utf-8' }, body: openapi },
  ]
  for (const file of files) {
    // Written as the platform writes bytes (Nest's `reply()` would send a Buffer as JSON on Express).
    adapter.get(file.path, (_request: unknown, response: unknown) => {
      if (adapter.getType() === 'fastify') {
        ;(response as FastifyReply).headers(file.headers).send(file.body)
      } else {
        ;(response as ServerResponse).writeHead(200, file.headers).end(file.body)
      }
    })
  }
}

export async function buildNestApp(
  context: ServerContext,
  platform: NestPlatform,
): Promise<INestApplication> {
  @Module({
    imports: [
      JwtGuardModule.forRoot(context.guard, {
        globalGuard: true,
        renderAllErrors: true,
        logError: (error) => context.logger.error({ err: error }, 'request failed'),
      }),
    ],
    controllers: [HealthController, ApiController, sessionsController(context)],
  })
  class AppModule {}

  let adapter: ExpressAdapter | FastifyAdapter
  if (platform === 'express') {
    const instance = express()
    instance.disable('x-powered-by')
    // Fastify's and Hono's routing: `/health/` and `/HEALTH` are not `/health`.
    instance.set('strict routing', true)
    instance.set('case sensitive routing', true)
    adapter = new ExpressAdapter(instance)
  } else {
    adapter = new FastifyAdapter({ frameworkErrors: frameworkErrors(context.guard) })
  }
  // The guard reads its routes' bodies itself, and the server's own routes read none: Nest's body
  // parsers would answer a malformed JSON body on DELETE /api/v1/sessions/{id} with its own 400.
  if (adapter instanceof FastifyAdapter) ignoreBodies(adapter.getInstance())
  const app = await NestFactory.create(AppModule, adapter, {
    logger: false,
    abortOnError: false,
    bodyParser: false,
  })
  serveStatic(app, context)
  await app.init()
  return app
}

/** Serves a Nest app on `port` (0: any free port) and `host`. */
export async function listenNest(app: INestApplication, port: number, host: string): Promise<Listening> {
  await app.listen(port, host)
  return { address: await app.getUrl(), server: app.getHttpServer(), close: () => app.close() }
}
