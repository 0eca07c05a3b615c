/**
 * `jwtguard/stores/memory`: the token store in process memory. For tests, development and a
 * single process; everything is lost on restart.
 *
 * @module jwtguard/stores/memory
 */
import { RevocationMirror } from './internal/mirror.js'
import { groupSessions } from './internal/sessions.js'
import {
  checkExpiry,
  checkId,
  checkInterval,
  checkRecord,
  checkTime,
  clockOption,
  every,
  intervalOption,
} from './internal/validate.js'
import type { ConsumeResult, RefreshRecord, TokenStore } from './types.js'

export type {
  ConsumeResult,
  RefreshRecord,
  RevocationView,
  SessionRecord,
  TokenStore,
} from './types.js'

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock, in seconds since the epoch, deciding what has expired. Give the guard's clock.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
  /**
   * Seconds between automatic prunes (entries also expire lazily when read); `0` turns it off.
   * @default 60
   */
  pruneInterval?: number | undefined
}

interface StoredRefresh {
  record: RefreshRecord
  /** When the token was spent (seconds), `undefined` while it is not. */
  spentAt: number | undefined
}

/**
 * Creates a token store held in memory. Its view answers from the same maps, so revocations are
 * visible to the hot path at once.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'jwtguard/stores/memory'
 * const store = createMemoryStore()
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): TokenStore {
  const now = clockOption(options.now)
  const mirror = new RevocationMirror(now)
  const refresh = new Map<string, StoredRefresh>()
  const familyRevoked = (familyId: string, at: number): boolean => mirror.isFamilyRevoked(familyId, at)
  const claims = createMemoryClaims(now)

  function prune(at: number): number {
    let removed = mirror.sweep(at) + claims.sweep(at)
    for (const [id, stored] of refresh) {
      if (stored.record.expiresAt <= at) {
        refresh.delete(id)
        removed++
      }
    }
    return removed
  }
  const stop = every(intervalOption(options.pruneInterval, 'pruneInterval', 60), () => prune(now()))

  return {
    view: {
      available: true,
      get size() {
        return mirror.size
      },
      isRevoked: (jti) => mirror.isRevoked(jti),
      isFamilyRevoked: (familyId) => mirror.isFamilyRevoked(familyId),
      revokedBefore: (identity) => mirror.revokedBefore(identity),
    },
    async revoke(jti, expiresAt) {
      mirror.addRevoked(checkId(jti, 'jti'), checkExpiry(expiresAt, 'expiresAt'))
    },
    async isRevoked(jti) {
      return mirror.isRevoked(checkId(jti, 'jti'))
    },
    async revokeAllFor(identity, before, expiresAt) {
      mirror.addCutoff(
        checkId(identity, 'identity'),
        checkTime(before, 'before'),
        checkExpiry(expiresAt, 'expiresAt'),
      )
    },
    async revokedBefore(identity) {
      return mirror.revokedBefore(checkId(identity, 'identity'))
    },
    async saveRefresh(input) {
      const record = checkRecord(input)
      const existing = refresh.get(record.id)
      if (existing !== undefined && existing.record.expiresAt > now()) {
        throw new TypeError(`a refresh token with id "${record.id}" is already saved: ids must be unique`)
      }
      refresh.set(record.id, { record, spentAt: undefined })
    },
    async consumeRefresh(id, at, reuseInterval): Promise<ConsumeResult> {
      checkId(id, 'id')
      checkTime(at, 'now')
      const grace = checkInterval(reuseInterval)
      // Synchronous from here on: no other call can interleave, which makes it atomic.
      const stored = refresh.get(id)
      if (stored === undefined || stored.record.expiresAt <= at) return { status: 'unknown' }
      const record = { ...stored.record }
      if (familyRevoked(record.familyId, at)) return { status: 'family-revoked', record }
      const cutoff = mirror.revokedBefore(record.identity, at)
      if (cutoff !== null && record.issuedAt < cutoff) return { status: 'identity-revoked', record }
      if (stored.spentAt !== undefined) {
        return { status: grace > 0 && at - stored.spentAt <= grace ? 'concurrent' : 'reused', record }
      }
      stored.spentAt = at
      return { status: 'ok', record }
    },
    async revokeFamily(familyId, expiresAt) {
      mirror.addFamily(checkId(familyId, 'familyId'), checkExpiry(expiresAt, 'expiresAt'))
    },
    async isFamilyRevoked(familyId) {
      return familyRevoked(checkId(familyId, 'familyId'), now())
    },
    async sessions(identity, at) {
      checkId(identity, 'identity')
      checkTime(at, 'now')
      const records = [...refresh.values()]
        .map((stored) => stored.record)
        .filter((record) => record.identity === identity && record.expiresAt > at)
      return groupSessions(records, {
        cutoff: mirror.revokedBefore(identity, at),
        isFamilyRevoked: (familyId) => familyRevoked(familyId, at),
      })
    },
    async prune(at) {
      return prune(checkTime(at, 'now'))
    },
    async close() {
      stop()
    },
    claimOnce: claims.claimOnce,
  } satisfies TokenStore
}

/** `claimOnce` in memory: a map of keys to their expiry, swept with the rest. */
function createMemoryClaims(now: () => number) {
  const claimed = new Map<string, number>()
  return {
    async claimOnce(key: string, expiresAt: number): Promise<boolean> {
      checkId(key, 'key')
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      const held = claimed.get(key)
      if (held !== undefined && held > now()) return false
      claimed.set(key, expiry)
      return true
    },
    sweep(at: number): number {
      let removed = 0
      for (const [key, expiry] of claimed) {
        if (expiry <= at) {
          claimed.delete(key)
          removed++
        }
      }
      return removed
    },
  }
}
