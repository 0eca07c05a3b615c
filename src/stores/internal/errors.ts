/**
 * The error a store raises when its backend cannot be reached (internal).
 *
 * @module
 */
import { type ErrorCode, JwtGuardError } from '../../index.js'

/**
 * The code of "token store unavailable". `ERR_INTERNAL` (500) until the core gains a dedicated
 * code (e.g. `ERR_STORE_UNAVAILABLE`, 503): changing it here changes it for every store.
 */
export const STORE_UNAVAILABLE: ErrorCode = 'ERR_INTERNAL'

/** A coded, client-safe error; the backend's own error is kept as `cause` for the logs. */
export function storeUnavailable(cause?: unknown): JwtGuardError {
  return new JwtGuardError(STORE_UNAVAILABLE, 'Token store unavailable', { cause })
}
