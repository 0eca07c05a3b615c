/**
 * Redis restarted empty (issue 22, item 2): revocations are lost, so every instance, the ones
 * running before the loss and the ones started after, refuses every token issued before it
 * (the epoch marker), and accepts the tokens issued after. The Redis is the test's own.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildHonoApp } from '../../server/apps/hono.js'
import { loadConfig } from '../../server/config.js'
import { createServerContext } from '../../server/context.js'
import { honoClient } from '../support/apps.js'
import { createTestContext, TEST_SECRET } from '../support/server.js'
import { type PrivateRedis, startPrivateRedis } from '../support/services.js'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
type Request = ReturnType<typeof honoClient>

let redis: PrivateRedis
const cleanups: (() => Promise<void>)[] = []
beforeAll(async () => {
  redis = await startPrivateRedis()
})
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
  await redis?.stop()
})

async function instance(): Promise<Request> {
  const { context, cleanup } = await createTestContext({ REDIS_URL: redis.url })
  cleanups.push(cleanup)
  return honoClient(buildHonoApp(context))
}

async function login(request: Request): Promise<string> {
  const response = await request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
  expect(response.status).toBe(200)
  return (response.json() as { access_token: string }).access_token
}

const statusOf = async (request: Request, token: string) =>
  (await request('GET', '/api/v1/private', { headers: { authorization: `JWT ${token}` } })).status
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it('after Redis restarts empty, no instance accepts a token issued before (revoked or not), and new logins work everywhere', async () => {
  const old = await instance()
  await sleep(1100) // the second the (fresh) Redis got its epoch in is refused too
  const revoked = await login(old)
  const kept = await login(old)
  expect((await old('POST', '/auth/revoke', { headers: { authorization: `JWT ${revoked}` } })).status).toBe(
    204,
  )
  expect(await statusOf(old, revoked)).toBe(401)
  expect(await statusOf(old, kept)).toBe(200)

  await redis.kill()
  await redis.restart() // empty: no persistence
  const fresh = await instance()
  // The old instance reconnects and rebuilds its view by itself.
  for (let i = 0; i < 100 && (await statusOf(old, kept)) !== 401; i++) await sleep(100)

  for (const request of [old, fresh]) {
    expect(await statusOf(request, revoked)).toBe(401) // the new instance accepted it before
    expect(await statusOf(request, kept)).toBe(401) // issued before the loss: refused alike
  }
  await sleep(1100) // the second of the loss is refused too
  const after = await login(fresh)
  expect(await statusOf(old, after)).toBe(200)
  expect(await statusOf(fresh, after)).toBe(200)
}, 30_000)

it('warns at start-up when Redis persists nothing', async () => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-loss-'))
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: TEST_SECRET, REDIS_URL: redis.url })
  const context = await createServerContext(config, logger)
  try {
    expect(lines.join('')).toMatch(/Redis persists nothing/)
  } finally {
    await context.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}, 30_000)
