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
