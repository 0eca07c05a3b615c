/**
 * `jwtguard/stores/sqlite`: the embedded default token store, through better-sqlite3, in the same
 * database file as the users.
 *
 * @module jwtguard/stores/sqlite
 */
import type Database from 'better-sqlite3'
import { openSqliteDatabase } from '../users/sqlite.js'
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

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * A database file path, `:memory:`, or an open better-sqlite3 database (shared with the user
   * store, say; not closed by `close`).
   */
  database: string | Database.Database
  /**
   * Prefix of the five table names (`<prefix>revoked_tokens`, `<prefix>revoked_identities`,
   * `<prefix>refresh_tokens`, `<prefix>revoked_families`, `<prefix>claims`).
   * @default 'jwtguard_'
   */
  tablePrefix?: string | undefined
  /**
   * The clock, in seconds since the epoch, deciding what has expired. Give the guard's clock.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
  /**
   * Seconds between automatic `DELETE`s of expired rows; `0` turns it off.
   * @default 60
   */
  pruneInterval?: number | undefined
  /**
   * Seconds between checks for commits made by other connections to the same file (other
   * processes): when there are any, the view is reloaded, so their revocations reach this
   * process's hot path within this delay. Writes through this store reach its view at once.
   * `0` turns it off (one process owns the file).
   * @default 1
   */
  syncInterval?: number | undefined
}

interface RefreshRow {
  id: string
  family_id: string
  identity: string
  issued_at: number
  expires_at: number
  spent: number
  created_at: number | null
  user_agent: string | null
  client_address: string | null
}

/** The record a row holds: the session fields only when they were saved. */
function toRecord(row: RefreshRow): RefreshRecord {
  const record: RefreshRecord = {
    id: row.id,
    familyId: row.family_id,
    identity: row.identity,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
  }
  if (row.created_at !== null) record.createdAt = row.created_at
  if (row.user_agent !== null) record.userAgent = row.user_agent
  if (row.client_address !== null) record.clientAddress = row.client_address
  return record
}

