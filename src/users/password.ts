/**
 * argon2id password hashing through @node-rs/argon2. Hashing and verifying run in libuv's thread
 * pool, so a login never blocks the event loop.
 *
 * @module
 */
import { availableParallelism } from 'node:os'
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2'
import { failure } from '../core/failures.js'
import { createArgon2Threads, threadPriorityAvailable } from './argon2-threads.js'

// @node-rs/argon2's numeric value for argon2id (its `Algorithm` const enum cannot be imported
// under isolatedModules).
const ARGON2ID = 2

/** argon2id cost parameters. */
export interface PasswordHashOptions {
  /** Memory in KiB. @default 19456 (OWASP's 19 MiB) */
  memoryCost?: number | undefined
  /** Iterations. @default 2 */
  timeCost?: number | undefined
  /** Lanes. @default 1 */
  parallelism?: number | undefined
  /**
   * Hashes computed at once; more wait their turn. Keeping one core free of argon2 keeps the event
   * loop (every other request) responsive while logins pour in.
   * @default max(1, available cores - 1)
   */
  maxConcurrency?: number | undefined
  /**
   * Hashes waiting for their turn, at most. Past it, `hash`, `verify` and `verifyDummy` reject at
   * once with a `JwtGuardError` `ERR_SERVER_BUSY` that carries `retryAfter` (the seconds the
   * queue needs to drain); the login route answers it with 503 and `Retry-After`. A login flood
   * then costs memory and waiting time in proportion to this, not to the flood. Keep it above the
   * logins you expect at once: a refused client that retries at once, ignoring `Retry-After`,
   * costs the event loop more than one that waits its turn (bench/README.md, logins under load).
   * `Infinity` queues without a bound.
   * @default 64
   */
  maxQueue?: number | undefined
  /**
   * The OS scheduling priority (Unix `nice`: 0 normal, 19 lowest) of the threads that run argon2id,
   * `maxConcurrency` of them, started on first use. Below the event loop's, the kernel runs every
   * other request first when both want a core, and the checks take what is left, so a login
   * flood does not slow protected routes (bench/README.md, logins under load); on an idle machine
   * a check takes as long as at priority 0. Linux only (it lowers one thread at a time through
   * /proc/thread-self); elsewhere, or with `false`, argon2id runs in libuv's thread pool at the
   * process's priority.
   * @default 19
   */
  threadPriority?: number | false | undefined
}

/**
 * A counting semaphore with a bounded queue: at most `limit` tasks run at once, at most `maxQueue`
 * wait their turn, in order; past that a call is refused at once with `ERR_SERVER_BUSY`, carrying
 * how many seconds the queue needs to drain (from the tasks' recent mean duration). A finished
 * task hands its slot straight to the next in line, so no newcomer can overtake the queue.
 * @internal
 */
export function limiter(
  limit: number,
  maxQueue = Number.POSITIVE_INFINITY,
): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0
  let meanMs = 0
  const queue: (() => void)[] = []
  const acquire = async (): Promise<void> => {
    if (running < limit) {
      running += 1
      return
    }
    if (queue.length >= maxQueue) {
      throw failure('loginsBusy', { retryAfter: ((queue.length + 1) * meanMs) / limit / 1000 })
    }
    await new Promise<void>((resolve) => queue.push(resolve))
  }
  const release = (elapsedMs: number): void => {
    meanMs = meanMs === 0 ? elapsedMs : 0.8 * meanMs + 0.2 * elapsedMs
    const next = queue.shift()
    if (next === undefined) running -= 1
    else next()
  }
  return async (task) => {
    await acquire()
    const started = performance.now()
    try {
      return await task()
    } finally {
      release(performance.now() - started)
    }
  }
}

/** Hashes and verifies passwords, and equalises the time of a login for an unknown user. */
export interface PasswordHasher {
  /** The argon2id hash (PHC string) of `password`; rejects a password over {@link MAX_PASSWORD_LENGTH}. */
  hash(password: string): Promise<string>
  /**
   * `false` for a wrong password or a hash it cannot read; never throws on bad input. Rejects with
   * `ERR_SERVER_BUSY` when the queue is full (see {@link PasswordHashOptions.maxQueue}).
   */
  verify(passwordHash: string, password: string): Promise<boolean>
  /** Spends the time of one `verify`, for a user that does not exist. */
  verifyDummy(password: string): Promise<void>
}

/** Passwords longer than this are refused before hashing: argon2 time grows with input. */
export const MAX_PASSWORD_LENGTH = 1024

/**
 * Creates an argon2id hasher with OWASP's recommended parameters by default.
 *
 * @example
 * ```ts
 * import { createPasswordHasher } from 'jwtguard/users'
 * const hasher = createPasswordHasher()
 * const stored = await hasher.hash('abc123')
 * await hasher.verify(stored, 'abc123') // true
 * ```
 */
export function createPasswordHasher(options: PasswordHashOptions = {}): PasswordHasher {
  const parameters = {
    algorithm: ARGON2ID,
    memoryCost: options.memoryCost ?? 19456,
    timeCost: options.timeCost ?? 2,
    parallelism: options.parallelism ?? 1,
  }
  if (parameters.memoryCost < 8 * parameters.parallelism || parameters.timeCost < 1) {
    throw new RangeError('argon2 needs memoryCost >= 8 * parallelism KiB and timeCost >= 1')
  }
  const maxConcurrency = options.maxConcurrency ?? Math.max(1, availableParallelism() - 1)
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new RangeError('maxConcurrency must be a whole number of at least 1')
  }
  const maxQueue = options.maxQueue ?? 64
  if (maxQueue !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxQueue) || maxQueue < 0)) {
    throw new RangeError('maxQueue must be a whole number of at least 0, or Infinity')
  }
  const limit = limiter(maxConcurrency, maxQueue)
  const priority = options.threadPriority ?? 19
  if (priority !== false && (!Number.isInteger(priority) || priority < 0 || priority > 19)) {
    throw new RangeError('threadPriority must be a whole number from 0 to 19, or false')
  }
  // In libuv's pool, at the process's priority: a hash it cannot read is a wrong password.
  const pooled = {
    hash: argon2Hash,
    async verify(passwordHash: string, password: string) {
      try {
        return await argon2Verify(passwordHash, password)
      } catch {
        return false
      }
    },
  }
  const { hash, verify } =
    priority !== false && threadPriorityAvailable()
      ? createArgon2Threads(maxConcurrency, priority, pooled)
      : pooled
  let dummy: Promise<string> | undefined
  const verifyHash = async (passwordHash: string, password: string): Promise<boolean> => {
    if (password.length > MAX_PASSWORD_LENGTH) return false
    // A hash it cannot read is `false`; a full queue (ERR_SERVER_BUSY) is thrown, not a wrong password.
    return limit(() => verify(passwordHash, password))
  }
  return {
    async hash(password) {
      if (typeof password !== 'string' || password === '')
        throw new TypeError('password must be a non-empty string')
      if (password.length > MAX_PASSWORD_LENGTH) {
        throw new RangeError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`)
      }
      return limit(() => hash(password, parameters))
    },
    verify: verifyHash,
    async verifyDummy(password) {
      dummy ??= argon2Hash('jwtguard-dummy-password', parameters)
      await verifyHash(await dummy, password)
    },
  }
}
