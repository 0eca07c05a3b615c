/**
 * The session (family) check alone, in one process: `node --conditions=jwtguard-source --import tsx
 * bench/revocation/family-ab.ts` (needs Redis on 127.0.0.1:6379). See bench/README.md.
 */
// The guard's per-request check in one process: a token of a session checked, the same token on
// a guard that skips the session check, and a token of no session; 10 000 revoked families in the
// view; interleaved rounds, median ns/op.
import { randomUUID } from 'node:crypto'
import { createJwtGuard } from 'jwtguard'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { deleteRedisPrefix } from '../../test/support/redis.js'
import { forwardingStore } from './forwarding.js'

for (const kind of ['sqlite', 'redis'] as const) {
  const keyPrefix = `jwtguard-bench:${randomUUID()}:`
  const store =
    kind === 'sqlite'
      ? createSqliteStore({ database: ':memory:' })
      : await createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix })
  // Two guards on the store, each through a forwarding view (the same indirection for both): one
  // checks the session, the other skips that check. The same token of a session goes to both.
  const options = {
    secret: 'bench-secret-of-at-least-thirty-two-bytes',
    authenticate: () => ({ id: 123 }),
    identity: (payload: { identity?: unknown }) => ({ user_id: payload.identity }),
  }
  const guard = createJwtGuard({ ...options, store: forwardingStore(store, true) })
  const unchecked = createJwtGuard({ ...options, store: forwardingStore(store, false) })
  for (let i = 0; i < 10_000; i += 1) await store.revokeFamily(randomUUID(), Date.now() / 1000 + 3600)
  const login = guard.routes.find((route) => route.name === 'login')
  const answer = await login?.handle({
    contentType: 'application/json',
    body: '{"username":"u","password":"p"}',
  })
  const withFam = { authorization: `JWT ${JSON.parse(String(answer?.body)).access_token}` }
  const without = { authorization: `JWT ${guard.createAccessToken({ id: 123 })}` }
  const cases = {
    checked: [guard.protect(), withFam],
    unchecked: [unchecked.protect(), withFam],
    'no session': [guard.protect(), without],
  } as const
  const run = ([route, headers]: (typeof cases)[keyof typeof cases], n: number) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i += 1) route.resolve(headers)
    return Number(process.hrtime.bigint() - start) / n
  }
  const names = Object.keys(cases) as (keyof typeof cases)[]
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]]))
  for (const name of names) run(cases[name], 20_000)
  for (let round = 0; round < 15; round += 1) {
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const name of order) samples[name]?.push(run(cases[name], 20_000))
  }
  const median = (list: number[] = []) =>
    [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] as number
  const [checked, off, none] = names.map((name) => median(samples[name]))
  console.log(
    `${kind}: checked ${checked?.toFixed(0)} ns/op, same token unchecked ${off?.toFixed(0)}, token of no session ${none?.toFixed(0)}; ops ratio checked/unchecked ${((off ?? 0) / (checked ?? 1)).toFixed(3)}, checked/no session ${((none ?? 0) / (checked ?? 1)).toFixed(3)}`,
  )
  await store.close()
  if (kind === 'redis') await deleteRedisPrefix(keyPrefix)
}
