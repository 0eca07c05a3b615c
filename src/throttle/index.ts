/**
 * `jwtguard/throttle`: the login limiter the guard's `loginLimiter` option takes, on
 * rate-limiter-flexible. It counts failed logins per (username, client) and per client, in memory
 * or, given a `redis` client, in Redis so that every instance shares the counts.
 *
 * @module jwtguard/throttle
 */
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible'
import type { RedisClientType } from 'redis'
import {
  type Duration,
  JwtGuardError,
  type LoginAttempt,
  type LoginLimiter,
  remainingDeadline,
  toSeconds,
} from '../index.js'
import { clientBucket, digest } from './keys.js'

/** Options of {@link createLoginLimiter}. */
export interface LoginLimiterOptions {
  /**
   * Failed logins allowed for one username from one client within `window`; the next attempt
   * gets a `429`, even with the right password. A successful login resets this count.
   * @default 10
   */
  maxFailuresPerUser?: number | undefined
  /**
   * Failed logins allowed from one client, whatever the usernames, within `window`.
   * @default 100
   */
  maxFailuresPerClient?: number | undefined
  /**
   * How long a count lives, from its first failure: seconds or a string like `15m`. A refused
   * client is told to retry when its window ends (`Retry-After`).
   * @default '15m'
   */
  window?: Duration | undefined
  /**
   * IPv6 clients are counted per network prefix of this many bits (one host usually holds a /64
   * or more, so counting single addresses would let it rotate past any limit). `false` counts each
   * address. IPv4 addresses are always counted one by one.
   * @default 56
   */
  ipv6Subnet?: number | false | undefined
  /**
   * A connected client of the official `redis` package (v4 or later): counts live in Redis, shared
   * by every instance using the same `keyPrefix`. The limiter never closes it.
   * @default counts in this process's memory
   */
  redis?: RedisClientType | undefined
  /**
   * Prefix of every Redis key.
   * @default 'jwtguard:login:'
   */
  keyPrefix?: string | undefined
  /**
   * Seconds a Redis command may take. When Redis fails or is too slow, that attempt is counted in
   * this process's memory instead, so logins stay limited (per instance) during an outage. While
   * the client is not connected, memory is used at once; within a login, every call shares one
   * deadline of this length with the token store (`withRequestDeadline`).
   * @default 2
   */
  commandTimeout?: number | undefined
  /** Receives Redis errors that made the limiter count in memory. @default ignore them */
  onError?: ((error: unknown) => void) | undefined
}

/** The object returned by {@link createLoginLimiter}: a `LoginLimiter` with its settings. */
export interface CreatedLoginLimiter extends LoginLimiter {
  /** The validated settings, with defaults applied. */
  readonly settings: Readonly<{
    maxFailuresPerUser: number
    maxFailuresPerClient: number
    window: number
    ipv6Subnet: number | false
    backend: 'memory' | 'redis'
  }>
}

