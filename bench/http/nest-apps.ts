/**
 * The HTTP benchmark apps on NestJS 12, on @nestjs/platform-express and @nestjs/platform-fastify:
 * `GET /health` open, `GET /api/v1/private` behind `@JwtRequired()` (ours), behind
 * `@UseGuards(AuthGuard('jwt'))` with a passport-jwt strategy (@nestjs/passport's documented
 * setup, the peer), or behind a guard that only reads the header (the ceiling: what Nest's guard
 * machinery alone charges).
 */
import 'reflect-metadata'
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type Type,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { JwtGuard } from 'jwtguard'
import { JwtGuardModule, JwtRequired } from 'jwtguard/nest'
import { ExtractJwt, Strategy } from 'passport-jwt'
import { CEILING, isOurs, SECRET } from '../lib/fixtures.js'

const OPEN_BODY = { status: 'ok' }
const PRIVATE_BODY = { meaning_of_life: 42 }

/** @nestjs/passport's documented JWT strategy, HS256 pinned. */
@Injectable()
class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: SECRET,
      algorithms: ['HS256'],
    })
  }
  validate(payload: { identity?: unknown }) {
    return { user_id: payload.identity }
  }
}

/** The ceiling: admits any request whose Authorization header has the JWT scheme. */
@Injectable()
class SchemeOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const authorization = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers.authorization
    if (typeof authorization === 'string' && authorization.startsWith('JWT ')) return true
    throw new UnauthorizedException() // a guard's `false` is Nest's 403; the probe expects a 401
  }
}

@Controller()
class OursController {
  @Get('health')
  health() {
    return OPEN_BODY
  }
  @Get('api/v1/private')
  @JwtRequired()
  private() {
    return PRIVATE_BODY
  }
}

@Controller()
class PassportController {
  @Get('health')
  health() {
    return OPEN_BODY
  }
  @Get('api/v1/private')
  @UseGuards(AuthGuard('jwt'))
  private() {
    return PRIVATE_BODY
  }
}

@Controller()
class CeilingController {
  @Get('health')
  health() {
    return OPEN_BODY
  }
  @Get('api/v1/private')
  @UseGuards(SchemeOnlyGuard)
  private() {
    return PRIVATE_BODY
  }
}

function appModule(middleware: string, guard: () => JwtGuard<unknown>): Type {
  if (isOurs(middleware)) {
    @Module({ imports: [JwtGuardModule.forRoot(guard())], controllers: [OursController] })
    class OursModule {}
    return OursModule
  }
  if (middleware === CEILING) {
    @Module({ controllers: [CeilingController], providers: [SchemeOnlyGuard] })
    class CeilingModule {}
    return CeilingModule
  }
  @Module({ imports: [PassportModule], controllers: [PassportController], providers: [JwtStrategy] })
  class PassportAppModule {}
  return PassportAppModule
}

/** Starts a Nest benchmark app on `platform` and an ephemeral loopback port. */
export async function startNest(
  platform: 'express' | 'fastify',
  middleware: string,
  guard: () => JwtGuard<unknown>,
): Promise<{ port: number; close(): Promise<void> }> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(appModule(middleware, guard), adapter, { logger: false })
  await app.listen(0, '127.0.0.1')
  const { port } = new URL(await app.getUrl())
  return { port: Number(port), close: () => app.close() }
}
