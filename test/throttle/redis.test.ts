/**
 * The Redis-backed login limiter against the real server on 127.0.0.1:6379 (never mocked): two
 * limiters on two connections stand for two server instances. Every key lives under a random
 * prefix for this run and is deleted afterwards. When Redis is unreachable the suite fails.
 */
import { randomUUID } from 'node:crypto'
import { createLoginLimiter, type LoginLimiterOptions } from 'jwtguard/throttle'
import { createClient, type RedisClientType } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { guardWith, RIGHT, sharedLimiterRows, statuses } from './support.js'

const URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379'
const RUN_PREFIX = `jwtguard-test:${randomUUID()}:`
let counter = 0
const clients: RedisClientType[] = []

async function connect(): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url: URL, socket: { reconnectStrategy: false } })
  client.on('error', () => {})
  await client.connect() // rejects, and fails the suite, when Redis is unreachable
  clients.push(client)
  return client
}

async function keysUnder(client: RedisClientType, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  const keys: string[] = []
  for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...batch)
  return keys
}

let admin: RedisClientType

/** Two limiters, as two instances would have, on separate connections and one fresh prefix. */
async function twoInstances(options: LoginLimiterOptions = {}) {
  counter += 1
  const keyPrefix = `${RUN_PREFIX}${counter}:`
  const first = createLoginLimiter({ ...options, redis: await connect(), keyPrefix })
  const second = createLoginLimiter({ ...options, redis: await connect(), keyPrefix })
  return { keyPrefix, first: guardWith(first), second: guardWith(second) }
}

beforeAll(async () => {
  admin = await connect()
  expect(await admin.ping()).toBe('PONG')
})

afterEach(async () => {
  for (const client of clients.splice(0)) if (client !== admin && client.isOpen) client.destroy()
  clients.push(admin)
})

afterAll(async () => {
  const keys = await keysUnder(admin, RUN_PREFIX)
  if (keys.length > 0) await admin.del(keys)
  expect(await keysUnder(admin, RUN_PREFIX)).toEqual([])
  admin.destroy()
})

describe('createLoginLimiter (redis)', () => {
  sharedLimiterRows(twoInstances)

  it('shares the counts between two instances', async () => {
    const { first, second } = await twoInstances()
    expect(await statuses(first.login, 5, 'masnun', 'wrong')).toEqual(new Array(5).fill(401))
    expect(await statuses(second.login, 5, 'masnun', 'wrong')).toEqual(new Array(5).fill(401))
    for (const instance of [first, second]) {
      const refused = await instance.login('masnun', 'wrong')
      expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
      expect(refused.response.status).toBe(429)
      expect(refused.retryAfter).toBeGreaterThan(0)
      expect(refused.retryAfter).toBeLessThanOrEqual(900)
      expect(refused.response.headers['retry-after']).toBe(String(refused.retryAfter))
    }
    // Another client is counted on its own, on both instances.
    expect((await second.login('masnun', RIGHT, '198.51.100.77')).response.status).toBe(200)
  })

  it('keeps refusing forty wrong passwords in a row, alternating instances', async () => {
    const { first, second } = await twoInstances()
    const seen: number[] = []
    for (let index = 0; index < 40; index += 1) {
      seen.push((await (index % 2 === 0 ? first : second).login('masnun', 'wrong')).response.status)
    }
    expect(seen).toEqual([...new Array(10).fill(401), ...new Array(30).fill(429)])
  })

  it('applies the per-client limit across instances', async () => {
    const { first, second } = await twoInstances({ maxFailuresPerClient: 6 })
    await statuses(first.login, 3, (index) => `a${index}`, 'wrong')
    await statuses(second.login, 3, (index) => `b${index}`, 'wrong')
    expect((await first.login('fresh', RIGHT)).code).toBe('ERR_TOO_MANY_REQUESTS')
  })

  it('stores fixed-size keys with a TTL, whatever the username and address', async () => {
    const { keyPrefix, first } = await twoInstances()
    // As long as the body limit (16 KiB) lets through, and a forged address of any length.
    const huge = 'x'.repeat(16_000)
    expect((await first.login(huge, 'wrong', '2001:db8::1')).response.status).toBe(401)
    expect((await first.login('masnun', 'wrong', 'not-an-address-'.repeat(10_000))).response.status).toBe(401)
    const keys = await keysUnder(admin, keyPrefix)
    // Per user and client, per client and per account (issue 17), for each of the two logins.
    expect(keys).toHaveLength(6)
    for (const key of keys) {
      expect(key.length).toBeLessThanOrEqual(keyPrefix.length + 'account:'.length + 22)
      const ttl = await admin.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(key.startsWith(`${keyPrefix}account:`) ? 3600 : 900)
    }
    expect(keys.join('')).not.toContain('masnun')
  })

  it('counts in memory, and reports it, while Redis is unavailable', async () => {
    counter += 1
    const errors: unknown[] = []
    const client = await connect()
    const limiter = createLoginLimiter({
      redis: client,
      keyPrefix: `${RUN_PREFIX}${counter}:`,
      onError: (error) => errors.push(error),
    })
    client.destroy()
    const { login } = guardWith(limiter)
    expect(await statuses(login, 10, 'masnun', 'wrong')).toEqual(new Array(10).fill(401))
    expect((await login('masnun', 'wrong')).code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(errors.length).toBeGreaterThan(0)
    expect(String(errors[0])).toMatch(/not ready/)
  })

  it('refuses a client that is not connected', () => {
    const client: RedisClientType = createClient({ url: URL })
    expect(() => createLoginLimiter({ redis: client })).toThrow(/await client.connect\(\)/)
    expect(createLoginLimiter({ redis: admin }).settings.backend).toBe('redis')
  })
})

describe('the per-account count and known clients in Redis (issue 17 item 3)', () => {
  it('keeps the known clients under their own key for 14 days, with the account count', async () => {
    const { keyPrefix, first } = await twoInstances({ maxFailuresPerAccount: 3 })
    expect((await first.login('masnun', RIGHT, '192.0.2.10')).response.status).toBe(200)
    expect((await first.login('masnun', 'wrong', '198.51.100.1')).response.status).toBe(401)
    const keys = await keysUnder(admin, keyPrefix)
    const known = keys.filter((key) => key.startsWith(`${keyPrefix}known:`))
    expect(known).toHaveLength(1)
    const ttl = await admin.ttl(known[0] as string)
    expect(ttl).toBeGreaterThan(13 * 86400)
    expect(ttl).toBeLessThanOrEqual(14 * 86400)
    expect(keys.some((key) => key.startsWith(`${keyPrefix}account:`))).toBe(true)
  })
})
