/**
 * A protected Fastify route under one revocation setting, for bench/revocation/run.ts:
 * `none` (no store: stateless tokens), `sqlite`, or `redis` (pub/sub local view); with the suffix
 * `-family` the token comes from a login, so it carries its session (`fam`) and every request also
 * checks that the session is not revoked (issue 15 item 3), else it is a `createAccessToken` token
 * without one. With `-family-unchecked` the token is the same login token but the store's view
 * skips the session check (the same indirection as family-ab.ts): the check alone, on and off,
 * with everything else equal. With a store, 10 000 revoked sessions fill the view first, as in a deployment that
 * has been logging users out for a while. Prints `READY <port> <token>` when listening.
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { createJwtGuard, type JwtGuardOptions } from 'jwtguard'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { forwardingStore } from './forwarding.js'

const [variant = 'none', prefix = 'jwtguard-bench:'] = process.argv.slice(2)
const family = /-family(-unchecked)?$/.test(variant)
const unchecked = variant.endsWith('-unchecked')
const mode = variant.replace(/-family(-unchecked)?$/, '')
const backing =
  mode === 'redis'
    ? await createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix })
    : mode === 'sqlite'
      ? createSqliteStore({ database: ':memory:' })
      : undefined
// Every store mode goes through the same forwarding view; `-unchecked` makes its session check a no-op.
const store = backing === undefined ? undefined : forwardingStore(backing, !unchecked)
const options: JwtGuardOptions<{ user_id: unknown }> = {
  secret: 'bench-secret-of-at-least-thirty-two-bytes',
  authenticate: () => ({ id: 123 }),
  identity: (payload) => ({ user_id: payload.identity }),
  // Longer than any run: a token that expires mid-run would turn the route into 401s.
  expiresIn: '2h',
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
if (store !== undefined) {
  const until = Date.now() / 1000 + 3600
  for (let index = 0; index < 10_000; index += 1) await store.revokeFamily(randomUUID(), until)
}
process.stdout.write(`READY ${port} ${family ? await loginToken() : guard.createAccessToken({ id: 123 })}\n`)

/** An access token from `POST /auth`: it carries its session's family. */
async function loginToken(): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/auth',
    payload: { username: 'u', password: 'p' },
  })
  const token = (response.json() as { access_token?: string }).access_token
  if (response.statusCode !== 200 || token === undefined) throw new Error(`login failed: ${response.body}`)
  return token
}
process.on('SIGTERM', () => {
  app
    .close()
    .then(
      () => store?.close(),
      () => undefined,
    )
    .finally(() => process.exit(0))
})
