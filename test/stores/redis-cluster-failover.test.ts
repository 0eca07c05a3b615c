/**
 * A failover to a replica that missed writes (issue 22): replication is asynchronous, so a master
 * can acknowledge a revocation and die before its replica has it. The replica, promoted, still holds
 * the epoch marker, so the loss does not look like an emptied Redis; the store detects it through
 * its write sequence (`<prefix>seq`): an instance that finds it below the last value its own writes
 * returned knows acknowledged writes are gone, and starts a new epoch for every instance.
 *
 * A cluster of three masters with one replica each, which this file starts and kills itself (own
 * ports and temp directories, never the shared Redis).
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { createCluster, type RedisClusterType } from 'redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisStore } from '../../src/stores/redis.js'
import type { TokenStore } from '../../src/stores/types.js'
import { type PrivateCluster, startPrivateCluster } from '../support/services.js'
import { waitFor } from './conformance.js'

const run = promisify(execFile)
const HOUR = 3600
let cluster: PrivateCluster
const clients: RedisClusterType[] = []
const stores: TokenStore[] = []

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout.trim()

beforeAll(async () => {
  cluster = await startPrivateCluster(3, 1)
})

afterAll(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const client of clients.splice(0)) client.destroy()
  await cluster?.stop()
})

it('detects acknowledged writes lost in a failover: every instance refuses every token issued before', async () => {
  const keyPrefix = `jwtguard-test:${randomUUID()}:`
  const errors: unknown[] = []
  async function open(): Promise<TokenStore> {
    const client: RedisClusterType = createCluster({
      rootNodes: cluster.rootNodes,
      defaults: { socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } },
    })
    client.on('error', () => {})
    await client.connect()
    clients.push(client)
    const store = await createRedisStore({
      client,
      keyPrefix,
      heartbeatInterval: 0.1,
      commandTimeout: 1,
      onError: (error) => errors.push(error),
    })
    stores.push(store)
    return store
  }
  const [one, two] = [await open(), await open()]
  const now = Math.floor(Date.now() / 1000)
  const master = await cluster.nodeOf(`{${keyPrefix}}epoch`)
  const [replica] = await cluster.replicasOf(master)
  if (replica === undefined) throw new Error('the master has no replica')

  await one.revoke('replicated', now + HOUR)
  expect(await cli(master.port, 'wait', '1', '2000')).toBe('1') // the replica has it
  const before = one.view.revokedBeforeAll?.() ?? Number.NaN
  expect(two.view.revokedBeforeAll?.()).toBe(before)

  // The replica stops hearing from its master; the master acknowledges more writes, then dies.
  replica.pause()
  await one.revoke('lost', now + HOUR)
  await one.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + HOUR })
  await master.kill()
  replica.resume()
  expect(await cli(replica.port, 'cluster', 'failover', 'takeover')).toBe('OK')
  for (const store of [one, two]) {
    await waitFor(
      () => (store.view.revokedBeforeAll?.() ?? 0) > before,
      20_000,
      'the lost writes to be noticed',
    )
  }
  expect(one.view.revokedBeforeAll?.()).toBe(two.view.revokedBeforeAll?.())
  expect(errors.some((error) => /lost/.test(String(error)))).toBe(true)
  // The promoted replica serves the store: writes and pub/sub work again.
  await waitFor(() => one.view.available && two.view.available, 10_000, 'the views')
  await two.revoke('after-failover', now + HOUR)
  await waitFor(() => one.view.isRevoked('after-failover'), 1_000, 'propagation after the failover')
  expect(await one.consumeRefresh('r', now)).toEqual({ status: 'unknown' }) // lost with the master
}, 60_000)
