/**
 * jwtguard on NestJS (on Express; `new FastifyAdapter()` from @nestjs/platform-fastify works the
 * same): the seed's API in one file, with argon2id-hashed users and refresh tokens.
 * Run: JWT_SECRET_KEY=$(openssl rand -hex 32) npx tsx examples/nest/app.ts (see examples/README.md)
 */
import 'reflect-metadata'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { createJwtGuard, type IdentityOf, type RegisteredIdentity } from 'jwtguard'
import { Identity, JwtGuardModule, JwtRequired, Public } from 'jwtguard/nest'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createPasswordHasher, passwordAuthenticator } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'

const secret = process.env.JWT_SECRET_KEY
if (secret === undefined) throw new Error('set JWT_SECRET_KEY to at least 32 random bytes')

// The seed's user, masnun / abc123 (stored as an argon2id hash, never in clear).
const users = createSqliteUserStore({ database: ':memory:' })
const hasher = createPasswordHasher()
await users.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })

const guard = createJwtGuard({
  secret,
  store: createMemoryStore(), // mounts POST /auth/refresh and /auth/revoke too
  authenticate: passwordAuthenticator(users, hasher),
  identity: async (payload) => {
    const user = await users.findById(Number(payload.identity))
    return user === null ? null : { user_id: user.id }
  },
})
declare module 'jwtguard' {
  interface Register {
    identity: IdentityOf<typeof guard> // @Identity() parameters are typed with RegisteredIdentity
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
    return { user_id: identity.user_id }
  }

  @Get('admin')
  @JwtRequired({ roles: ['admin'] })
  admin() {
    return { admin: true }
  }
}

@Controller()
class HealthController {
  @Get('health')
  @Public() // the global guard below closes every route that does not say so
  health() {
    return { status: 'ok' }
  }
}

@Module({
  // POST /auth, the guard on every route, errors as the contract's JSON (404 and 405 included)
  imports: [JwtGuardModule.forRoot(guard, { globalGuard: true, renderAllErrors: true })],
  controllers: [ApiController, HealthController],
})
class AppModule {}

const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: ['error', 'warn'] })
await app.listen(Number(process.env.PORT ?? 5000), '127.0.0.1')
console.log(`listening on ${await app.getUrl()}`)