/** Adds the session columns (and their index) to a refresh table made before sessions were listed. */
function migrateRefreshTable(db: Database.Database, table: string): void {
  const columns = new Set(
    db
      .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
      .all()
      .map((column) => column.name),
  )
  for (const [column, type] of [
    ['created_at', 'REAL'],
    ['user_agent', 'TEXT'],
    ['client_address', 'TEXT'],
  ]) {
    if (!columns.has(column as string)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`)
  }
  db.exec(`CREATE INDEX IF NOT EXISTS ${table}_identity ON ${table} (identity, expires_at)`)
}

/** Creates the tables (if needed) and prepares every statement the store runs. */
function prepareStatements(db: Database.Database, prefix: string) {
  const revokedTable = `${prefix}revoked_tokens`
  const identitiesTable = `${prefix}revoked_identities`
  const refreshTable = `${prefix}refresh_tokens`
  const familiesTable = `${prefix}revoked_families`
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${revokedTable} (
      jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${revokedTable}_expires ON ${revokedTable} (expires_at);
    CREATE TABLE IF NOT EXISTS ${identitiesTable} (
      identity TEXT PRIMARY KEY, cutoff REAL NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${refreshTable} (
      id TEXT PRIMARY KEY, family_id TEXT NOT NULL, identity TEXT NOT NULL, issued_at REAL NOT NULL,
      expires_at INTEGER NOT NULL, spent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${refreshTable}_expires ON ${refreshTable} (expires_at);
    CREATE TABLE IF NOT EXISTS ${familiesTable} (
      family_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;`)
  migrateRefreshTable(db, refreshTable)

  const live = (table: string, key: string) =>
    db.prepare<[string, number], { v: number }>(
      `SELECT 1 AS v FROM ${table} WHERE ${key} = ? AND expires_at > ?`,
    )
  const isRevoked = live(revokedTable, 'jti')
  const isFamilyRevoked = live(familiesTable, 'family_id')
  const cutoffOf = db.prepare<[string, number], { cutoff: number }>(
    `SELECT cutoff FROM ${identitiesTable} WHERE identity = ? AND expires_at > ?`,
  )
  const revoke = db.prepare<[string, number]>(
    `INSERT INTO ${revokedTable} (jti, expires_at) VALUES (?, ?)
     ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  )
  const revokeFamily = db.prepare<[string, number]>(
    `INSERT INTO ${familiesTable} (family_id, expires_at) VALUES (?, ?)
     ON CONFLICT (family_id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
  )
  const revokeAll = db.prepare<[string, number, number], { cutoff: number; expires_at: number }>(
    `INSERT INTO ${identitiesTable} (identity, cutoff, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (identity) DO UPDATE SET cutoff = max(cutoff, excluded.cutoff),
       expires_at = max(expires_at, excluded.expires_at)
     RETURNING cutoff, expires_at`,
  )
  // Replaces an expired record with the same id (not yet pruned), never a live one.
  const saveRefresh = db.prepare<
    [string, string, string, number, number, number | null, string | null, string | null, number]
  >(
    `INSERT INTO ${refreshTable} (id, family_id, identity, issued_at, expires_at, created_at, user_agent,
       client_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET family_id = excluded.family_id, identity = excluded.identity,
       issued_at = excluded.issued_at, expires_at = excluded.expires_at, spent = 0,
       created_at = excluded.created_at, user_agent = excluded.user_agent,
       client_address = excluded.client_address
     WHERE expires_at <= ?`,
  )
  const liveOfIdentity = db.prepare<[string, number], RefreshRow>(
    `SELECT * FROM ${refreshTable} WHERE identity = ? AND expires_at > ?`,
  )
  const refreshById = db.prepare<[string], RefreshRow>(`SELECT * FROM ${refreshTable} WHERE id = ?`)
  // `spent` holds the time it was spent (0: not yet; 1, from earlier versions: long ago).
  const spend = db.prepare<[number, string]>(`UPDATE ${refreshTable} SET spent = ? WHERE id = ?`)
  const prunes = [revokedTable, identitiesTable, refreshTable, familiesTable].map((table) =>
    db.prepare<[number]>(`DELETE FROM ${table} WHERE expires_at <= ?`),
  )
  const liveRevoked = db.prepare<[number], { jti: string; expires_at: number }>(
    `SELECT jti, expires_at FROM ${revokedTable} WHERE expires_at > ?`,
  )
  const liveFamilies = db.prepare<[number], { family_id: string; expires_at: number }>(
    `SELECT family_id, expires_at FROM ${familiesTable} WHERE expires_at > ?`,
  )
  const liveCutoffs = db.prepare<[number], { identity: string; cutoff: number; expires_at: number }>(
    `SELECT identity, cutoff, expires_at FROM ${identitiesTable} WHERE expires_at > ?`,
  )

  return {
    isRevoked,
    isFamilyRevoked,
    cutoffOf,
    revoke,
    revokeFamily,
    revokeAll,
    saveRefresh,
    refreshById,
    spend,
    prunes,
    liveRevoked,
    liveFamilies,
    liveCutoffs,
    liveOfIdentity,
  }
}

type Statements = ReturnType<typeof prepareStatements>

/** Spends a refresh token in one transaction: the family, the identity cut-off, then reuse. */
function consumeTransaction(db: Database.Database, statements: Statements) {
  const { refreshById, isFamilyRevoked, cutoffOf, spend } = statements
  return db.transaction((id: string, at: number, grace: number): ConsumeResult => {
    const row = refreshById.get(id)
    if (row === undefined || row.expires_at <= at) return { status: 'unknown' }
    const record = toRecord(row)
    if (isFamilyRevoked.get(record.familyId, at) !== undefined) return { status: 'family-revoked', record }
    const cutoff = cutoffOf.get(record.identity, at)
    if (cutoff !== undefined && record.issuedAt < cutoff.cutoff) return { status: 'identity-revoked', record }
    if (row.spent !== 0) {
      return { status: grace > 0 && at - row.spent <= grace ? 'concurrent' : 'reused', record }
    }
    spend.run(Math.max(at, 1), id)
    return { status: 'ok', record }
  })
}

/**
 * Creates (and migrates) the SQLite token store. `consumeRefresh` runs in an immediate
 * transaction, so it is atomic across every connection and process on the file. The view is an
 * in-memory mirror of the live revocations, loaded at open, updated on each write through this
 * store, and reloaded when another connection commits (see `syncInterval`).
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'jwtguard/stores/sqlite'
 * const store = createSqliteStore({ database: './data/jwtguard.db' })
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): TokenStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  const prefix = options.tablePrefix ?? 'jwtguard_'
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new TypeError('tablePrefix must be letters, digits and underscores, not starting with a digit')
  }
  const { database } = options
  if (typeof database !== 'string' && (typeof database !== 'object' || database === null)) {
    throw new TypeError('database must be a file path, ":memory:" or an open better-sqlite3 database')
  }
  const now = clockOption(options.now)
  const pruneEvery = intervalOption(options.pruneInterval, 'pruneInterval', 60)
  const syncEvery = intervalOption(options.syncInterval, 'syncInterval', 1)
  const owned = typeof database === 'string'
  const db = typeof database === 'string' ? openSqliteDatabase(database) : database
  const statements = prepareStatements(db, prefix)
  const { isRevoked, isFamilyRevoked, cutoffOf, revoke, revokeFamily, revokeAll, saveRefresh, prunes } =
    statements
  const { liveRevoked, liveFamilies, liveCutoffs, liveOfIdentity } = statements
  const consume = consumeTransaction(db, statements)
  const claims = prepareClaims(db, prefix)
  prunes.push(claims.prune)

  const mirror = new RevocationMirror(now)
  let dataVersion = -1
  function reload(): void {
    const version = db.pragma('data_version', { simple: true }) as number
    if (version === dataVersion) return
    dataVersion = version
    const at = now()
    mirror.clear()
    for (const row of liveRevoked.iterate(at)) mirror.addRevoked(row.jti, row.expires_at)
    for (const row of liveFamilies.iterate(at)) mirror.addFamily(row.family_id, row.expires_at)
    for (const row of liveCutoffs.iterate(at)) mirror.addCutoff(row.identity, row.cutoff, row.expires_at)
  }
  reload()
  const stopSync = every(syncEvery, () => {
    if (db.open) reload()
  })
  // The view is swept with the rows: reload() only rebuilds it after another connection's commit.
  const stopPrune = every(pruneEvery, () => {
    if (!db.open) return
    const at = now()
    mirror.sweep(at)
    for (const statement of prunes) statement.run(at)
  })
  let closed = false

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
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      revoke.run(checkId(jti, 'jti'), expiry)
      mirror.addRevoked(jti, expiry)
    },
    async isRevoked(jti) {
      return isRevoked.get(checkId(jti, 'jti'), now()) !== undefined
    },
    async revokeAllFor(identity, before, expiresAt) {
      checkId(identity, 'identity')
      const row = revokeAll.get(identity, checkTime(before, 'before'), checkExpiry(expiresAt, 'expiresAt'))
      if (row !== undefined) mirror.addCutoff(identity, row.cutoff, row.expires_at)
    },
    async revokedBefore(identity) {
      return cutoffOf.get(checkId(identity, 'identity'), now())?.cutoff ?? null
    },
    async saveRefresh(input) {
      const r = checkRecord(input)
      const session = [r.createdAt ?? null, r.userAgent ?? null, r.clientAddress ?? null] as const
      if (
        saveRefresh.run(r.id, r.familyId, r.identity, r.issuedAt, r.expiresAt, ...session, now()).changes ===
        0
      ) {
        throw new TypeError(`a refresh token with id "${r.id}" is already saved: ids must be unique`)
      }
    },
    async consumeRefresh(id, at, reuseInterval) {
      return consume.immediate(checkId(id, 'id'), checkTime(at, 'now'), checkInterval(reuseInterval))
    },
    async revokeFamily(familyId, expiresAt) {
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      revokeFamily.run(checkId(familyId, 'familyId'), expiry)
      mirror.addFamily(familyId, expiry)
    },
    async isFamilyRevoked(familyId) {
      return isFamilyRevoked.get(checkId(familyId, 'familyId'), now()) !== undefined
    },
    async sessions(identity, at) {
      checkId(identity, 'identity')
      checkTime(at, 'now')
      return groupSessions(liveOfIdentity.all(identity, at).map(toRecord), {
        cutoff: cutoffOf.get(identity, at)?.cutoff ?? null,
        isFamilyRevoked: (familyId) => isFamilyRevoked.get(familyId, at) !== undefined,
      })
    },
    async prune(at) {
      checkTime(at, 'now')
      mirror.sweep(at)
      return prunes.reduce((removed, statement) => removed + statement.run(at).changes, 0)
    },
    async close() {
      if (closed) return
      closed = true
      stopSync()
      stopPrune()
      if (owned) db.close()
    },
    async claimOnce(key, expiresAt) {
      const expiry = checkExpiry(expiresAt, 'expiresAt')
      return claims.claim.run(checkId(key, 'key'), expiry, now()).changes === 1
    },
  } satisfies TokenStore
}

/**
 * The table of `claimOnce` (`<prefix>claims`): one row per claimed key, taken by one statement
 * (an insert, or the replacement of an expired row), atomic across connections on the file.
 */
function prepareClaims(db: Database.Database, prefix: string) {
  const table = `${prefix}claims`
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${table}_expires ON ${table} (expires_at);`)
  return {
    claim: db.prepare<[string, number, number]>(
      `INSERT INTO ${table} (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?`,
    ),
    prune: db.prepare<[number]>(`DELETE FROM ${table} WHERE expires_at <= ?`),
  }
}
