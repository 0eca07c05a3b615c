/**
 * `jwtguard/users/sqlite`: users in SQLite through better-sqlite3, in the same database file as
 * the token store.
 *
 * @module jwtguard/users/sqlite
 */
import Database from 'better-sqlite3'
import type { NewUser, UserRecord, UserStore } from './types.js'

/** Options of {@link createSqliteUserStore}. */
export interface SqliteUserStoreOptions {
  /** A database file path, `:memory:`, or an open better-sqlite3 database (not closed by `close`). */
  database: string | Database.Database
  /**
   * Name of the users table.
   * @default 'jwtguard_users'
   */
  table?: string | undefined
}

interface UserRow {
  id: number
  username: string
  password_hash: string
  roles: string
  disabled: number
}

function toRecord(row: UserRow | undefined): UserRecord | null {
  if (row === undefined) return null
  const roles: unknown = JSON.parse(row.roles)
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
    disabled: row.disabled !== 0,
  }
}

/** Creates the users table, and adds the columns later versions need to a table made by an earlier one. */
function migrate(db: Database.Database, table: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
  )`)
  const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all()
  if (!columns.some((column) => column.name === 'disabled')) {
    db.exec(`ALTER TABLE ${table} ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0`)
  }
}

/**
 * Opens a database file with the settings every jwtguard SQLite table expects.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'jwtguard/stores/sqlite'
 * import { createSqliteUserStore, openSqliteDatabase } from 'jwtguard/users/sqlite'
 * const database = openSqliteDatabase('./data/jwtguard.db') // one connection for users and tokens
 * const users = createSqliteUserStore({ database })
 * const store = createSqliteStore({ database })
 * ```
 */
export function openSqliteDatabase(filename: string): Database.Database {
  const db = new Database(filename)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  return db
}

/**
 * Creates (and migrates) the SQLite user store.
 *
 * @example
 * ```ts
 * import { createSqliteUserStore } from 'jwtguard/users/sqlite'
 * const users = createSqliteUserStore({ database: './data/jwtguard.db' })
 * ```
 */
export function createSqliteUserStore(options: SqliteUserStoreOptions): UserStore {
  const table = options.table ?? 'jwtguard_users'
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError('table must be a plain SQL identifier')
  const owned = typeof options.database === 'string'
  const db = typeof options.database === 'string' ? openSqliteDatabase(options.database) : options.database
  migrate(db, table)
  const byUsername = db.prepare<[string], UserRow>(`SELECT * FROM ${table} WHERE username = ?`)
  const byId = db.prepare<[number], UserRow>(`SELECT * FROM ${table} WHERE id = ?`)
  const insert = db.prepare<[number | null, string, string, string, number, number], UserRow>(
    `INSERT INTO ${table} (id, username, password_hash, roles, created_at, disabled) VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  )
  const updateHash = db.prepare<[string, string]>(`UPDATE ${table} SET password_hash = ? WHERE username = ?`)
  const updateRoles = db.prepare<[string, string]>(`UPDATE ${table} SET roles = ? WHERE username = ?`)
  const updateDisabled = db.prepare<[number, string]>(`UPDATE ${table} SET disabled = ? WHERE username = ?`)
  const deleteUser = db.prepare<[string]>(`DELETE FROM ${table} WHERE username = ?`)
  const all = db.prepare<[], UserRow>(`SELECT * FROM ${table} ORDER BY id`)

  return {
    async findByUsername(username) {
      return toRecord(byUsername.get(username))
    },
    async findById(id) {
      return toRecord(byId.get(id))
    },
    async create(user: NewUser) {
      try {
        const row = insert.get(
          user.id ?? null,
          user.username,
          user.passwordHash,
          JSON.stringify(user.roles ?? []),
          Math.floor(Date.now() / 1000),
          user.disabled === true ? 1 : 0,
        )
        return toRecord(row) as UserRecord
      } catch (error) {
        if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
          throw new TypeError(
            `a user with username "${user.username}" or id ${user.id ?? '?'} already exists`,
            {
              cause: error,
            },
          )
        }
        throw error
      }
    },
    async setPasswordHash(username, passwordHash) {
      return updateHash.run(passwordHash, username).changes > 0
    },
    async setRoles(username, roles) {
      return updateRoles.run(JSON.stringify(roles), username).changes > 0
    },
    async setDisabled(username, disabled) {
      return updateDisabled.run(disabled === true ? 1 : 0, username).changes > 0
    },
    async remove(username) {
      return deleteUser.run(username).changes > 0
    },
    async list() {
      return all.all().map((row) => toRecord(row) as UserRecord)
    },
    async close() {
      if (owned) db.close()
    },
  } satisfies UserStore
}
