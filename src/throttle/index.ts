/**
 * `jwtguard/throttle`: the limiters the guard's `loginLimiter` and `refreshLimiter` options take,
 * on rate-limiter-flexible. The login limiter counts failed logins per (username, client), per
 * client and per username across clients; the refresh limiter counts refreshes per session
 * (family) and per client. Counts live in memory or, given a `redis` client, in Redis so that
 * every instance shares them.
 *
 * @module jwtguard/throttle
 */
import type { RedisClientType, RedisClusterType } from 'redis'
import { type Duration, toSeconds } from '../core/internal/duration.js'
import type { LoginAttempt, LoginLimiter } from '../core/throttle.js'
import { createCounter, positiveInteger, redisPlaces, tooMany } from './counter.js'
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
   * Failed logins allowed for one username from all the clients that have not logged in to it
   * lately, within `accountWindow`: what stops 30 clients from guessing 10 times each. A client
   * that logged in to the username within `knownClientFor` is not refused by this count, so an
   * attacker who spends it cannot lock the real user out of their usual client.
   * @default 50
   */
  maxFailuresPerAccount?: number | undefined
  /**
   * How long the per-account count lives, from its first failure: slower than `window`.
   * @default '1h'
   */
  accountWindow?: Duration | undefined
  /**
   * How long a client that logged in to a username stays known to it (exempt from the
   * per-account count; still subject to the per-username-and-client and per-client counts). At
   * most 24 days (the longest timer the in-memory counts can keep).
   * @default '14d'
   */
  knownClientFor?: Duration | undefined
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
   * by every instance using the same `keyPrefix`. The limiter never closes it. A cluster client
   * (`createCluster`) works too: each count is one key, so the counts spread over the masters.
   * @default counts in this process's memory
   */
  redis?: RedisClientType | RedisClusterType | undefined
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
    maxFailuresPerAccount: number
    window: number
    accountWindow: number
    knownClientFor: number
    ipv6Subnet: number | false
    backend: 'memory' | 'redis'
  }>
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
  const maxFailuresPerAccount = positiveInteger(options.maxFailuresPerAccount, 'maxFailuresPerAccount', 50)
  const window = seconds(options.window, 'window', '15m')
  const accountWindow = seconds(options.accountWindow, 'accountWindow', '1h')
  const knownClientFor = seconds(options.knownClientFor, 'knownClientFor', '14d')
  if (knownClientFor > MAX_TIMER_SECONDS) {
    throw new RangeError(
      'knownClientFor must be at most 24 days (the longest in-memory timer), such as "14d"',
    )
  }
  const ipv6Subnet = options.ipv6Subnet ?? 56
  if (ipv6Subnet !== false && (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 8 || ipv6Subnet > 128)) {
    throw new RangeError('ipv6Subnet must be a prefix length from 8 to 128 (such as 56 or 64), or false')
  }
  const redisFor = redisPlaces({
    redis: options.redis,
    keyPrefix: options.keyPrefix ?? 'jwtguard:login:',
    commandTimeout: options.commandTimeout ?? 2,
    onError: options.onError,
  })
  const onError = options.onError ?? (() => undefined)
  const perUser = createCounter(maxFailuresPerUser, window, redisFor('user'))
  const perClient = createCounter(maxFailuresPerClient, window, redisFor('client'))
  const perAccount = createCounter(maxFailuresPerAccount, accountWindow, redisFor('account'))
  const knownClients = createCounter(1, knownClientFor, redisFor('known'))
  // The attempts `check` counted against their account (those from clients not known to it).
  const countedForAccount = new WeakSet<LoginAttempt>()

  function keysOf(attempt: LoginAttempt) {
    const client = clientBucket(String(attempt.clientAddress), ipv6Subnet)
    // Usernames are counted case- and width-insensitively: 'Admin' and 'ａｄｍｉｎ' share a count.
    const username = String(attempt.username).normalize('NFKC').toLowerCase()
    return { user: digest(client, username), client: digest(client), account: digest(username) }
  }

  /** Consumes one of each count in turn; a refusal gives back what was consumed before it. */
  async function consumeAll(steps: [counter: typeof perUser, key: string][]): Promise<void> {
    for (let index = 0; index < steps.length; index += 1) {
      const [counter, key] = steps[index] as [typeof perUser, string]
      try {
        await counter.consume(key)
      } catch (rejection) {
        // Refused before the password was checked: not a failed login for the earlier counts.
        for (const [earlier, earlierKey] of steps.slice(0, index)) {
          await earlier.reward(earlierKey).catch(onError)
        }
        throw tooMany(rejection, 'Too many failed login attempts, try again later')
      }
    }
  }

  return {
    settings: Object.freeze({
      maxFailuresPerUser,
      maxFailuresPerClient,
      maxFailuresPerAccount,
      window,
      accountWindow,
      knownClientFor,
      ipv6Subnet,
      backend: options.redis === undefined ? 'memory' : 'redis',
    }),
    async check(attempt) {
      const keys = keysOf(attempt)
      // The client's count first: a refused client creates no per-username entries.
      const steps: [typeof perUser, string][] = [
        [perClient, keys.client],
        [perUser, keys.user],
      ]
      const known = (await knownClients.peek(keys.user)) > 0
      if (!known) steps.push([perAccount, keys.account])
      await consumeAll(steps)
      if (!known) countedForAccount.add(attempt)
    },
    async recordFailure() {
      // Counted by `check` already.
    },
    async recordSuccess(attempt) {
      const keys = keysOf(attempt)
      await Promise.all([
        perUser.reset(keys.user),
        perClient.reward(keys.client),
        countedForAccount.delete(attempt) ? perAccount.reward(keys.account) : undefined,
        knownClients.set(keys.user, 1),
      ])
    },
    async recordAborted(attempt) {
      // Neither outcome: every count gets the attempt back, nothing is reset.
      const keys = keysOf(attempt)
      await Promise.all([
        perUser.reward(keys.user),
        perClient.reward(keys.client),
        countedForAccount.delete(attempt) ? perAccount.reward(keys.account) : undefined,
      ])
    },
  }
}

/** setTimeout's longest delay (2^31 - 1 ms), which the in-memory counts use for expiry. */
const MAX_TIMER_SECONDS = 24 * 86400

function seconds(value: Duration | undefined, option: string, fallback: string): number {
  const result = toSeconds(value ?? fallback, option)
  if (result < 1) throw new RangeError(`${option} must be at least 1 second, such as "${fallback}"`)
  return result
}

export { createRefreshLimiter, type RefreshLimiterOptions } from './refresh.js'
