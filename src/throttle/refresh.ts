/**
 * The refresh limiter: `POST /auth/refresh` per session (refresh-token family) and per client.
 * Each rotation writes a refresh record that lives as long as the refresh token (14 days by
 * default), so an unlimited client could grow the store at the speed of its requests.
 *
 * @module
 */
import type { RedisClientType, RedisClusterType } from 'redis'
import { type Duration, toSeconds } from '../core/internal/duration.js'
import type { RefreshAttempt, RefreshLimiter } from '../core/throttle.js'
import { createCounter, positiveInteger, redisPlaces, tooMany } from './counter.js'
import { clientBucket, digest } from './keys.js'

/** Options of {@link createRefreshLimiter}. */
export interface RefreshLimiterOptions {
  /**
   * Refreshes allowed for one session (one refresh-token family) within `window`. A client
   * refreshes once per access-token lifetime (5 minutes by default), a few tabs a little more.
   * @default 10
   */
  maxPerFamily?: number | undefined
  /**
   * Refreshes allowed from one client, whatever the sessions, within `window` (many users may
   * share an address behind a NAT).
   * @default 300
   */
  maxPerClient?: number | undefined
  /**
   * How long a count lives, from its first refresh: seconds or a string like `1m`.
   * @default '1m'
   */
  window?: Duration | undefined
  /**
   * IPv6 clients are counted per network prefix of this many bits; `false` counts each address.
   * @default 56
   */
  ipv6Subnet?: number | false | undefined
  /**
   * A connected client of the official `redis` package: counts shared by every instance. A
   * cluster client (`createCluster`) works too (one key per count).
   * @default counts in this process's memory
   */
  redis?: RedisClientType | RedisClusterType | undefined
  /**
   * Prefix of every Redis key.
   * @default 'jwtguard:refresh:'
   */
  keyPrefix?: string | undefined
  /**
   * Seconds a Redis command may take before that refresh is counted in memory instead.
   * @default 2
   */
  commandTimeout?: number | undefined
  /** Receives Redis errors that made the limiter count in memory. @default ignore them */
  onError?: ((error: unknown) => void) | undefined
}

/**
 * Creates a refresh limiter for the guard's `refreshLimiter` option. A refused refresh answers
 * `429` with `Retry-After`, and its refresh token is not spent: the client may retry later.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { createRefreshLimiter } from 'jwtguard/throttle'
 * const guard = createJwtGuard({ secret, authenticate, identity, store, refreshLimiter: createRefreshLimiter() })
 * ```
 *
 * @throws {TypeError | RangeError} for invalid options, with the fix in the message.
 */
export function createRefreshLimiter(options: RefreshLimiterOptions = {}): RefreshLimiter {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const maxPerFamily = positiveInteger(options.maxPerFamily, 'maxPerFamily', 10)
  const maxPerClient = positiveInteger(options.maxPerClient, 'maxPerClient', 300)
  const window = toSeconds(options.window ?? '1m', 'window')
  if (window < 1) throw new RangeError('window must be at least 1 second, such as "1m"')
  const ipv6Subnet = options.ipv6Subnet ?? 56
  if (ipv6Subnet !== false && (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 8 || ipv6Subnet > 128)) {
    throw new RangeError('ipv6Subnet must be a prefix length from 8 to 128 (such as 56 or 64), or false')
  }
  const redisFor = redisPlaces({
    redis: options.redis,
    keyPrefix: options.keyPrefix ?? 'jwtguard:refresh:',
    commandTimeout: options.commandTimeout ?? 2,
    onError: options.onError,
  })
  const perClient = createCounter(maxPerClient, window, redisFor('client'))
  const perFamily = createCounter(maxPerFamily, window, redisFor('family'))
  const message = 'Too many token refreshes, try again later'
  return {
    async check(attempt: RefreshAttempt) {
      const client = digest(clientBucket(String(attempt.clientAddress), ipv6Subnet))
      try {
        await perClient.consume(client)
      } catch (rejection) {
        throw tooMany(rejection, message)
      }
      try {
        await perFamily.consume(digest(String(attempt.familyId)))
      } catch (rejection) {
        throw tooMany(rejection, message)
      }
    },
  }
}
