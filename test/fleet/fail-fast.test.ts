/**
 * Fail fast and fail right (issue 22, item 3): with the token store's Redis or the user store's
 * PostgreSQL paused, down or refusing, a request answers 503 with `Retry-After` within about one
 * store deadline (never a 500, never a hang), and a login the outage failed is not counted as a
 * wrong password. Every server here is the test's own (own port, temp dir).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildHonoApp } from '../../server/apps/hono.js'
import { honoClient } from '../support/apps.js'
import { createTestContext, type TestResponse } from '../support/server.js'
import {
  type PrivatePostgres,
  type PrivateRedis,
  startPrivatePostgres,
  startPrivateRedis,
} from '../support/services.js'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

type Request = ReturnType<typeof honoClient>

async function timed(run: () => Promise<TestResponse>): Promise<{ response: TestResponse; ms: number }> {
  const started = performance.now()
  const response = await run()
  return { response, ms: performance.now() - started }
}

function expectUnavailable(response: TestResponse): void {
  expect(response.status).toBe(503)
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  expect(response.json()).toMatchObject({ status_code: 503, error: 'Service Unavailable' })
}

const login = (request: Request) => request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
const getPrivate = (request: Request, token: string) =>
  request('GET', '/api/v1/private', { headers: { authorization: `JWT ${token}` } })

describe('the token store (Redis) paused or down', () => {
  let redis: PrivateRedis
  let request: Request
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    redis = await startPrivateRedis()
    const test = await createTestContext({ REDIS_URL: redis.url })
    cleanup = test.cleanup
    request = honoClient(buildHonoApp(test.context))
  })
  afterAll(async () => {
    redis.resume()
    await cleanup?.()
    await redis?.stop()
  })

  it('a login answers 503 within about one deadline (2 s) while Redis is paused, then 200 once it resumes', async () => {
    expect((await login(request)).status).toBe(200)
    redis.pause()
    try {
      const { response, ms } = await timed(() => login(request))
      expectUnavailable(response)
      expect(ms).toBeLessThan(3500) // one 2 s deadline, not one per call (8 s before)
    } finally {
      redis.resume()
    }
    // The client had a command cut off: it may need a moment to catch up.
    let status = 0
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await login(request)).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(200)
  }, 20_000)

  it('a login answers 503 at once while Redis is down', async () => {
    await redis.kill()
    try {
      // Let the clients notice the closed connections.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const { response, ms } = await timed(() => login(request))
      expectUnavailable(response)
      expect(ms).toBeLessThan(1000) // argon2 plus nothing: no deadline to wait for (2 s before)
    } finally {
      await redis.restart()
    }
    // Back: the clients reconnect by themselves.
    let status = 0
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await login(request)).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(200)
  }, 20_000)
})

describe('the user store (PostgreSQL) refusing or hung', () => {
  let postgres: PrivatePostgres
  let request: Request
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    postgres = await startPrivatePostgres()
    const test = await createTestContext({ DATABASE_URL: postgres.url })
    cleanup = test.cleanup
    request = honoClient(buildHonoApp(test.context))
  }, 30_000)
  afterAll(async () => {
    postgres?.resume()
    await cleanup?.()
    await postgres?.stop()
  })

  let paused = false
  afterEach(() => {
    if (paused) postgres.resume()
    paused = false
  })

  it('answers 503 on logins and protected routes while PostgreSQL hangs, within its query timeout', async () => {
    const { access_token } = (await login(request)).json() as { access_token: string }
    postgres.pause()
    paused = true
    const attempt = await timed(() => login(request))
    expectUnavailable(attempt.response)
    expect(attempt.ms).toBeLessThan(4000)
    const guarded = await timed(() => getPrivate(request, access_token))
    expectUnavailable(guarded.response)
    expect(guarded.ms).toBeLessThan(4000)
    postgres.resume()
    paused = false
    let status = 0
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await getPrivate(request, access_token)).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(200)
  }, 30_000)

  it('does not count logins failed by the outage as wrong passwords (11 during an outage, then 200)', async () => {
    const { access_token } = (await login(request)).json() as { access_token: string }
    expect((await getPrivate(request, access_token)).status).toBe(200)
    await postgres.kill()
    // The identity the reference server's identity cache holds needs no database: still 200.
    expect((await getPrivate(request, access_token)).status).toBe(200)
    // A refusing database: 503 on every route that needs it (a login), never 500.
    for (let i = 0; i < 11; i++) {
      const t = await timed(() => login(request))
      expectUnavailable(t.response)
    }
    await postgres.restart()
    expect((await login(request)).status).toBe(200)
  }, 40_000)
})