/** One count (per user and client, or per client), in Redis with a memory fallback, or in memory. */
interface Counter {
  /** Adds one; rejects with the `RateLimiterRes` when that goes over the limit. */
  consume(key: string): Promise<RateLimiterRes>
  /** Takes one back. */
  reward(key: string): Promise<void>
  /** Forgets the count. */
  reset(key: string): Promise<void>
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${option} must be an integer >= 1, such as ${fallback}`)
  }
  return value
}

function checkRedisClient(client: unknown): void {
  const candidate = client as Partial<Record<'eval' | 'multi' | 'del', unknown>> & { isOpen?: unknown }
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof candidate.eval !== 'function' ||
    typeof candidate.multi !== 'function' ||
    typeof candidate.del !== 'function' ||
    typeof candidate.isOpen !== 'boolean'
  ) {
    throw new TypeError('redis must be a client from createClient() of the redis package (v4 or later)')
  }
  if (!candidate.isOpen) {
    throw new TypeError(
      'redis client is not connected: call `await client.connect()` before createLoginLimiter',
    )
  }
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

function createCounter(
  points: number,
  duration: number,
  redis:
    | { client: RedisClientType; keyPrefix: string; timeout: number; onError: (error: unknown) => void }
    | undefined,
): Counter {
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
  }
}

function tooMany(rejection: unknown): unknown {
  if (!(rejection instanceof RateLimiterRes)) {
    return new JwtGuardError('ERR_INTERNAL', 'Login throttling failed', { cause: rejection })
  }
  return new JwtGuardError('ERR_TOO_MANY_REQUESTS', 'Too many failed login attempts, try again later', {
    retryAfter: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
  })
}

/**
 * Creates a login limiter for the guard's `loginLimiter` option.
 *
 * `check` counts the attempt as a failure up front, atomically, so that a burst of concurrent
 * attempts cannot get past the limit before any of them has failed; `recordSuccess` takes it back
 * (and resets the username's count), `recordFailure` keeps it. Counter keys are digests of fixed
 * length: a huge username cannot bloat memory or Redis.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { createLoginLimiter } from 'jwtguard/throttle'
 * import { createClient } from 'redis'
 * const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
 * await redis.connect()
 * const guard = createJwtGuard({ secret, authenticate, identity, loginLimiter: createLoginLimiter({ redis }) })
 * ```
 *
 * @throws {TypeError | RangeError} for invalid options, with the fix in the message.
 */
export function createLoginLimiter(options: LoginLimiterOptions = {}): CreatedLoginLimiter {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const maxFailuresPerUser = positiveInteger(options.maxFailuresPerUser, 'maxFailuresPerUser', 10)
  const maxFailuresPerClient = positiveInteger(options.maxFailuresPerClient, 'maxFailuresPerClient', 100)
  const window = toSeconds(options.window ?? '15m', 'window')
  if (window < 1) throw new RangeError('window must be at least 1 second, such as "15m"')
  const ipv6Subnet = options.ipv6Subnet ?? 56
  if (ipv6Subnet !== false && (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 8 || ipv6Subnet > 128)) {
    throw new RangeError('ipv6Subnet must be a prefix length from 8 to 128 (such as 56 or 64), or false')
  }
  const keyPrefix = options.keyPrefix ?? 'jwtguard:login:'
  if (typeof keyPrefix !== 'string' || keyPrefix === '' || keyPrefix.length > 200) {
    throw new TypeError(
      'keyPrefix must be a non-empty string of at most 200 characters, such as "jwtguard:login:"',
    )
  }
  const commandTimeout = options.commandTimeout ?? 2
  if (typeof commandTimeout !== 'number' || !(commandTimeout > 0) || commandTimeout > 60) {
    throw new RangeError('commandTimeout must be a number of seconds above 0 and at most 60, such as 2')
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('onError must be a function')
  }
  if (options.redis !== undefined) checkRedisClient(options.redis)
  const onError = options.onError ?? (() => undefined)
  const redisFor = (scope: string) =>
    options.redis === undefined
      ? undefined
      : { client: options.redis, keyPrefix: `${keyPrefix}${scope}`, timeout: commandTimeout * 1000, onError }
  const perUser = createCounter(maxFailuresPerUser, window, redisFor('user'))
  const perClient = createCounter(maxFailuresPerClient, window, redisFor('client'))

  function keysOf(attempt: LoginAttempt): { user: string; client: string } {
    const client = clientBucket(String(attempt.clientAddress), ipv6Subnet)
    // Usernames are counted case- and width-insensitively: 'Admin' and 'ａｄｍｉｎ' share a count.
    const username = String(attempt.username).normalize('NFKC').toLowerCase()
    return { user: digest(client, username), client: digest(client) }
  }

  return {
    settings: Object.freeze({
      maxFailuresPerUser,
      maxFailuresPerClient,
      window,
      ipv6Subnet,
      backend: options.redis === undefined ? 'memory' : 'redis',
    }),
    async check(attempt) {
      const keys = keysOf(attempt)
      // The client's count first: a refused client creates no per-username entries.
      try {
        await perClient.consume(keys.client)
      } catch (rejection) {
        throw tooMany(rejection)
      }
      try {
        await perUser.consume(keys.user)
      } catch (rejection) {
        // Refused for this username: not a failed login, so the client's count gets it back.
        await perClient.reward(keys.client).catch(onError)
        throw tooMany(rejection)
      }
    },
    async recordFailure() {
      // Counted by `check` already.
    },
    async recordSuccess(attempt) {
      const keys = keysOf(attempt)
      await Promise.all([perUser.reset(keys.user), perClient.reward(keys.client)])
    },
    async recordAborted(attempt) {
      // Neither outcome: both counts get the attempt back, nothing is reset.
      const keys = keysOf(attempt)
      await Promise.all([perUser.reward(keys.user), perClient.reward(keys.client)])
    },
  }
}
