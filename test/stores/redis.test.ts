/**
 * The Redis store against the real server on 127.0.0.1:6379 (never mocked). Every key lives under
 * a random prefix for this run and is deleted after each test. When Redis is unreachable the suite
 * fails: nothing here is skipped.
 */
import { randomUUID } from 'node:crypto'
import { isJwtGuardError } from 'jwtguard'
import { runTokenStoreConformance } from 'jwtguard/testing'
import { createClient, type RedisClientType } from 'redis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { lua, runScript } from '../../src/stores/internal/redis-scripts.js'
import { createRedisStore, type RedisStoreOptions } from '../../src/stores/redis.js'
import type { TokenStore } from '../../src/stores/types.js'
import { VITEST } from '../support/runner.js'
import { rejectionOf, waitFor } from './support.js'
import { startTcpRelay, type TcpRelay } from './tcp-relay.js'

const URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379'
const RUN_PREFIX = `jwtguard-test:${randomUUID()}:`
const HOUR = 3600
let admin: RedisClientType
let counter = 0

function nextPrefix(tag = ''): string {
  counter += 1
  return `${RUN_PREFIX}${tag}${counter}:`
}

async function keysUnder(prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  const keys: string[] = []
  for await (const batch of admin.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...batch)
  return keys
}

async function deleteUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix)
  if (keys.length > 0) await admin.del(keys)
}

/** The code of what `check` throws, `undefined` when it throws nothing coded. */
function codeOf(check: () => unknown): string | undefined {
  try {
    check()
  } catch (error) {
    return isJwtGuardError(error) ? error.code : undefined
  }
  return undefined
}

/** Kills every server-side connection whose client name is `name`; returns how many. */
async function killConnections(name: string): Promise<number> {
  const list = String(await admin.sendCommand(['CLIENT', 'LIST']))
  const ids = list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined)
  for (const id of ids) await admin.sendCommand(['CLIENT', 'KILL', 'ID', id])
  return ids.length
}

beforeAll(async () => {
  admin = createClient({ url: URL, socket: { reconnectStrategy: false, connectTimeout: 2_000 } })
  admin.on('error', () => {})
  await admin.connect() // rejects, and fails the suite, when Redis is unreachable
  expect(await admin.ping()).toBe('PONG')
})

afterAll(async () => {
  await deleteUnder(RUN_PREFIX)
  expect(await keysUnder(RUN_PREFIX)).toEqual([])
  await admin.close()
})

runTokenStoreConformance(VITEST, {
  name: 'redis',
  shared: true,
  clockDriven: false,
  countsPrune: false,
  propagationMs: 100,
  setup() {
    const keyPrefix = nextPrefix()
    return {
      open: (now) => createRedisStore({ url: URL, keyPrefix, now }),
      cleanup: () => deleteUnder(keyPrefix),
    }
  },
})

