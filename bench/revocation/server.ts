/**
 * A protected Fastify route under one revocation setting, for bench/revocation/run.ts:
 * `none` (no store: stateless tokens), `sqlite`, or `redis` (pub/sub local view).
 * Prints `READY <port>` when listening.
 */
import Fastify from 'fastify'
import { createJwtGuard, type JwtGuardOptions } from 'jwtguard'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'

const [mode = 'none', prefix = 'jwtguard-bench:'] = process.argv.slice(2)
const store =
  mode === 'redis'
    ? await createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix })
    : mode === 'sqlite'
      ? createSqliteStore({ database: ':memory:' })
      : undefined
const options: JwtGuardOptions<{ user_id: unknown }> = {
  secret: 'bench-secret-of-at-least-thirty-two-bytes',
  authenticate: () => ({ id: 123 }),
  identity: (payload) => ({ user_id: payload.identity }),
  ...(store === undefined ? {} : { store }),
  ...(process.env.JWTGUARD_CACHE === '1' ? { cache: true } : {}),
}
const guard = createJwtGuard(options)
const app = Fastify()
await app.register(jwtGuardPlugin, { guard })
app.get('/health', async () => ({ status: 'ok' }))
app.get('/api/v1/private', { preHandler: app.jwtRequired() }, async () => ({ meaning_of_life: 42 }))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : 0
process.stdout.write(`READY ${port} ${guard.createAccessToken({ id: 123 })}\n`)
process.on('SIGTERM', () => {
  app
    .close()
    .then(
      () => store?.close(),
      () => undefined,
    )
    .finally(() => process.exit(0))
})
