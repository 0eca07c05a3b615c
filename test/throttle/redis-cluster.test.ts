/**
 * The login and refresh limiters on a real Redis Cluster (issue 22 item 7): three masters this file
 * starts and kills itself (own ports and temp directories, never the shared Redis), reached through
 * the official client's `createCluster`; two limiters on two cluster clients stand for two server
 * instances. Each counter is one key, so the counts spread over the masters.
 */
import { randomUUID } from 'node:crypto'
import { createLoginLimiter, createRefreshLimiter, type LoginLimiterOptions } from 'jwtguard/throttle'
import { createCluster, type RedisClusterType } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type PrivateCluster, startPrivateCluster } from '../support/services.js'
import { guardWith, RIGHT, sharedLimiterRows } from './support.js'

let cluster: PrivateCluster
let admin: RedisClusterType
const clients: RedisClusterType[] = []
let counter = 0

async function connectCluster(): Promise<RedisClusterType> {
  const client: RedisClusterType = createCluster({ rootNodes: cluster.rootNodes })
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  return client
}

/** The keys under `prefix`, per master that holds some. */
async function keysOnMasters(prefix: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  for (const master of admin.masters) {
    const node = await admin.nodeClient(master)
    const keys: string[] = []
    for await (const batch of node.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch)
    if (keys.length > 0) found.set(`${master.host}:${master.port}`, keys)
  }
  return found
}

function nextPrefix(): string {
  counter += 1
  return `jwtguard-test:${randomUUID()}:${counter}:`
}

/** Two limiters, as two instances would have, on two cluster clients and one fresh prefix. */
async function twoInstances(options: LoginLimiterOptions = {}) {
  const keyPrefix = nextPrefix()
  const first = createLoginLimiter({ ...options, redis: await connectCluster(), keyPrefix })
  const second = createLoginLimiter({ ...options, redis: await connectCluster(), keyPrefix })
  return { keyPrefix, first: guardWith(first), second: guardWith(second) }
}

beforeAll(async () => {
  cluster = await startPrivateCluster(3)
  admin = createCluster({ rootNodes: cluster.rootNodes })
  admin.on('error', () => {})
  await admin.connect()
})

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
})

afterAll(async () => {
  admin?.destroy()
  await cluster?.stop()
})

describe('createLoginLimiter on a Redis Cluster', () => {
  sharedLimiterRows(twoInstances)

  it('shares the counts between two instances and keeps refusing', async () => {
    const { first, second } = await twoInstances()
    const seen: number[] = []
    for (let index = 0; index < 14; index += 1) {
      seen.push((await (index % 2 === 0 ? first : second).login('masnun', 'wrong')).response.status)
    }
    expect(seen).toEqual([...new Array(10).fill(401), ...new Array(4).fill(429)])
    const refused = await second.login('masnun', RIGHT)
    expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(refused.retryAfter).toBeGreaterThan(0)
    expect((await first.login('masnun', RIGHT, '198.51.100.77')).response.status).toBe(200)
  })

  it('stores one key per count, with a TTL, spread over the masters', async () => {
    const { keyPrefix, first } = await twoInstances()
    for (let index = 0; index < 12; index += 1) {
      await first.login(`user-${index}`, 'wrong', `198.51.100.${index + 1}`)
    }
    const where = await keysOnMasters(keyPrefix)
    const keys = [...where.values()].flat()
    expect(keys).toHaveLength(12 * 3) // per user and client, per client, per account
    expect(where.size).toBeGreaterThan(1)
    for (const key of keys) expect(await admin.ttl(key)).toBeGreaterThan(0)
    for (const key of keys) await admin.del(key)
  })

  it('reports the cluster backend, and refuses a cluster client that is not connected', () => {
    const client = createCluster({ rootNodes: cluster.rootNodes })
    expect(() => createLoginLimiter({ redis: client })).toThrow(/await client.connect\(\)/)
    expect(createLoginLimiter({ redis: admin }).settings.backend).toBe('redis')
  })
})

describe('createRefreshLimiter on a Redis Cluster', () => {
  it('counts refreshes of one family across instances', async () => {
    const keyPrefix = nextPrefix()
    const [one, two] = [await connectCluster(), await connectCluster()].map((redis) =>
      createRefreshLimiter({ redis, keyPrefix, maxPerFamily: 3 }),
    )
    const attempt = { familyId: 'family-1', clientAddress: '192.0.2.1' }
    await one?.check(attempt)
    await two?.check(attempt)
    await one?.check(attempt)
    await expect(two?.check(attempt)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_REQUESTS' })
    await expect(one?.check({ ...attempt, familyId: 'family-2' })).resolves.toBeUndefined()
    for (const key of [...(await keysOnMasters(keyPrefix)).values()].flat()) await admin.del(key)
  })
})
