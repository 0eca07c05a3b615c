/**
 * Several reference-server processes on one Redis (issue 4): revocations propagate, refresh
 * families cannot be replayed elsewhere, and state survives a restart (SQLite file and Redis).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from '../support/process.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'
import { TEST_SECRET } from '../support/server.js'

const redisPrefix = trackRedisPrefixes(afterAll)
const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-proc-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Pair {
  access_token: string
  refresh_token: string
}

async function login(server: ServerProcess): Promise<Pair> {
  const response = await server.request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
  expect(response.status).toBe(200)
  return response.json() as Pair
}

const privateStatus = async (server: ServerProcess, token: string) =>
  (await server.request('GET', '/api/v1/private', { headers: { authorization: `JWT ${token}` } })).status

describe('two processes on one Redis', () => {
  const env = {
    JWT_SECRET_KEY: TEST_SECRET,
    REDIS_URL: REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix(),
  }
  let first: ServerProcess
  let second: ServerProcess

  beforeAll(async () => {
    ;[first, second] = await Promise.all([
      startServerProcess({ ...env, DATA_DIR: tempDir(), FRAMEWORK: 'fastify' }),
      startServerProcess({ ...env, DATA_DIR: tempDir(), FRAMEWORK: 'hono' }),
    ])
  }, 40_000)
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()])
  })

  it('refuses on the other process, within 100 ms, a token revoked through one', async () => {
    const pair = await login(first)
    expect(await privateStatus(second, pair.access_token)).toBe(200)
    expect(
      (
        await first.request('POST', '/auth/revoke', {
          headers: { authorization: `JWT ${pair.access_token}` },
        })
      ).status,
    ).toBe(204)
    const revokedAt = performance.now()
    let status = 200
    while (status === 200 && performance.now() - revokedAt < 1000)
      status = await privateStatus(second, pair.access_token)
    expect(status).toBe(401)
    expect(performance.now() - revokedAt).toBeLessThan(100)
  })

  it('does not let a refresh token spent on one process be replayed on the other past the reuse interval', async () => {
    const pair = await login(first)
    const refresh = (server: ServerProcess, token: string) =>
      server.request('POST', '/auth/refresh', {
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: token }),
      })
    const rotated = await refresh(first, pair.refresh_token)
    expect(rotated.status).toBe(200)
    // Within the reuse interval (5 s) a second use is a second tab: a sibling in the same family.
    const sibling = await refresh(second, pair.refresh_token)
    expect(sibling.status).toBe(200)
    // The processes run on their own clocks: step past the interval in real time.
    await new Promise((resolve) => setTimeout(resolve, 5_500))
    const replay = await refresh(second, pair.refresh_token)
    expect(replay.status).toBe(401)
    expect(replay.json()).toMatchObject({ description: expect.stringMatching(/reuse/) })
    // Reuse revoked the family: the rotated token and the sibling are dead on both processes.
    expect((await refresh(first, (rotated.json() as Pair).refresh_token)).status).toBe(401)
    expect((await refresh(second, (sibling.json() as Pair).refresh_token)).status).toBe(401)
  }, 20_000)

  it('shares login throttling: 429 after 10 failures spread over both processes', async () => {
    const statuses: number[] = []
    for (let attempt = 0; attempt < 14; attempt += 1) {
      const server = attempt % 2 === 0 ? first : second
      const response = await server.request('POST', '/auth', {
        headers: JSON_HEADERS,
        body: JSON.stringify({ username: 'shared-victim', password: 'wrong' }),
      })
      statuses.push(response.status)
    }
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(4).fill(429)])
  })
})

describe('revocations survive a restart', () => {
  it.each([
    ['the SQLite file', {}],
    ['Redis', { REDIS_URL: REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() }],
  ])(
    'with %s',
    async (_name, storeEnv) => {
      const env = { JWT_SECRET_KEY: TEST_SECRET, DATA_DIR: tempDir(), ...storeEnv }
      let server = await startServerProcess(env)
      const pair = await login(server)
      await server.request('POST', '/auth/revoke', { headers: { authorization: `JWT ${pair.access_token}` } })
      await server.stop()
      server = await startServerProcess(env)
      try {
        expect(await privateStatus(server, pair.access_token)).toBe(401)
        const refresh = await server.request('POST', '/auth/refresh', {
          headers: JSON_HEADERS,
          body: JSON.stringify({ refresh_token: pair.refresh_token }),
        })
        expect(refresh.status).toBe(401)
      } finally {
        await server.stop()
      }
    },
    40_000,
  )
})
