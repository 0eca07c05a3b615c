/**
 * The counters the limiters share: rate-limiter-flexible in memory, or in Redis with a fallback
 * to memory while Redis fails, and the option checks both limiters make.
 *
 * @module
 * @internal
 */
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible'
import type { RedisClientType, RedisClusterType } from 'redis'
import { remainingDeadline } from '../core/deadline.js'
import { JwtGuardError } from '../core/errors.js'

/** One count, in Redis with a memory fallback, or in memory. */
export interface Counter {
  /** Adds one; rejects with the `RateLimiterRes` when that goes over the limit. */
  consume(key: string): Promise<RateLimiterRes>
  /** Takes one back. */
  reward(key: string): Promise<void>
  /** Forgets the count. */
  reset(key: string): Promise<void>
  /** The count so far (0 when none). */
  peek(key: string): Promise<number>
  /** Sets the count to `points` for the counter's whole duration. */
  set(key: string, points: number): Promise<void>
}

/**
 * A connected client of the official `redis` package: one Redis (`createClient`) or a Redis
 * Cluster (`createCluster`). Each count is one key, read and written by one single-key script, so
 * on a cluster the counts spread over the masters by their keys' slots (no hash tag needed).
 */
export type RedisCounterClient = RedisClientType | RedisClusterType

/** Where a counter keeps its counts in Redis, and what it does when Redis fails. */
export interface RedisPlace {
  client: RedisCounterClient
  keyPrefix: string
  /** Milliseconds a command may take before the memory fallback counts instead. */
  timeout: number
  onError: (error: unknown) => void
}

export function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${option} must be an integer >= 1, such as ${fallback}`)
  }
  return value
}

export function checkRedisClient(client: unknown): void {
  const candidate = client as Partial<Record<'eval' | 'multi' | 'del', unknown>> & { isOpen?: unknown }
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof candidate.eval !== 'function' ||
    typeof candidate.multi !== 'function' ||
    typeof candidate.del !== 'function' ||
    typeof candidate.isOpen !== 'boolean'
  ) {
    throw new TypeError(
      'redis must be a client from createClient() or createCluster() of the redis package (v4 or later)',
    )
  }
  if (!candidate.isOpen) {
    throw new TypeError(
      'redis client is not connected: call `await client.connect()` before creating the limiter',
    )
  }
}

/** Checks `keyPrefix` and `commandTimeout`, and returns where each scope's counts live. */
export function redisPlaces(options: {
  redis?: RedisCounterClient | undefined
  keyPrefix: unknown
  commandTimeout: unknown
  onError: unknown
}): (scope: string) => RedisPlace | undefined {
  const { keyPrefix, commandTimeout } = options
  if (typeof keyPrefix !== 'string' || keyPrefix === '' || keyPrefix.length > 200) {
    throw new TypeError(
      'keyPrefix must be a non-empty string of at most 200 characters, such as "jwtguard:login:"',
    )
  }
  if (typeof commandTimeout !== 'number' || !(commandTimeout > 0) || commandTimeout > 60) {
    throw new RangeError('commandTimeout must be a number of seconds above 0 and at most 60, such as 2')
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('onError must be a function')
  }
  if (options.redis !== undefined) checkRedisClient(options.redis)
  const onError = (options.onError as ((error: unknown) => void) | undefined) ?? (() => undefined)
  const client = options.redis
  return (scope) =>
    client === undefined
      ? undefined
      : { client, keyPrefix: `${keyPrefix}${scope}`, timeout: commandTimeout * 1000, onError }
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${milliseconds} ms`)),
      milliseconds,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A counter of `points` within `duration` seconds. */
export function createCounter(points: number, duration: number, redis: RedisPlace | undefined): Counter {
  const memory = new RateLimiterMemory({ points, duration })
  let run: <T>(operation: (limiter: RateLimiterAbstract) => Promise<T>) => Promise<T>
  if (redis === undefined) {
    run = (operation) => operation(memory)
  } else {
    const shared = new RateLimiterRedis({
      storeClient: redis.client,
      // node-redis v4+ has a different command API than ioredis; detection by constructor name
      // does not work for v5/v6 clients, so it is set explicitly.
      useRedisPackage: true,
      // While the client reconnects, fail at once (and count in memory) instead of queueing.
      rejectIfRedisNotReady: true,
      keyPrefix: redis.keyPrefix,
      points,
      duration,
    })
    run = async (operation) => {
      // Down (not ready: a command would wait in the offline queue) or the request's one
      // deadline spent on an earlier call: count in memory at once.
      if (!redis.client.isReady) {
        redis.onError(new Error('Redis client is not ready'))
        return operation(memory)
      }
      const ms = remainingDeadline(redis.timeout)
      if (ms === 0) return operation(memory)
      try {
        return await withTimeout(operation(shared), ms)
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error
        redis.onError(error)
        return operation(memory)
      }
    }
  }
  return {
    consume: (key) => run((limiter) => limiter.consume(key)),
    reward: async (key) => {
      await run((limiter) => limiter.reward(key))
    },
    reset: async (key) => {
      await run((limiter) => limiter.delete(key))
    },
    peek: async (key) => (await run((limiter) => limiter.get(key)))?.consumedPoints ?? 0,
    set: async (key, value) => {
      await run((limiter) => limiter.set(key, value, duration))
    },
  }
}

/** The 429 for a counter's rejection (a `RateLimiterRes`); anything else is a 500 with its cause. */
export function tooMany(rejection: unknown, message: string): unknown {
  if (!(rejection instanceof RateLimiterRes)) {
    return new JwtGuardError('ERR_INTERNAL', 'Throttling failed', { cause: rejection })
  }
  return new JwtGuardError('ERR_TOO_MANY_REQUESTS', message, {
    retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
  })
}
