/**
 * The replay cache of DPoP proofs (RFC 9449 §11.1): a proof id (`jti`, per key) seen within the
 * proof window is refused. Shared by every instance through the token store when it has
 * `claimOnce`; otherwise kept in this process, bounded.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { TokenStore } from '../../stores/types.js'

/** Claims `key` until `expiresAt` (seconds): `true` the first time, `false` for a replay. */
export type ReplayCheck = (key: string, expiresAt: number) => boolean | Promise<boolean>

/** The cache key of a proof: its key's thumbprint and its `jti`, hashed to a fixed length. */
export function proofKey(jkt: string, jti: string): string {
  return `dpop:${createHash('sha256').update(`${jkt}.${jti}`, 'utf8').digest('base64url')}`
}

/**
 * The replay check of a guard: through `store.claimOnce` when the store has it, else an in-memory
 * cache of at most `maxEntries` live proofs (the oldest forgotten first past it).
 */
export function createReplayCheck(
  store: TokenStore | undefined,
  maxEntries: number,
  now: () => number,
): ReplayCheck {
  const claimOnce = store?.claimOnce
  if (claimOnce !== undefined) return (key, expiresAt) => claimOnce.call(store, key, expiresAt)
  return memoryReplayCheck(maxEntries, now)
}

/** The in-process cache: a Map in insertion order, which is expiry order (one window for all). */
export function memoryReplayCheck(maxEntries: number, now: () => number): ReplayCheck {
  const seen = new Map<string, number>()
  return (key, expiresAt) => {
    const at = now()
    const known = seen.get(key)
    if (known !== undefined && known > at) return false
    if (known !== undefined) seen.delete(key)
    if (seen.size >= maxEntries) {
      for (const [oldest, expiry] of seen) {
        if (expiry > at && seen.size < maxEntries) break
        seen.delete(oldest)
      }
    }
    seen.set(key, expiresAt)
    return true
  }
}
