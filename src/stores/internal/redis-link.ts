/**
 * The two kinds of `redis` client the Redis store takes, behind one seam (internal): a single
 * client (`createClient`: one primary, reached directly, through Sentinel or a managed endpoint) or
 * a cluster client (`createCluster`).
 *
 * On a cluster every key of the store lives in one hash slot, so that the script that spends a
 * refresh token, which reads the token's record, its family and its identity's cut-off, runs on one
 * master: the prefix becomes a hash tag (`jwtguard:` gives `{jwtguard:}refresh:<id>`; a prefix that
 * holds a tag already, such as `{jwtguard}:`, is kept). Pub/sub is then sharded (SSUBSCRIBE and
 * SPUBLISH, Redis 7): the channels carry the same tag, so the subscriber listens to the master that
 * holds the data, the scripts publish there atomically with their write, and the heartbeat travels
 * the same path as the revocations.
 *
 * @module
 */
import type { RedisClientType, RedisClusterType } from 'redis'

/** A client from `createClient()` or `createCluster()` of the `redis` package. */
export type AnyRedisClient = RedisClientType | RedisClusterType

/** The commands the store sends, which a client and a cluster both have, as the store uses them. */
export interface RedisCommands {
  readonly isOpen: boolean
  readonly isReady: boolean
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  exists(key: string): Promise<number>
  get(key: string): Promise<string | null>
  /**
   * `NX` (and `PX`, milliseconds) as the flags every supported `redis` version takes (v6 also
   * takes `condition: 'NX'`).
   */
  set(key: string, value: string, options: { NX: true; PX?: number }): Promise<unknown>
  hGet(key: string, field: string): Promise<string | null | undefined>
  hmGet(key: string, fields: string[]): Promise<(string | null)[]>
  mGet(keys: string[]): Promise<(string | null)[]>
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string | number; keys: string[] }>
}

/** The subscriber connection of the store's view. */
export interface RedisSubscriber {
  /** Whether the connection that carries the subscription is up. */
  readonly isReady: boolean
  readonly isOpen: boolean
  connect(): Promise<void>
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
  /** Calls `ready` each time the subscription's connection is (again) ready, `down` when it drops. */
  watch(ready: () => void, down: () => void): () => void
  /** Adds (or with `off`, removes) an error listener. */
  onError(listener: (error: unknown) => void, off?: boolean): void
  destroy(): void
}

/** The store's connections: commands, publishing, SCAN and the subscriber. */
export interface RedisLink {
  /** Whether the client is a cluster client (keys in one slot, sharded pub/sub). */
  readonly cluster: boolean
  readonly commands: RedisCommands
  connect(): Promise<void>
  /** Publishes on a channel of the store's kind (PUBLISH; SPUBLISH on a cluster). */
  publish(channel: string, message: string): Promise<unknown>
  /** The connection SCAN runs on: the client, or on a cluster the master of the store's slot. */
  scanner(): Promise<RedisCommands>
  subscriber: RedisSubscriber
  /** Adds (or with `off`, removes) an error listener on the command connection. */
  onError(listener: (error: unknown) => void, off?: boolean): void
  /** Closes the command connection: lets commands in flight finish unless `graceful` is false. */
  close(graceful: boolean): Promise<void>
}

