/**
 * `jwtguard/stores/redis`: the token store shared by several instances, through the official
 * `redis` client. Atomic operations are Lua scripts, every key carries an absolute expiry, and the
 * per-request revocation check reads a local view kept current by pub/sub.
 *
 * > [!NOTE]
 * > Use one Redis primary (a `createClient` client) or a Redis Cluster (a `createCluster` client,
 * > Redis 7 or later), with `maxmemory-policy noeviction`: every key has a TTL, so a `volatile-*`
 * > policy could evict a revocation before it expires. Turn on persistence (AOF or RDB): when
 * > Redis loses its data, the epoch marker (`<prefix>epoch`) changes and every instance refuses
 * > every token issued before (`view.revokedBeforeAll()`), so users log in again. Every write
 * > also increments a write sequence (`<prefix>seq`): an instance that reads it below what its own
 * > writes got back (a failover to a replica that missed them) starts a new epoch alike.
 * >
 * > On a cluster every key of the store shares one hash slot, so its scripts run on one master:
 * > the prefix is wrapped in a hash tag (`{jwtguard:}refresh:<id>`, `{jwtguard:}epoch`; a prefix
 * > holding a tag, such as `{jwtguard}:`, is kept as it is), and pub/sub is sharded
 * > (`SSUBSCRIBE {jwtguard:}events`). A single client's keys keep their names (`jwtguard:refresh:<id>`).
 *
 * @module jwtguard/stores/redis
 */
import { createClient, type RedisClientType, type RedisClusterType } from 'redis'
import { remainingDeadline } from '../core/deadline.js'
import { isJwtGuardError } from '../core/errors.js'
import { storeUnavailable, withinDeadline } from './internal/errors.js'
import { RevocationMirror } from './internal/mirror.js'
import { type RedisCommands, type RedisLink, redisLink } from './internal/redis-link.js'
import { resolveRedisOptions } from './internal/redis-options.js'
import {
  CONSUME_REFRESH,
  consumeResult,
  consumeSequence,
  LIST_SESSIONS,
  type LuaScript,
  RAISE_CUTOFF,
  runScript,
  SAVE_REFRESH,
  SET_MAX_EXPIRY,
  sessionsResult,
  sharded,
} from './internal/redis-scripts.js'
import { familyMessage, RedisRevocationView, revokedMessage } from './internal/redis-view.js'
import { checkExpiry, checkId, checkInterval, checkRecord, checkTime, every } from './internal/validate.js'
import type { TokenStore } from './types.js'

export type {
  ConsumeResult,
  RefreshRecord,
  RevocationView,
  SessionRecord,
  TokenStore,
} from './types.js'

/** Options of {@link createRedisStore}. Give `client` or `url`, not both. */
export interface RedisStoreOptions {
  /**
   * A `redis` client (connected or not; the store connects it if needed, never closes it): from
   * `createClient()` for one Redis primary, or from `createCluster()` for a Redis Cluster (Redis 7
   * or later: the store uses sharded pub/sub). It must not have its own `keyPrefix`. The store
   * duplicates it for its subscriber connection; a cluster's duplicate connects to one master only,
   * the one serving the store's hash slot.
   */
  client?: RedisClientType | RedisClusterType | undefined
  /** A `redis://` URL: the store creates, connects and (on `close`) closes its own client. */
  url?: string | undefined
  /**
   * Prefix of every key and of the pub/sub channel (`<prefix>events`). Instances sharing
   * revocations must use the same prefix. On a cluster it is wrapped in a hash tag
   * (`{jwtguard:}`), unless it holds one already, so that every key lands in one slot.
   * @default 'jwtguard:'
   */
  keyPrefix?: string | undefined
  /**
   * What the view (the per-request check) does while Redis is unreachable, from the moment the
   * subscriber connection drops until it is back and the view rebuilt:
   * - `'use-local-view'`: answer from the last known state. It misses only revocations made
   *   through other instances during the outage; no refresh can succeed meanwhile, so the exposure
   *   is bounded by the access-token lifetime.
   * - `'fail-closed'`: throw a coded `JwtGuardError`, so every protected request fails.
   *
   * Every other method always fails closed: it rejects with that error at once when the command
   * connection is down, or after `commandTimeout`.
   * @default 'use-local-view'
   */
  onUnavailable?: 'fail-closed' | 'use-local-view' | undefined
  /**
   * The clock, in seconds since the epoch, for the view's expiry. Keys expire on Redis's clock.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
  /**
   * Seconds a command may take before the call rejects as unavailable. A command that was sent
   * may still take effect after that (a refresh token then ends up spent: the user logs in again).
   * Inside the guard's token routes the calls of one request share one deadline of this length
   * (`withRequestDeadline`): a login with Redis hung answers 503 after about this long, not after
   * one timeout per command.
   * @default 2
   */
  commandTimeout?: number | undefined
  /**
   * Seconds `createRedisStore` waits for the connections and the first view build.
   * @default 10
   */
  connectTimeout?: number | undefined
  /**
   * Seconds between heartbeats through Redis pub/sub, which detect a connection that died
   * silently: the view turns unavailable after three missed ones (they are published on the
   * command connection, so that connection being down counts too). `0` turns them off.
   * @default 1
   */
  heartbeatInterval?: number | undefined
  /**
   * Seconds between sweeps of expired entries out of the view; `0` turns it off.
   * @default 60
   */
  sweepInterval?: number | undefined
  /** Receives connection and sync errors (the store recovers by itself). @default ignore them */
  onError?: ((error: unknown) => void) | undefined
}

