/**
 * The throttling seams (login, refresh) and the client address they count by. The limiter itself lives
 * outside the core (`jwtguard/throttle`, on rate-limiter-flexible); the core only calls it.
 *
 * @module
 */
import { type HeaderSource, readHeader } from './extract.js'

/** One login attempt, as the limiter counts it. */
export interface LoginAttempt {
  /** The username sent to `POST /auth`, as sent. */
  username: string
  /** The client's address, from {@link clientAddress}. */
  clientAddress: string
}

/** Counts failed logins and refuses attempts over a limit. */
export interface LoginLimiter {
  /** Rejects with a `JwtGuardError` `ERR_TOO_MANY_REQUESTS` (with `retryAfter`) when over a limit. */
  check(attempt: LoginAttempt): Promise<void>
  /** Called after `authenticate` refused the attempt that `check` let through. */
  recordFailure(attempt: LoginAttempt): Promise<void>
  /** Called after `authenticate` accepted the attempt that `check` let through. */
  recordSuccess(attempt: LoginAttempt): Promise<void>
  /**
   * Called when `authenticate` threw (its user store is unreachable, say) for an attempt that
   * `check` let through: neither a success nor a failure, so a limiter that counts up front takes
   * the attempt back without resetting anything.
   */
  recordAborted?(attempt: LoginAttempt): Promise<void>
}

/** One `POST /auth/refresh` with a verified refresh token, as the refresh limiter counts it. */
export interface RefreshAttempt {
  /** The session: the refresh token's family id. */
  familyId: string
  /** The client's address, from {@link clientAddress}. */
  clientAddress: string
}

/** Limits refreshes per session and per client. */
export interface RefreshLimiter {
  /**
   * Called before the refresh token is spent; rejects with a `JwtGuardError`
   * `ERR_TOO_MANY_REQUESTS` (with `retryAfter`) when over a limit, and the token stays unspent.
   */
  check(attempt: RefreshAttempt): Promise<void>
}

/**
 * The client's address: the socket's, or with `trustedProxies` > 0 the address that many hops from
 * the right of `X-Forwarded-For` (the entries further left are the client's to forge).
 *
 * @example
 * ```ts
 * import { clientAddress } from 'jwtguard/adapter'
 * clientAddress({ 'x-forwarded-for': '203.0.113.7' }, '10.0.0.1', 0) // '10.0.0.1': no proxy trusted
 * clientAddress({ 'x-forwarded-for': '203.0.113.7, 198.51.100.2' }, '10.0.0.1', 1) // '198.51.100.2'
 * ```
 */
export function clientAddress(
  headers: HeaderSource | undefined,
  remoteAddress: string | undefined,
  trustedProxies: number,
): string {
  if (trustedProxies > 0 && headers !== undefined) {
    const forwarded = readHeader(headers, 'x-forwarded-for')
    if (forwarded !== undefined) {
      const hops = forwarded
        .split(',')
        .map((hop) => hop.trim())
        .filter((hop) => hop !== '')
      const client = hops[Math.max(0, hops.length - trustedProxies)]
      if (client !== undefined) return client
    }
  }
  return remoteAddress ?? 'unknown'
}