describe('createRedisStore', () => {
  const stores: TokenStore[] = []
  const clients: RedisClientType[] = []
  const prefixes: string[] = []
  const t0 = (): number => Math.floor(Date.now() / 1000)

  async function open(options: Partial<RedisStoreOptions> = {}): Promise<TokenStore> {
    const keyPrefix = options.keyPrefix ?? nextPrefix()
    prefixes.push(keyPrefix)
    const store = await createRedisStore({ url: URL, keyPrefix, ...options })
    stores.push(store)
    return store
  }

  /** A test-owned client with a unique name, reconnecting after `delayMs`. */
  async function namedClient(delayMs: number): Promise<{ client: RedisClientType; name: string }> {
    const name = `jwtguard-test-${randomUUID()}`
    const client: RedisClientType = createClient({
      url: URL,
      name,
      socket: { reconnectStrategy: () => delayMs },
    })
    client.on('error', () => {})
    await client.connect()
    clients.push(client)
    return { client, name }
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    for (const client of clients.splice(0)) if (client.isOpen) client.destroy()
    for (const prefix of prefixes.splice(0)) await deleteUnder(prefix)
  })

  it.each<[string, RedisStoreOptions, ErrorConstructor]>([
    ['neither client nor url', {}, TypeError],
    ['both client and url', { url: URL, client: {} as RedisClientType }, TypeError],
    ['an empty keyPrefix', { url: URL, keyPrefix: '' }, TypeError],
    ['an unknown onUnavailable', { url: URL, onUnavailable: 'ignore' as 'fail-closed' }, TypeError],
    ['a negative commandTimeout', { url: URL, commandTimeout: -1 }, RangeError],
    ['a client with its own keyPrefix', { client: createClient({ keyPrefix: 'x:' }) }, TypeError],
  ])('refuses %s', async (_case, options, type) => {
    expect(await rejectionOf(createRedisStore(options))).toBeInstanceOf(type)
  })

  it('rejects with a coded error when Redis cannot be reached at start-up', async () => {
    const started = performance.now()
    const error = await rejectionOf(createRedisStore({ url: 'redis://127.0.0.1:1', connectTimeout: 0.3 }))
    expect(isJwtGuardError(error) && error.code).toBe('ERR_STORE_UNAVAILABLE')
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('gives every key an absolute expiry, but the epoch marker and the write sequence', async () => {
    const keyPrefix = nextPrefix()
    const store = await open({ keyPrefix })
    const now = t0()
    await store.revoke('j', now + HOUR)
    await store.revokeAllFor('i', now, now + HOUR)
    await store.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + HOUR })
    await store.consumeRefresh('r', now)
    await store.revokeFamily('f', now + HOUR)
    // The epoch marker never expires: a new one would refuse every token issued before it. Nor
    // does the write sequence: a lower one means lost writes (five writes, the consume spent a token).
    expect(await admin.sendCommand(['EXPIRETIME', `${keyPrefix}epoch`])).toBe(-1)
    expect(await admin.sendCommand(['EXPIRETIME', `${keyPrefix}seq`])).toBe(-1)
    expect(await admin.get(`${keyPrefix}seq`)).toBe('5')
    const unexpiring = [`${keyPrefix}epoch`, `${keyPrefix}seq`]
    const keys = (await keysUnder(keyPrefix)).filter((key) => !unexpiring.includes(key))
    expect(keys.map((key) => key.slice(keyPrefix.length)).sort()).toEqual([
      'cutoff:i',
      'family:f',
      'refresh:r',
      'revoked:j',
      'sessions:i',
    ])
    for (const key of keys) {
      expect(await admin.sendCommand(['EXPIRETIME', key])).toBe(now + HOUR)
    }
  })

  it('lets Redis expire a revocation, and the view follows the clock', async () => {
    const store = await open()
    const expiresAt = t0() + 1
    await store.revoke('short-lived', expiresAt)
    expect(await store.isRevoked('short-lived')).toBe(true)
    expect(store.view.isRevoked('short-lived')).toBe(true)
    await waitFor(() => Date.now() / 1000 > expiresAt + 0.05, 3_000, 'expiry')
    expect(await store.isRevoked('short-lived')).toBe(false)
    expect(store.view.isRevoked('short-lived')).toBe(false)
  })

  it('leaves a client it was given open', async () => {
    const { client } = await namedClient(50)
    const store = await open({ client, url: undefined })
    await store.close()
    expect(client.isReady).toBe(true)
    expect(await client.ping()).toBe('PONG')
  })

  it('runs a script the server has never seen (NOSCRIPT, then EVAL)', async () => {
    const { client } = await namedClient(50)
    const script = lua(`return 'fresh ${randomUUID()}'`)
    expect(await runScript(client, script, [], [])).toBe(script.source.slice(8, -1))
    expect(await runScript(client, script, [], [])).toBe(script.source.slice(8, -1))
  })

  it('measures how fast a revocation reaches another instance', async () => {
    const keyPrefix = nextPrefix()
    const [one, two] = [await open({ keyPrefix }), await open({ keyPrefix })]
    const delays: number[] = []
    for (let i = 0; i < 50; i++) {
      const jti = `m-${i}`
      const started = performance.now()
      await (i % 2 ? one : two).revoke(jti, t0() + HOUR)
      const target = i % 2 ? two : one
      await waitFor(() => target.view.isRevoked(jti), 100, 'propagation')
      delays.push(performance.now() - started)
    }
    delays.sort((a, b) => a - b)
    const p50 = delays[25] ?? Number.NaN
    const max = delays[49] ?? Number.NaN
    console.info(`revocation propagation over pub/sub: p50 ${p50.toFixed(2)} ms, max ${max.toFixed(2)} ms`)
    expect(max).toBeLessThan(100)
  })

  it('survives a reconnection: the view stays, is rebuilt, and pub/sub resumes', async () => {
    const keyPrefix = nextPrefix()
    const { client, name } = await namedClient(50)
    const cut = await open({ client, url: undefined, keyPrefix, onUnavailable: 'fail-closed' })
    const other = await open({ keyPrefix })
    const now = t0()
    await cut.revoke('before-kill', now + HOUR)
    expect(await killConnections(name)).toBe(2) // the command and the subscriber connections
    await other.revoke('around-kill', now + HOUR)
    await waitFor(() => cut.view.available && client.isReady, 2_000, 'reconnection')
    await waitFor(() => cut.view.isRevoked('around-kill'), 100, 'revocation made around the kill')
    expect(cut.view.isRevoked('before-kill')).toBe(true)
    await other.revoke('after-kill', now + HOUR)
    await waitFor(() => cut.view.isRevoked('after-kill'), 100, 'propagation after the reconnection')
  })

  describe.each(['use-local-view', 'fail-closed'] as const)('while Redis is unreachable (%s)', (policy) => {
    let relay: TcpRelay
    beforeEach(async () => {
      relay = await startTcpRelay()
    })
    afterEach(async () => {
      await relay.close()
    })

    it('notices a connection that went silent, fails closed meanwhile, and recovers', async () => {
      const keyPrefix = nextPrefix()
      const client: RedisClientType = createClient({
        url: relay.url,
        socket: { reconnectStrategy: () => 20 },
      })
      client.on('error', () => {})
      clients.push(client)
      const options = { onUnavailable: policy, commandTimeout: 0.3, heartbeatInterval: 0.05 }
      const cut = await open({ client, url: undefined, keyPrefix, ...options })
      const other = await open({ keyPrefix })
      const now = t0()
      await cut.revoke('before-stall', now + HOUR)

      relay.stall()
      await other.revoke('during-stall', now + HOUR)
      const noticed = await waitFor(() => !cut.view.available, 1_000, 'the silence to be noticed')
      expect(noticed).toBeLessThan(500)
      expect(client.isReady).toBe(true) // nothing closed: only the heartbeat can tell
      if (policy === 'fail-closed')
        expect(codeOf(() => cut.view.isRevoked('before-stall'))).toBe('ERR_STORE_UNAVAILABLE')
      else expect(cut.view.isRevoked('before-stall')).toBe(true)
      const started = performance.now()
      const error = await rejectionOf(cut.consumeRefresh('nothing', now))
      expect(isJwtGuardError(error) && error.code).toBe('ERR_STORE_UNAVAILABLE')
      expect(performance.now() - started).toBeLessThan(1_000) // the command timeout, not TCP's

      relay.restore()
      await waitFor(() => cut.view.available, 3_000, 'recovery')
      expect(cut.view.isRevoked('during-stall')).toBe(true)
      expect(cut.view.isRevoked('before-stall')).toBe(true)
    })

    it('behaves as documented, then rebuilds the view from Redis on reconnection', async () => {
      // Glob characters in the prefix: the rebuild's SCAN MATCH must escape them.
      const keyPrefix = nextPrefix('glob[*?]\\:')
      const client: RedisClientType = createClient({
        url: relay.url,
        socket: { reconnectStrategy: () => 20 },
      })
      client.on('error', () => {})
      clients.push(client)
      const cut = await open({
        client,
        url: undefined,
        keyPrefix,
        onUnavailable: policy,
        commandTimeout: 0.5,
      })
      const other = await open({ keyPrefix })
      const now = t0()
      await cut.revoke('before-outage', now + HOUR)
      await cut.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + HOUR })

      relay.cut()
      await waitFor(() => !cut.view.available && !client.isReady, 1_000, 'the outage to be noticed')
      if (policy === 'use-local-view') {
        expect(cut.view.isRevoked('before-outage')).toBe(true)
        expect(cut.view.isRevoked('never')).toBe(false)
        expect(cut.view.revokedBefore('i')).toBeNull()
      } else {
        for (const check of [() => cut.view.isRevoked('before-outage'), () => cut.view.revokedBefore('i')]) {
          expect(codeOf(check)).toBe('ERR_STORE_UNAVAILABLE')
        }
      }
      // Everything but the view fails closed, at once.
      for (const call of [
        () => cut.consumeRefresh('r', now),
        () => cut.revoke('x', now + HOUR),
        () => cut.isRevoked('before-outage'),
      ]) {
        const started = performance.now()
        const error = await rejectionOf(call())
        expect(isJwtGuardError(error) && error.code).toBe('ERR_STORE_UNAVAILABLE')
        expect(performance.now() - started).toBeLessThan(250) // the command timeout is 500 ms
      }
      // Published while `cut` cannot hear it: only the rebuild can bring these in.
      await other.revoke('during-outage', now + HOUR)
      await other.revokeAllFor('henry', now, now + HOUR)
      await new Promise((resolve) => setTimeout(resolve, 50))
      if (policy === 'use-local-view') expect(cut.view.isRevoked('during-outage')).toBe(false)
      expect(cut.view.available).toBe(false)

      relay.restore()
      await waitFor(() => cut.view.available, 5_000, 'reconnection and rebuild')
      expect(cut.view.isRevoked('before-outage')).toBe(true)
      expect(cut.view.isRevoked('during-outage')).toBe(true)
      expect(cut.view.revokedBefore('henry')).toBe(now)
      await waitFor(() => client.isReady, 2_000, 'command connection')
      expect(await cut.consumeRefresh('r', now)).toMatchObject({ status: 'ok' })
      await other.revoke('after-outage', now + HOUR)
      await waitFor(() => cut.view.isRevoked('after-outage'), 100, 'propagation after the outage')
    })
  })
})
