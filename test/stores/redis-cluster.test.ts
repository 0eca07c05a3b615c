/**
 * The Redis store on a real Redis Cluster (issue 22 item 7): three masters this file starts and
 * kills itself (own ports and temp directories, never the shared Redis), reached through the
 * official client's `createCluster`. One cluster serves the whole file (it starts in about a
 * second), every test uses its own key prefix.
 *
 * The token-store conformance suite is imported from test/stores/conformance.ts, where it is today.
 */
import { randomUUID } from 'node:crypto'
import { isJwtGuardError } from 'jwtguard'
import { runTokenStoreConformance } from 'jwtguard/testing'
import { createCluster, type RedisClusterType } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { keySlot, storePrefix } from '../../src/stores/internal/redis-link.js'
import { createRedisStore, type RedisStoreOptions } from '../../src/stores/redis.js'
import type { TokenStore } from '../../src/stores/types.js'
import { VITEST } from '../support/runner.js'
import { type PrivateCluster, startPrivateCluster } from '../support/services.js'
import { rejectionOf, waitFor } from './support.js'

const HOUR = 3600
let cluster: PrivateCluster
let admin: RedisClusterType
const clients: RedisClusterType[] = []
let counter = 0

function nextPrefix(): string {
  counter += 1
  return `jwtguard-test:${randomUUID()}:${counter}:`
}

/** A cluster client of the test's own, closed after each test. */
async function connectCluster(): Promise<RedisClusterType> {
  const client: RedisClusterType = createCluster({
    rootNodes: cluster.rootNodes,
    defaults: { socket: { reconnectStrategy: () => 50, connectTimeout: 2_000 } },
  })
  client.on('error', () => {})
  await client.connect()
  clients.push(client)
  return client
}

/** Every key on every master (SCAN on each node: a cluster has no cluster-wide SCAN cursor). */
async function keysOnMasters(match: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>()
  for (const master of admin.masters) {
    const node = await admin.nodeClient(master)
    const keys: string[] = []
    for await (const batch of node.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch)
    if (keys.length > 0) found.set(`${master.host}:${master.port}`, keys)
  }
  return found
}

