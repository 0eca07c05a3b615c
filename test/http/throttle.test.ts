/**
 * Login throttling over HTTP (docs/CONTRACT.md: 429 after 10 failures per username and client),
 * on every framework, and shared through Redis by two server instances.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { APPS } from '../support/apps.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'
import type { TestApp } from '../support/server.js'

const redisPrefix = trackRedisPrefixes(afterAll)
const JSON_HEADERS = { 'content-type': 'application/json' }
const wrong = (app: TestApp, username = 'masnun') =>
  app.request('POST', '/auth', {
    headers: JSON_HEADERS,
    body: JSON.stringify({ username, password: 'wrong' }),
  })

describe.each(APPS.filter((app) => app.name.includes('socket')))('login throttling: $name', ({ create }) => {
  it('answers 429 with Retry-After from the 11th failure on, even for the right password', async () => {
    const app = await create()
    try {
      const statuses: number[] = []
      for (let attempt = 0; attempt < 12; attempt += 1) statuses.push((await wrong(app)).status)
      expect(statuses).toEqual([...Array(10).fill(401), 429, 429])
      const limited = await app.request('POST', '/auth', {
        headers: JSON_HEADERS,
        body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
      })
      expect(limited.status).toBe(429)
      expect(limited.json()).toMatchObject({ status_code: 429, error: 'Too Many Requests' })
      const retryAfter = Number(limited.headers['retry-after'])
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(900)
      // Another username from the same client is still counted separately (up to 100 per client).
      expect((await wrong(app, 'someone-else')).status).toBe(401)
    } finally {
      await app.close()
    }
  })
})

describe('login throttling shared through Redis', () => {
  it('counts failures across two server instances on one Redis', async () => {
    const env = { REDIS_URL: REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() }
    const [fastify, express] = APPS.filter((app) => app.name.includes('socket'))
    if (fastify === undefined || express === undefined) throw new Error('socket apps missing')
    const first = await fastify.create(env)
    const second = await express.create(env)
    try {
      const statuses: number[] = []
      for (let attempt = 0; attempt < 20; attempt += 1)
        statuses.push((await wrong(attempt % 2 ? first : second)).status)
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
      expect(statuses.slice(10)).toEqual(Array(10).fill(429))
    } finally {
      await first.close()
      await second.close()
    }
  })
})

/** Issue 17 item 3, over HTTP on every framework: the reference server's throttles. */
describe.each(APPS.filter((app) => app.name.includes('socket')))(
  'throttles of issue 17: $name',
  ({ create }) => {
    it('counts X-Forwarded-For ip:port forms from a trusted proxy as one client', async () => {
      const app = await create({ TRUST_PROXY: '1' })
      try {
        const statuses: number[] = []
        for (let port = 50_000; port < 50_011; port += 1) {
          const response = await app.request('POST', '/auth', {
            headers: { ...JSON_HEADERS, 'x-forwarded-for': `203.0.113.9:${port}` },
            body: JSON.stringify({ username: 'masnun', password: 'wrong' }),
          })
          statuses.push(response.status)
        }
        expect(statuses).toEqual([...Array(10).fill(401), 429])
      } finally {
        await app.close()
      }
    })

    it('answers 429 with Retry-After to the 11th refresh of one session within a minute', async () => {
      const app = await create()
      try {
        const login = await app.request('POST', '/auth', {
          headers: JSON_HEADERS,
          body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
        })
        let token = (login.json() as { refresh_token: string }).refresh_token
        const statuses: number[] = []
        for (let attempt = 0; attempt < 11; attempt += 1) {
          const response = await app.request('POST', '/auth/refresh', {
            headers: JSON_HEADERS,
            body: JSON.stringify({ refresh_token: token }),
          })
          statuses.push(response.status)
          if (response.status === 200) token = (response.json() as { refresh_token: string }).refresh_token
          else {
            expect(response.json()).toMatchObject({ status_code: 429, error: 'Too Many Requests' })
            expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
          }
        }
        expect(statuses).toEqual([...Array(10).fill(200), 429])
      } finally {
        await app.close()
      }
    })
  },
)
