/**
 * The error a store raises when its backend cannot be reached (internal).
 *
 * @module
 */
import { type ErrorCode, JwtGuardError } from '../../core/errors.js'

/** The code of "token store unavailable" (503 in `http.ts`). */
export const STORE_UNAVAILABLE: ErrorCode = 'ERR_STORE_UNAVAILABLE'

/** A coded, client-safe error; the backend's own error is kept as `cause` for the logs. */
export function storeUnavailable(cause?: unknown): JwtGuardError {
  return new JwtGuardError(STORE_UNAVAILABLE, 'Token store unavailable', { cause })
}

/**
 * Settles like `promise`, or rejects as unavailable after `ms`. A command already written to a
 * connection that went silent is never timed out by the driver; this bounds the caller's wait.
 */
export async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(storeUnavailable(new Error(`no reply within ${ms} ms`))), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
