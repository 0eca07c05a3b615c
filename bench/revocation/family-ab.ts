/**
 * The session (family) check alone, in one process: `node --conditions=jwtguard-source --import tsx
 * bench/revocation/family-ab.ts` (needs Redis on 127.0.0.1:6379). See bench/README.md.
 */
// the guard's per-request check in one process, a token with its session (fam) against one
// without, same store with 10 000 revoked families in its view; interleaved rounds, median ns/op.
import { randomUUID } from 'node:crypto'
import { createJwtGuard } from 'jwtguard'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'

for (const kind of ['sqlite', 'redis'] as const) {
  const store =
    kind === 'sqlite'
      ? createSqliteStore({ database: ':memory:' })
      : await createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: `sess-ab-${randomUUID()}:` })
  const guard = createJwtGuard({
    secret: 'bench-secret-of-at-least-thirty-two-bytes',
    store,
    authenticate: () => ({ id: 123 }),
    identity: (payload) => ({ user_id: payload.identity }),
  })
  for (let i = 0; i < 10_000; i += 1) await store.revokeFamily(randomUUID(), Date.now() / 1000 + 3600)
  const login = guard.routes.find((route) => route.name === 'login')
  const answer = await login?.handle({
    contentType: 'application/json',
    body: '{"username":"u","password":"p"}',
  })
  const withFam = { authorization: `JWT ${JSON.parse(String(answer?.body)).access_token}` }
  const without = { authorization: `JWT ${guard.createAccessToken({ id: 123 })}` }
  const route = guard.protect()
  const run = (headers: Record<string, string>, n: number) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i += 1) route.resolve(headers)
    return Number(process.hrtime.bigint() - start) / n
  }
  run(withFam, 20_000)
  run(without, 20_000)
  const a: number[] = []
  const b: number[] = []
  for (let round = 0; round < 15; round += 1) {
    if (round % 2 === 0) {
      a.push(run(withFam, 20_000))
      b.push(run(without, 20_000))
    } else {
      b.push(run(without, 20_000))
      a.push(run(withFam, 20_000))
    }
  }
  const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] as number
  console.log(
    `${kind}: with fam ${median(a).toFixed(0)} ns/op, without ${median(b).toFixed(0)} ns/op, ops ratio with/without ${(median(b) / median(a)).toFixed(3)}`,
  )
  await store.close()
}
