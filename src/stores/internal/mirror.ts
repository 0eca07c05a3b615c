/**
 * The in-process revocation state every store's `RevocationView` reads (internal): revoked
 * ids and per-identity cut-offs, each with its expiry, merged by keeping the larger value.
 *
 * @module
 */

/** A "log out everywhere" cut-off. */
export interface Cutoff {
  before: number
  expiresAt: number
}

/**
 * Revoked ids, revoked families and cut-offs, expiring lazily on read and in bulk on
 * {@link RevocationMirror.sweep}.
 */
export class RevocationMirror {
  readonly #revoked = new Map<string, number>()
  readonly #families = new Map<string, number>()
  readonly #cutoffs = new Map<string, Cutoff>()
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
  }

  /** Adds (or extends) a revoked id. */
  addRevoked(jti: string, expiresAt: number): void {
    const current = this.#revoked.get(jti)
    if (current === undefined || current < expiresAt) this.#revoked.set(jti, expiresAt)
  }

  /** Adds (or extends) a revoked refresh-token family. */
  addFamily(familyId: string, expiresAt: number): void {
    const current = this.#families.get(familyId)
    if (current === undefined || current < expiresAt) this.#families.set(familyId, expiresAt)
  }

  /** Adds (or raises) an identity's cut-off; returns the merged value. */
  addCutoff(identity: string, before: number, expiresAt: number): Cutoff {
    const current = this.#cutoffs.get(identity)
    const merged =
      current === undefined
        ? { before, expiresAt }
        : { before: Math.max(before, current.before), expiresAt: Math.max(expiresAt, current.expiresAt) }
    this.#cutoffs.set(identity, merged)
    return merged
  }

  /** How many entries are held, expired ones not yet swept included. */
  get size(): number {
    return this.#revoked.size + this.#families.size + this.#cutoffs.size
  }

  // The clock is read only for an entry found: most checks on the hot path find none.
  isRevoked(jti: string, at?: number): boolean {
    const expiresAt = this.#revoked.get(jti)
    if (expiresAt === undefined) return false
    if (expiresAt > (at ?? this.#now())) return true
    this.#revoked.delete(jti)
    return false
  }

  isFamilyRevoked(familyId: string, at?: number): boolean {
    const expiresAt = this.#families.get(familyId)
    if (expiresAt === undefined) return false
    if (expiresAt > (at ?? this.#now())) return true
    this.#families.delete(familyId)
    return false
  }

  revokedBefore(identity: string, at?: number): number | null {
    const cutoff = this.#cutoffs.get(identity)
    if (cutoff === undefined) return null
    if (cutoff.expiresAt > (at ?? this.#now())) return cutoff.before
    this.#cutoffs.delete(identity)
    return null
  }

  /** Drops every entry expired at `now`; returns how many. */
  sweep(now: number): number {
    let removed = 0
    for (const entries of [this.#revoked, this.#families]) {
      for (const [id, expiresAt] of entries) {
        if (expiresAt <= now) {
          entries.delete(id)
          removed++
        }
      }
    }
    for (const [identity, cutoff] of this.#cutoffs) {
      if (cutoff.expiresAt <= now) {
        this.#cutoffs.delete(identity)
        removed++
      }
    }
    return removed
  }

  clear(): void {
    this.#revoked.clear()
    this.#families.clear()
    this.#cutoffs.clear()
  }
}