/**
 * Connects, subscribes and builds the local view, then resolves to the store. Rejects with a
 * coded `JwtGuardError` when Redis cannot be reached within `connectTimeout`.
 *
 * @example
 * ```ts
 * import { createRedisStore } from 'jwtguard/stores/redis'
 * const store = await createRedisStore({ url: process.env.REDIS_URL })
 * ```
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<TokenStore> {
  const { prefix, channel, now, timeoutMs, connectMs, sweepEvery, heartbeatMs, failClosed, onError } =
    resolveRedisOptions(options)
  const owned = options.client === undefined
  const link = redisLink(options.client ?? createClient({ url: options.url as string }), prefix)
  const { commands: client, subscriber } = link
  if (owned) link.onError(onError)
  subscriber.onError(onError)
  const mirror = new RevocationMirror(now)
  const view = new RedisRevocationView({
    link,
    prefix,
    channel,
    mirror,
    failClosed,
    timeoutMs,
    heartbeatMs,
    now,
    onError,
  })
  let closed = false
  let stopSweep = (): void => {}

  async function shutdown(graceful: boolean): Promise<void> {
    closed = true
    stopSweep()
    view.close()
    if (subscriber.isOpen) subscriber.destroy()
    if (!owned || !client.isOpen) return
    await link.close(graceful && client.isReady) // graceful: lets commands in flight finish
  }

  try {
    await startWithin(link, view, connectMs)
  } catch (error) {
    await shutdown(false)
    throw storeUnavailable(error)
  }
  stopSweep = every(sweepEvery, () => mirror.sweep(now()))

  async function call<T>(run: (redis: typeof client) => Promise<T>): Promise<T> {
    if (closed || !client.isReady) throw storeUnavailable()
    // Inside a token route, what is left of the request's one deadline (withRequestDeadline).
    const ms = remainingDeadline(timeoutMs)
    if (ms === 0) throw storeUnavailable(new Error('the request deadline has passed'))
    try {
      return await withinDeadline(run(client), ms)
    } catch (error) {
      // Error replies too (OOM, READONLY after a failover, ...): the backend cannot serve us.
      throw isJwtGuardError(error) ? error : storeUnavailable(error)
    }
  }
  // On a cluster the scripts publish on the shard channel of the store's slot.
  const [setMaxExpiry, raiseCutoff] = link.cluster
    ? [sharded(SET_MAX_EXPIRY), sharded(RAISE_CUTOFF)]
    : [SET_MAX_EXPIRY, RAISE_CUTOFF]
  // Every write script also increments the write sequence and returns it (see the view).
  const script = async (lua: LuaScript, key: string, args: string[], more: string[] = []) => {
    const reply = await call((redis) => runScript(redis, lua, [key, view.sequenceKey, ...more], args))
    view.wrote(Array.isArray(reply) ? consumeSequence(reply) : Number(reply))
    return reply
  }
  const exists = async (key: string) => (await call((redis) => redis.exists(key))) === 1
  const close = async () => {
    if (!closed) await shutdown(true)
  }
  return storeCommands({
    view,
    mirror,
    prefix,
    channel,
    now,
    setMaxExpiry,
    raiseCutoff,
    script,
    call,
    exists,
    close,
  })
}

/** What the store's commands run on: the connected backend, its scripts and its local view. */
interface RedisBackend {
  view: RedisRevocationView
  mirror: RevocationMirror
  prefix: string
  channel: string
  now: () => number
  setMaxExpiry: LuaScript
  raiseCutoff: LuaScript
  /** Runs a write script on `key` (and `more` keys); the view learns the write sequence it returns. */
  script: (lua: LuaScript, key: string, args: string[], more?: string[]) => Promise<unknown>
  /** Runs a command within the store's timeout (and the request's deadline). */
  call: <T>(run: (redis: RedisCommands) => Promise<T>) => Promise<T>
  exists: (key: string) => Promise<boolean>
  close: () => Promise<void>
}

