/**
 * Validation of the Redis store's options (internal), eager so a bad configuration fails at boot.
 *
 * @module
 */
import type { RedisStoreOptions } from '../redis.js'
import { clientKeyPrefix, isClusterClient, storePrefix } from './redis-link.js'
import { clockOption, intervalOption } from './validate.js'

/** The Redis store's options, checked, with defaults applied and durations in milliseconds. */
export interface ResolvedRedisOptions {
  /** The prefix of every key and channel: on a cluster, inside a hash tag (see `storePrefix`). */
  prefix: string
  channel: string
  now: () => number
  timeoutMs: number
  connectMs: number
  /** Seconds. */
  sweepEvery: number
  heartbeatMs: number
  failClosed: boolean
  onError: (error: unknown) => void
}

function checkOptions(options: RedisStoreOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  if ((options.client === undefined) === (options.url === undefined)) {
    throw new TypeError('give either client (a redis client) or url (redis://host:port), not both')
  }
  if (options.url !== undefined && typeof options.url !== 'string')
    throw new TypeError('url must be a string')
  if (options.client !== undefined && typeof options.client?.duplicate !== 'function') {
    throw new TypeError('client must be a client from createClient() or createCluster() of the redis package')
  }
  if (options.client !== undefined && clientKeyPrefix(options.client) !== undefined) {
    throw new TypeError('the client must not have a keyPrefix: give keyPrefix to createRedisStore instead')
  }
  const prefix = options.keyPrefix
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) {
    throw new TypeError('keyPrefix must be a non-empty string such as "jwtguard:"')
  }
  const policy = options.onUnavailable
  if (policy !== undefined && policy !== 'fail-closed' && policy !== 'use-local-view') {
    throw new TypeError('onUnavailable must be "fail-closed" or "use-local-view"')
  }
}

/** Checks every option; throws a `TypeError` or `RangeError` that says how to fix it. */
export function resolveRedisOptions(options: RedisStoreOptions): ResolvedRedisOptions {
  checkOptions(options)
  const prefix = storePrefix(options.keyPrefix ?? 'jwtguard:', isClusterClient(options.client))
  const onError = options.onError ?? (() => {})
  if (typeof onError !== 'function') throw new TypeError('onError must be a function')
  return {
    prefix,
    channel: `${prefix}events`,
    now: clockOption(options.now),
    timeoutMs: Math.max(1, intervalOption(options.commandTimeout, 'commandTimeout', 2) * 1000),
    connectMs: intervalOption(options.connectTimeout, 'connectTimeout', 10) * 1000,
    sweepEvery: intervalOption(options.sweepInterval, 'sweepInterval', 60),
    heartbeatMs: intervalOption(options.heartbeatInterval, 'heartbeatInterval', 1) * 1000,
    failClosed: options.onUnavailable === 'fail-closed',
    onError,
  }
}