type Emitter = {
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** A cluster reports its own errors (topology) and its connections' (`node-error`). */
const CLUSTER_ERRORS = ['error', 'node-error']

function listen(emitter: Emitter, events: string[], listener: (error: unknown) => void, off = false): void {
  for (const event of events) {
    if (off) emitter.off(event, listener)
    else emitter.on(event, listener)
  }
}

/** Whether `client` comes from `createCluster()` (a single client has no `nodeClient`). */
export function isClusterClient(client: unknown): client is RedisClusterType {
  return typeof (client as { nodeClient?: unknown } | null)?.nodeClient === 'function'
}

/** The `keyPrefix` a client or cluster client was created with, if any. */
export function clientKeyPrefix(client: unknown): unknown {
  const candidate = client as { options?: { keyPrefix?: unknown }; _options?: { keyPrefix?: unknown } }
  return isClusterClient(client) ? candidate._options?.keyPrefix : candidate.options?.keyPrefix
}

/** Whether Redis would hash `prefix + anything` by a tag found inside `prefix`. */
function holdsHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{')
  return open !== -1 && prefix.indexOf('}', open + 1) > open + 1
}

/** The prefix of every key: as given, or on a cluster inside a hash tag (unless it holds one). */
export function storePrefix(prefix: string, cluster: boolean): string {
  return !cluster || holdsHashTag(prefix) ? prefix : `{${prefix}}`
}

/** The hash slot of a key (CRC16/XMODEM of its hash tag, or of the whole key, modulo 16384). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key)
  const open = bytes.indexOf(0x7b)
  const close = open === -1 ? -1 : bytes.indexOf(0x7d, open + 1)
  if (close > open + 1) bytes = bytes.subarray(open + 1, close)
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc % 16384
}

function singleLink(client: RedisClientType): RedisLink {
  const subscriber = client.duplicate()
  return {
    cluster: false,
    commands: client as unknown as RedisCommands,
    async connect() {
      if (!client.isOpen) await client.connect()
    },
    publish: (channel, message) => client.publish(channel, message),
    scanner: async () => client as unknown as RedisCommands,
    subscriber: {
      get isReady() {
        return subscriber.isReady
      },
      get isOpen() {
        return subscriber.isOpen
      },
      async connect() {
        await subscriber.connect()
      },
      subscribe: (channel, listener) => subscriber.subscribe(channel, listener),
      watch(ready, down) {
        subscriber.on('ready', ready).on('reconnecting', down).on('end', down)
        return () => subscriber.off('ready', ready).off('reconnecting', down).off('end', down)
      },
      onError: (listener, off) => listen(subscriber as unknown as Emitter, ['error'], listener, off),
      destroy: () => subscriber.destroy(),
    },
    onError: (listener, off) => listen(client as unknown as Emitter, ['error'], listener, off),
    close: async (graceful) => (graceful ? client.close() : client.destroy()),
  }
}

function clusterLink(cluster: RedisClusterType, prefix: string): RedisLink {
  // Its own cluster client, connecting to no node but the one whose shard channel it subscribes to.
  const subscriber = cluster.duplicate({ minimizeConnections: true })
  const events = subscriber as unknown as Emitter
  // The cluster is "ready" once the topology is known; the subscription's own connection is tracked here.
  let up = false
  events.on('node-ready', () => {
    up = true
  })
  const drop = () => {
    up = false
  }
  events.on('node-reconnecting', drop)
  events.on('node-disconnect', drop)
  const slot = keySlot(prefix)
  return {
    cluster: true,
    commands: cluster as unknown as RedisCommands,
    async connect() {
      if (!cluster.isOpen) await cluster.connect()
    },
    publish: (channel, message) => cluster.sPublish(channel, message),
    async scanner() {
      const master = cluster.slots[slot]?.master
      if (master === undefined) throw new Error(`no master serves slot ${slot} of the prefix ${prefix}`)
      return (await cluster.nodeClient(master)) as unknown as RedisCommands
    },
    subscriber: {
      get isReady() {
        return up && subscriber.isReady
      },
      get isOpen() {
        return subscriber.isOpen
      },
      async connect() {
        await subscriber.connect()
      },
      subscribe: (channel, listener) => subscriber.sSubscribe(channel, listener),
      watch(ready, down) {
        events.on('node-ready', ready)
        events.on('node-reconnecting', down)
        events.on('node-disconnect', down)
        return () => {
          events.off('node-ready', ready)
          events.off('node-reconnecting', down)
          events.off('node-disconnect', down)
        }
      },
      onError: (listener, off) => listen(events, CLUSTER_ERRORS, listener, off),
      destroy: () => subscriber.destroy(),
    },
    onError: (listener, off) => listen(cluster as unknown as Emitter, CLUSTER_ERRORS, listener, off),
    close: async (graceful) => (graceful ? cluster.close() : cluster.destroy()),
  }
}

/** The link over `client`; `prefix` is the store's key prefix as {@link storePrefix} made it. */
export function redisLink(client: AnyRedisClient, prefix: string): RedisLink {
  return isClusterClient(client) ? clusterLink(client, prefix) : singleLink(client)
}
