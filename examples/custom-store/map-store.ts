/**
 * A token store written outside jwtguard, as a third party writes one: five Maps in process
 * memory, and nothing of jwtguard but its public types. It passes the token-store conformance
 * suite of `jwtguard/testing` (conformance.test.ts, next to it); a DynamoDB or a MongoDB store
 * proves itself the same way.
 */
import type {
  ConsumeResult,
  RefreshRecord,
  RevocationView,
  SessionRecord,
  TokenStore,
} from 'jwtguard/stores/memory'

/** Options of {@link createMapStore}. */
export interface MapStoreOptions {
  /**
   * The clock, in seconds since the epoch, deciding what has expired. Give the guard's clock.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
}

interface Saved {
  record: RefreshRecord
  /** When the token was spent, `undefined` while it is not. */
  spentAt: number | undefined
}

// Programming errors are TypeErrors (never jwtguard's coded errors, which mean "refuse the request").
function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`)
  return value
}

function time(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`${name} must be a finite number`)
  return value
}

/** An optional session text, at most 256 characters. */
function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > 256) throw new TypeError(`${name}: at most 256 characters`)
  return value
}

function checkRecord(record: RefreshRecord): RefreshRecord {
  const checked: RefreshRecord = {
    id: text(record?.id, 'record.id'),
    familyId: text(record.familyId, 'record.familyId'),
    identity: text(record.identity, 'record.identity'),
    issuedAt: time(record.issuedAt, 'record.issuedAt'),
    // Whole seconds, rounded up: the lifetime a store keeps is never shorter than the token's.
    expiresAt: Math.ceil(time(record.expiresAt, 'record.expiresAt')),
  }
  // The session's details, kept only when given: a record comes back as it was saved.
  if (record.createdAt !== undefined) checked.createdAt = time(record.createdAt, 'record.createdAt')
  const userAgent = optionalText(record.userAgent, 'record.userAgent')
  if (userAgent !== undefined) checked.userAgent = userAgent
  const clientAddress = optionalText(record.clientAddress, 'record.clientAddress')
  if (clientAddress !== undefined) checked.clientAddress = clientAddress
  return checked
}

/** The larger of `next` and the entry already in `map` under `key`. */
function keepLater(map: Map<string, number>, key: string, next: number): void {
  map.set(key, Math.max(next, map.get(key) ?? Number.NEGATIVE_INFINITY))
}

/** A token store on Maps: for one process, lost on restart, like jwtguard's own memory store. */
export function createMapStore(options: MapStoreOptions = {}): TokenStore {
  const now = options.now ?? (() => Date.now() / 1000)
  if (typeof now !== 'function') throw new TypeError('now must be a function')
  const revoked = new Map<string, number>() // jti -> expiresAt
  const families = new Map<string, number>() // familyId -> expiresAt
  const cutOffs = new Map<string, { before: number; expiresAt: number }>() // identity -> cut-off
  const refresh = new Map<string, Saved>()
  const claims = new Map<string, number>() // claimOnce (the DPoP replay cache): key -> expiresAt
  const live = (expiresAt: number | undefined): boolean => expiresAt !== undefined && expiresAt > now()

  const view: RevocationView = {
    available: true,
    get size() {
      return revoked.size + families.size + cutOffs.size
    },
    isRevoked: (jti) => live(revoked.get(jti)),
    isFamilyRevoked: (familyId) => live(families.get(familyId)),
    revokedBefore(identity) {
      const cut = cutOffs.get(identity)
      return cut !== undefined && live(cut.expiresAt) ? cut.before : null
    },
  }

  function consume(id: string, at: number, reuseInterval: number): ConsumeResult {
    const saved = refresh.get(id)
    if (saved === undefined || saved.record.expiresAt <= at) return { status: 'unknown' }
    const record = { ...saved.record }
    if (view.isFamilyRevoked(record.familyId)) return { status: 'family-revoked', record }
    const cut = view.revokedBefore(record.identity)
    if (cut !== null && record.issuedAt < cut) return { status: 'identity-revoked', record }
    if (saved.spentAt === undefined) {
      saved.spentAt = at
      return { status: 'ok', record }
    }
    // A second use within the interval is a client's concurrent refresh, after it a replay.
    return reuseInterval > 0 && at - saved.spentAt <= reuseInterval
      ? { status: 'concurrent', record }
      : { status: 'reused', record }
  }

  /** The identity's live families, each described by its newest token, newest use first. */
  function sessions(identity: string, at: number): SessionRecord[] {
    const cut = cutOffs.get(identity)
    const cutOff = cut !== undefined && cut.expiresAt > at ? cut.before : Number.NEGATIVE_INFINITY
    const newest = new Map<string, RefreshRecord>()
    for (const { record } of refresh.values()) {
      if (record.identity !== identity || record.expiresAt <= at) continue
      const current = newest.get(record.familyId)
      if (current === undefined || record.issuedAt >= current.issuedAt) newest.set(record.familyId, record)
    }
    return [...newest.values()]
      .filter((record) => record.issuedAt >= cutOff && !((families.get(record.familyId) ?? 0) > at))
      .map((record) => ({
        id: record.familyId,
        identity,
        createdAt: record.createdAt ?? record.issuedAt,
        lastUsedAt: record.issuedAt,
        expiresAt: record.expiresAt,
        userAgent: record.userAgent ?? null,
        clientAddress: record.clientAddress ?? null,
      }))
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt || (a.id < b.id ? -1 : 1))
  }

  function prune(at: number): number {
    let removed = 0
    for (const map of [revoked, families, claims]) {
      for (const [key, expiresAt] of map) if (expiresAt <= at && map.delete(key)) removed += 1
    }
    for (const [key, cut] of cutOffs) if (cut.expiresAt <= at && cutOffs.delete(key)) removed += 1
    for (const [key, saved] of refresh) if (saved.record.expiresAt <= at && refresh.delete(key)) removed += 1
    return removed
  }

  // Each method is async: a bad argument rejects, as it would with a database behind it.
  return {
    view,
    async revoke(jti, expiresAt) {
      keepLater(revoked, text(jti, 'jti'), time(expiresAt, 'expiresAt'))
    },
    isRevoked: async (jti) => view.isRevoked(text(jti, 'jti')),
    async revokeAllFor(identity, before, expiresAt) {
      text(identity, 'identity')
      const previous = cutOffs.get(identity)
      cutOffs.set(identity, {
        before: Math.max(time(before, 'before'), previous?.before ?? Number.NEGATIVE_INFINITY),
        expiresAt: Math.max(time(expiresAt, 'expiresAt'), previous?.expiresAt ?? Number.NEGATIVE_INFINITY),
      })
    },
    revokedBefore: async (identity) => view.revokedBefore(text(identity, 'identity')),
    async saveRefresh(record) {
      const checked = checkRecord(record)
      if (refresh.has(checked.id)) throw new TypeError('a refresh token id is saved once')
      refresh.set(checked.id, { record: checked, spentAt: undefined })
    },
    async consumeRefresh(id, at, reuseInterval = 0) {
      time(reuseInterval, 'reuseInterval')
      if (reuseInterval < 0) throw new TypeError('reuseInterval must not be negative')
      return consume(text(id, 'id'), time(at, 'now'), reuseInterval)
    },
    async revokeFamily(familyId, expiresAt) {
      keepLater(families, text(familyId, 'familyId'), time(expiresAt, 'expiresAt'))
    },
    isFamilyRevoked: async (familyId) => view.isFamilyRevoked(text(familyId, 'familyId')),
    sessions: async (identity, at) => sessions(text(identity, 'identity'), time(at, 'now')),
    prune: async (at) => prune(time(at, 'now')),
    async close() {},
    // Optional: without it, a guard keeps DPoP proof ids in each process.
    async claimOnce(key, expiresAt) {
      const expiry = Math.ceil(time(expiresAt, 'expiresAt'))
      if (live(claims.get(text(key, 'key')))) return false
      claims.set(key, expiry)
      return true
    },
  } satisfies TokenStore
}