async function deleteUnder(prefix: string): Promise<void> {
  const pattern = `*${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  for (const keys of (await keysOnMasters(pattern)).values()) {
    for (const key of keys) await admin.del(key)
  }
}

beforeAll(async () => {
  cluster = await startPrivateCluster(3)
  admin = createCluster({ rootNodes: cluster.rootNodes })
  admin.on('error', () => {})
  await admin.connect()
  expect(admin.masters).toHaveLength(3)
})

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy()
  admin?.destroy()
  await cluster?.stop()
})

runTokenStoreConformance(VITEST, {
  name: 'redis cluster',
  shared: true,
  clockDriven: false,
  countsPrune: false,
  propagationMs: 100,
  setup() {
    const keyPrefix = nextPrefix()
    return {
      open: async (now) => createRedisStore({ client: await connectCluster(), keyPrefix, now }),
      cleanup: async () => {
        for (const client of clients.splice(0)) client.destroy()
        await deleteUnder(keyPrefix)
      },
    }
  },
})

describe('hash slots and tags', () => {
  it('computes the slot Redis computes (CLUSTER KEYSLOT), hash tags included', async () => {
    const keys = ['123456789', 'jwtguard:epoch', '{jwtguard:}epoch', 'a{b}c', 'a{}b', '{}{x}', 'é{ü}', '']
    for (let index = 0; index < 200; index += 1) keys.push(randomUUID() + (index % 3 ? '' : '{t}'))
    for (const key of keys) expect(keySlot(key), key).toBe(await admin.clusterKeySlot(key))
  })

  it('wraps a prefix in a hash tag on a cluster only, and keeps one that holds a tag', () => {
    expect(storePrefix('jwtguard:', false)).toBe('jwtguard:')
    expect(storePrefix('jwtguard:', true)).toBe('{jwtguard:}')
    expect(storePrefix('{jwtguard}:', true)).toBe('{jwtguard}:')
    expect(storePrefix('app:{}:', true)).toBe('{app:{}:}') // an empty tag is no tag
    expect(storePrefix('a}b{', true)).toBe('{a}b{}')
  })
})

describe('createRedisStore on a cluster', () => {
  const stores: TokenStore[] = []
  const t0 = (): number => Math.floor(Date.now() / 1000)

  async function open(options: Partial<RedisStoreOptions> = {}): Promise<TokenStore> {
    const store = await createRedisStore({
      client: await connectCluster(),
      keyPrefix: nextPrefix(),
      ...options,
    })
    stores.push(store)
    return store
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const client of clients.splice(0)) client.destroy()
  })

  it('puts every key of a prefix in one slot, under the hash tag {prefix}', async () => {
    const keyPrefix = nextPrefix()
    const store = await open({ keyPrefix })
    const now = t0()
    for (let index = 0; index < 5; index += 1) {
      await store.revoke(`j${index}`, now + HOUR)
      await store.revokeAllFor(`i${index}`, now, now + HOUR)
      await store.saveRefresh({
        id: `r${index}`,
        familyId: `f${index}`,
        identity: `i${index}`,
        issuedAt: now,
        expiresAt: now + HOUR,
      })
      await store.revokeFamily(`f${index}`, now + HOUR)
    }
    const where = await keysOnMasters(`{${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}}*`)
    expect(where.size).toBe(1) // one master holds them all
    const keys = [...where.values()].flat()
    // 5 x (revoked, cutoff, refresh, family, sessions index), the epoch and the sequence
    expect(keys).toHaveLength(27)
    expect(new Set(keys.map((key) => key.slice(0, keyPrefix.length + 2)))).toEqual(
      new Set([`{${keyPrefix}}`]),
    )
    const slots = new Set(await Promise.all(keys.map((key) => admin.clusterKeySlot(key))))
    expect(slots.size).toBe(1)
    await deleteUnder(keyPrefix)
  })

  it('keeps a prefix that already holds a hash tag as it is', async () => {
    const keyPrefix = `jwtguard-test:{${randomUUID()}}:`
    const store = await open({ keyPrefix })
    await store.revoke('tagged', t0() + HOUR)
    expect(await admin.exists(`${keyPrefix}revoked:tagged`)).toBe(1)
    expect(await admin.exists(`${keyPrefix}epoch`)).toBe(1)
    await deleteUnder(keyPrefix)
  })

  it('refuses a cluster client with a keyPrefix of its own', async () => {
    const client = createCluster({ rootNodes: cluster.rootNodes, keyPrefix: 'x:' })
    expect(await rejectionOf(createRedisStore({ client }))).toBeInstanceOf(TypeError)
  })

  it('rejects with a coded error when the cluster cannot be reached at start-up', async () => {
    const client = createCluster({
      rootNodes: [{ url: 'redis://127.0.0.1:1' }],
      defaults: { socket: { reconnectStrategy: false } },
    })
    client.on('error', () => {})
    const error = await rejectionOf(createRedisStore({ client, connectTimeout: 0.5 }))
    expect(isJwtGuardError(error) && error.code).toBe('ERR_STORE_UNAVAILABLE')
  })
})

describe('a lost master (restarted empty)', () => {
  const stores: TokenStore[] = []
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const client of clients.splice(0)) client.destroy()
  })

  async function pair(keyPrefix: string, errors: unknown[]) {
    const options = { keyPrefix, heartbeatInterval: 0.1, onError: (error: unknown) => errors.push(error) }
    const one = await createRedisStore({ client: await connectCluster(), ...options })
    const two = await createRedisStore({ client: await connectCluster(), ...options })
    stores.push(one, two)
    return [one, two] as const
  }

  it("is detected when it held the store's slot: every instance refuses every token issued before", async () => {
    const keyPrefix = nextPrefix()
    const errors: unknown[] = []
    const [one, two] = await pair(keyPrefix, errors)
    const now = Math.floor(Date.now() / 1000)
    await one.revoke('before-loss', now + HOUR)
    await waitFor(() => two.view.isRevoked('before-loss'), 100, 'propagation')
    const before = one.view.revokedBeforeAll?.() ?? Number.NaN
    expect(two.view.revokedBeforeAll?.()).toBe(before)

    const holder = await cluster.nodeOf(`{${keyPrefix}}epoch`)
    await holder.kill()
    await holder.restart() // same node id and slots, no data
    await cluster.ready()
    for (const store of [one, two]) {
      await waitFor(() => (store.view.revokedBeforeAll?.() ?? 0) > before, 10_000, 'the loss to be noticed')
      await waitFor(() => store.view.available, 10_000, 'the view to be rebuilt')
    }
    expect(one.view.revokedBeforeAll?.()).toBe(two.view.revokedBeforeAll?.())
    expect(errors.some((error) => /lost its data/.test(String(error)))).toBe(true)
    // Published after the rebuild: pub/sub works again on the restarted master.
    await two.revoke('after-loss', now + HOUR)
    await waitFor(() => one.view.isRevoked('after-loss'), 1_000, 'propagation after the loss')
    await deleteUnder(keyPrefix)
  }, 30_000)

  it("changes nothing when it held none of the store's keys", async () => {
    const keyPrefix = nextPrefix()
    const errors: unknown[] = []
    const [one, two] = await pair(keyPrefix, errors)
    const now = Math.floor(Date.now() / 1000)
    await one.revoke('kept', now + HOUR)
    const before = one.view.revokedBeforeAll?.()
    const holder = await cluster.nodeOf(`{${keyPrefix}}epoch`)
    const other = cluster.nodes.find((node) => node !== holder)
    if (other === undefined) throw new Error('three masters expected')
    await other.kill()
    await other.restart()
    await cluster.ready()
    // Several heartbeats later: same epoch, the revocation is still in Redis and in both views.
    await new Promise((resolve) => setTimeout(resolve, 500))
    for (const store of [one, two]) {
      await waitFor(() => store.view.available, 10_000, 'the view')
      expect(store.view.revokedBeforeAll?.()).toBe(before)
      expect(store.view.isRevoked('kept')).toBe(true)
      expect(await store.isRevoked('kept')).toBe(true)
    }
    expect(errors.some((error) => /lost its data/.test(String(error)))).toBe(false)
    await deleteUnder(keyPrefix)
  }, 30_000)
})