/** The token store's operations over a connected backend. */
function storeCommands(backend: RedisBackend): TokenStore {
  const { view, mirror, prefix, channel, now, setMaxExpiry, raiseCutoff, script, call, exists } = backend
  return {
    view,
    async revoke(jti, expiresAt) {
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      await script(setMaxExpiry, `${prefix}revoked:${checkId(jti, 'jti')}`, [
        String(expiry),
        channel,
        revokedMessage(jti, expiry),
      ])
      mirror.addRevoked(jti, expiry)
    },
    async isRevoked(jti) {
      return exists(`${prefix}revoked:${checkId(jti, 'jti')}`)
    },
    async revokeAllFor(identity, before, expiresAt) {
      const args = [String(checkTime(before, 'before')), String(checkExpiry(expiresAt, 'expiresAt'))]
      await script(raiseCutoff, `${prefix}cutoff:${checkId(identity, 'identity')}`, [
        ...args,
        channel,
        identity,
      ])
      mirror.addCutoff(identity, before, Number(args[1]))
    },
    async revokedBefore(identity) {
      const before = await call((redis) =>
        redis.hGet(`${prefix}cutoff:${checkId(identity, 'identity')}`, 'b'),
      )
      return before === null || before === undefined ? null : Number(before)
    },
    async saveRefresh(input) {
      const r = checkRecord(input)
      const args = [r.familyId, r.identity, String(r.issuedAt), String(r.expiresAt)]
      args.push(
        r.createdAt === undefined ? '' : String(r.createdAt),
        r.userAgent ?? '',
        r.clientAddress ?? '',
      )
      const index = [`${prefix}sessions:${r.identity}`]
      if ((await script(SAVE_REFRESH, `${prefix}refresh:${r.id}`, args, index)) === 0) {
        throw new TypeError(`a refresh token with id "${r.id}" is already saved: ids must be unique`)
      }
    },
    async consumeRefresh(id, at, reuseInterval) {
      const key = `${prefix}refresh:${checkId(id, 'id')}`
      const args = [String(checkTime(at, 'now')), prefix, String(checkInterval(reuseInterval))]
      return consumeResult(await script(CONSUME_REFRESH, key, args), id)
    },
    async revokeFamily(familyId, expiresAt) {
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      await script(setMaxExpiry, `${prefix}family:${checkId(familyId, 'familyId')}`, [
        String(expiry),
        channel,
        familyMessage(familyId, expiry),
      ])
      mirror.addFamily(familyId, expiry)
    },
    async isFamilyRevoked(familyId) {
      return exists(`${prefix}family:${checkId(familyId, 'familyId')}`)
    },
    async sessions(identity, at) {
      const key = `${prefix}sessions:${checkId(identity, 'identity')}`
      const args = [String(checkTime(at, 'now')), prefix, identity]
      return sessionsResult(await call((redis) => runScript(redis, LIST_SESSIONS, [key], args)), identity)
    },
    async prune(at) {
      mirror.sweep(checkTime(at, 'now'))
      return 0
    },
    close: backend.close,
    async claimOnce(key, expiresAt) {
      const id = `${prefix}claim:${checkId(key, 'key')}`
      // SET NX PX: one atomic command, on the master of the key's slot on a cluster. The TTL is
      // relative, from the store's clock, so Redis's own clock decides nothing but the countdown.
      const ttlMs = Math.round((checkExpiry(expiresAt, 'expiresAt') - now()) * 1000)
      if (ttlMs <= 0) return true
      return (await call((redis) => redis.set(id, '1', { NX: true, PX: ttlMs }))) === 'OK'
    },
  } satisfies TokenStore
}

/**
 * Connects the command and subscriber connections and builds the view, within `connectMs`; the
 * rejection names the last connection error (refused, DNS, auth) when there was one.
 */
async function startWithin(link: RedisLink, view: RedisRevocationView, connectMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let lastError: unknown
  const remember = (error: unknown) => {
    lastError = error
  }
  link.onError(remember)
  link.subscriber.onError(remember)
  try {
    await Promise.race([
      (async () => {
        await link.connect()
        await link.subscriber.connect()
        await view.start()
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
          reject(new Error(`Redis not ready within ${connectMs} ms${why}`, { cause: lastError }))
        }, connectMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    link.onError(remember, true)
    link.subscriber.onError(remember, true)
  }
}
