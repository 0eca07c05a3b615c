/**
 * Failovers (issue 22). Replication is asynchronous: a primary can acknowledge a revocation and die
 * before its replica has it. The promoted replica still holds the epoch marker, so the loss does not
 * look like an emptied Redis; the store detects it through its write sequence (`<prefix>seq`): an
 * instance that reads it below the last value its own writes returned knows acknowledged writes are
 * gone, and starts a new epoch, which every instance follows. A failover that lost nothing changes
 * nothing.
 *
 * Every Redis here is the file's own (own ports and temp directories, never the shared Redis): a
 * primary and a replica behind one address that moves on failover (as Sentinel or a managed
 * endpoint does), and a cluster of three masters with one replica each.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createConnection, createServer, type Socket } from 'node:net'
import { promisify } from 'node:util'
import { createClient, createCluster, type RedisClientType, type RedisClusterType } from 'redis'
import { afterEach, expect, it } from 'vitest'
import { createRedisStore, type RedisStoreOptions } from '../../src/stores/redis.js'
import type { TokenStore } from '../../src/stores/types.js'
import { startPrivateCluster, startPrivateRedis } from '../support/services.js'
import { waitFor } from './support.js'

const run = promisify(execFile)
const HOUR = 3600
const cleanups: (() => Promise<void> | void)[] = []

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout.trim()

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** One address in front of the primary, moved to another server by `moveTo` (existing connections dropped). */
async function serviceAddress(port: number) {
  let target = port
  const sockets = new Set<Socket>()
  const server = createServer((downstream) => {
    const upstream = createConnection({ port: target, host: '127.0.0.1' })
    for (const socket of [downstream, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        downstream.destroy()
        upstream.destroy()
      })
    }
    downstream.pipe(upstream).pipe(downstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `redis://127.0.0.1:${address.port}`,
    moveTo(next: number) {
      target = next
      for (const socket of sockets) socket.destroy()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

async function openStore(
  client: RedisClientType | RedisClusterType,
  options: Partial<RedisStoreOptions>,
): Promise<TokenStore> {
  const store = await createRedisStore({ client, heartbeatInterval: 0.1, commandTimeout: 1, ...options })
  cleanups.push(() => store.close())
  return store
}

it('detects writes a failover lost (a primary and its replica): every instance refuses every token issued before', async () => {
  const primary = await startPrivateRedis()
  cleanups.push(() => primary.stop())
  const replica = await startPrivateRedis([
    ...['--save', '', '--appendonly', 'no'],
    ...['--replicaof', '127.0.0.1', String(primary.port)],
  ])
  cleanups.push(() => replica.stop())
  for (
    let i = 0;
    i < 100 && !(await cli(replica.port, 'info', 'replication')).includes('master_link_status:up');
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const service = await serviceAddress(primary.port)
  cleanups.push(() => service.close())
  const keyPrefix = `jwtguard-test:${randomUUID()}:`
  const errors: unknown[] = []
  async function instance(): Promise<TokenStore> {
    const client: RedisClientType = createClient({
      url: service.url,
      socket: { reconnectStrategy: () => 50 },
    })
    client.on('error', () => {})
    cleanups.push(() => (client.isOpen ? client.destroy() : undefined))
    return openStore(client, { keyPrefix, onError: (error) => errors.push(error) })
  }
  const [one, two] = [await instance(), await instance()]
  const now = Math.floor(Date.now() / 1000)
  await one.revoke('replicated', now + HOUR)
  expect(await cli(primary.port, 'wait', '1', '2000')).toBe('1') // the replica has it
  const before = one.view.revokedBeforeAll?.() ?? Number.NaN
  expect(two.view.revokedBeforeAll?.()).toBe(before)

  // The replica is promoted (as Sentinel would) while the primary still acknowledges writes.
  expect(await cli(replica.port, 'replicaof', 'no', 'one')).toBe('OK')
  await one.revoke('lost', now + HOUR)
  await one.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + HOUR })
  await primary.kill()
  service.moveTo(replica.port)

  for (const store of [one, two]) {
    await waitFor(() => (store.view.revokedBeforeAll?.() ?? 0) > before, 10_000, 'the loss to be noticed')
    await waitFor(() => store.view.available, 10_000, 'the view to be rebuilt')
  }
  expect(one.view.revokedBeforeAll?.()).toBe(two.view.revokedBeforeAll?.())
  expect(errors.some((error) => /lost acknowledged writes/.test(String(error)))).toBe(true)
  expect(await one.isRevoked('lost')).toBe(false) // gone with the primary: hence the new epoch
  expect(await one.consumeRefresh('r', now)).toEqual({ status: 'unknown' })
  await two.revoke('after-failover', now + HOUR)
  await waitFor(() => one.view.isRevoked('after-failover'), 1_000, 'propagation after the failover')
}, 30_000)

it('follows a cluster failover that lost nothing, and refuses nothing more', async () => {
  const cluster = await startPrivateCluster(3, 1)
  cleanups.push(() => cluster.stop())
  const keyPrefix = `jwtguard-test:${randomUUID()}:`
  const errors: unknown[] = []
  async function instance(): Promise<TokenStore> {
    const client: RedisClusterType = createCluster({
      rootNodes: cluster.rootNodes,
      defaults: { socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } },
      // Asks for the topology 1 s after a node stops answering (5 s by default), to keep the test short.
      topologyRefreshOnReconnectionAttemptStrategy: 1_000,
    })
    client.on('error', () => {})
    await client.connect()
    cleanups.push(() => client.destroy())
    return openStore(client, { keyPrefix, onError: (error) => errors.push(error) })
  }
  const [one, two] = [await instance(), await instance()]
  const now = Math.floor(Date.now() / 1000)
  const master = await cluster.nodeOf(`{${keyPrefix}}epoch`)
  const [replica] = await cluster.replicasOf(master)
  if (replica === undefined) throw new Error('the master has no replica')
  await one.revoke('kept', now + HOUR)
  await one.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + HOUR })
  expect(await cli(master.port, 'wait', '1', '2000')).toBe('1')
  const before = one.view.revokedBeforeAll?.()

  await master.kill()
  expect(await cli(replica.port, 'cluster', 'failover', 'takeover')).toBe('OK')
  // The clients find the new master (the topology refresh after a node stops answering).
  const started = performance.now()
  let revoked = false
  while (!revoked && performance.now() - started < 20_000) {
    revoked = await two.revoke('after-failover', now + HOUR).then(
      () => true,
      () => false,
    )
  }
  expect(revoked).toBe(true)
  await waitFor(() => one.view.isRevoked('after-failover'), 10_000, 'propagation after the failover')
  for (const store of [one, two]) {
    await waitFor(() => store.view.available, 10_000, 'the view')
    expect(store.view.revokedBeforeAll?.()).toBe(before)
    expect(await store.isRevoked('kept')).toBe(true)
  }
  expect(await two.consumeRefresh('r', now)).toMatchObject({ status: 'ok' })
  expect(errors.some((error) => /lost/.test(String(error)))).toBe(false)
}, 60_000)
