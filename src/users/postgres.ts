/**
 * `jwtguard/users/postgres`: users in PostgreSQL through `pg`, for several server instances
 * sharing one user table.
 *
 * @module jwtguard/users/postgres
 */
import { DatabaseError, Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg'
import { remainingDeadline } from '../core/deadline.js'
import { JwtGuardError } from '../core/errors.js'
import type { NewUser, UserRecord, UserStore } from './types.js'

/** Options of {@link createPostgresUserStore}. Give `pool` or `connectionString`, not both. */
export interface PostgresUserStoreOptions {
  /** A `pg` pool to run on. The store never ends it: `close` leaves it to its owner. */
  pool?: Pool | undefined
  /** A `postgres://` URL: the store opens its own pool and ends it on `close`. */
  connectionString?: string | undefined
  /**
   * Name of the users table: a plain identifier, at most 63 characters, used as written (quoted).
   * @default 'jwtguard_users'
   */
  table?: string | undefined
  /**
   * Seconds to wait for a new connection (a pool of the store's own only) before the call fails
   * as unavailable: a hung database must not hang start-up or requests.
   * @default 2
   */
  connectTimeout?: number | undefined
  /**
   * Seconds a query may take before it fails as unavailable (`ERR_STORE_UNAVAILABLE`, a 503).
   * Inside a token route it gets at most what is left of the request's one deadline.
   * @default 2
   */
  queryTimeout?: number | undefined
}

interface UserRow {
  // BIGINT arrives as a string from `pg`; ids stay within Number.MAX_SAFE_INTEGER (checked on write).
  id: string
  username: string
  password_hash: string
  roles: string[]
  disabled: boolean
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const UNIQUE_VIOLATION = '23505'
/**
 * SQLSTATE classes of a database that cannot serve now: connection exception, insufficient
 * resources, operator intervention (shutting down, starting up), system error.
 */
const OUTAGE_CLASSES = new Set(['08', '53', '57', '58'])

/** A coded 503 for an outage (network, timeout, shutdown); other errors are returned as they are. */
function asOutage(error: unknown): unknown {
  if (error instanceof JwtGuardError) return error
  if (error instanceof DatabaseError && !OUTAGE_CLASSES.has(String(error.code).slice(0, 2))) return error
  return new JwtGuardError('ERR_STORE_UNAVAILABLE', 'User store unavailable', { cause: error })
}

/** At creation, the driver's own error (it says what failed: refused, timed out, auth). */
function driverError(error: unknown): unknown {
  return error instanceof JwtGuardError && error.cause !== undefined ? error.cause : error
}

function seconds(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0) || value > 600) {
    throw new RangeError(`${option} must be a number of seconds above 0 and at most 600, such as ${fallback}`)
  }
  return value
}

type Queryable = Pick<PoolClient, 'query'>

/** One query within `timeoutMs`, or what is left of the request's deadline; outages become 503s. */
async function run<R extends QueryResultRow>(
  on: Queryable,
  timeoutMs: number,
  text: string,
  values: unknown[] = [],
) {
  const ms = remainingDeadline(timeoutMs)
  if (ms === 0) throw asOutage(new Error('the request deadline has passed'))
  try {
    // `query_timeout` per query is read by pg's client (its types leave it out of QueryConfig).
    const config: QueryConfig = Object.assign({ text, values }, { query_timeout: ms })
    return await on.query<R>(config)
  } catch (error) {
    throw asOutage(error)
  }
}

function toRecord(row: UserRow | undefined): UserRecord | null {
  if (row === undefined) return null
  return {
    id: Number(row.id),
    username: row.username,
    passwordHash: row.password_hash,
    roles: [...row.roles],
    disabled: row.disabled === true,
  }
}

function checkOptions(options: PostgresUserStoreOptions): string {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new TypeError('give either pool (a pg Pool) or connectionString (postgres://...), not both')
  }
  if (options.pool !== undefined && typeof options.pool.connect !== 'function') {
    throw new TypeError('pool must be a Pool from the pg package')
  }
  if (
    options.connectionString !== undefined &&
    (typeof options.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(options.connectionString))
  ) {
    throw new TypeError('connectionString must be a URL such as postgres://user@127.0.0.1:5432/db')
  }
  const table = options.table ?? 'jwtguard_users'
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new TypeError(
      'table must be a plain SQL identifier of at most 63 characters, such as jwtguard_users',
    )
  }
  return table
}

function checkNewUser(user: NewUser): void {
  if (typeof user !== 'object' || user === null) throw new TypeError('user is required')
  if (typeof user.username !== 'string' || user.username === '') {
    throw new TypeError('username must be a non-empty string')
  }
  if (typeof user.passwordHash !== 'string' || user.passwordHash === '') {
    throw new TypeError('passwordHash must be a non-empty string')
  }
  if (user.id !== undefined && (!Number.isSafeInteger(user.id) || user.id < 1)) {
    throw new RangeError('id must be a positive integer no larger than Number.MAX_SAFE_INTEGER')
  }
  if (user.roles !== undefined && !user.roles.every((role) => typeof role === 'string')) {
    throw new TypeError('roles must be an array of strings')
  }
}

async function inTransaction<T>(
  pool: Pool,
  timeoutMs: number,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  let client: PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw asOutage(error)
  }
  let failed: unknown
  try {
    await run(client, timeoutMs, 'BEGIN')
    const result = await work(client)
    await run(client, timeoutMs, 'COMMIT')
    return result
  } catch (error) {
    failed = error
    await run(client, timeoutMs, 'ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    // A connection whose query timed out is in an unknown state: the pool drops it.
    client.release(failed instanceof JwtGuardError ? failed : undefined)
  }
}

/**
 * Creates the table if needed (serialised across instances starting at once) and returns the name
 * of its id sequence. Rejects with the driver's error, or a `TypeError` for a foreign table.
 */
async function migrate(pool: Pool, queryMs: number, tableName: string): Promise<string> {
  const table = `"${tableName}"`
  try {
    // Serialise concurrent migrations (several instances starting at once): CREATE TABLE IF NOT
    // EXISTS alone can still collide on the catalog.
    await inTransaction(pool, queryMs, async (client) => {
      await run(client, queryMs, 'SELECT pg_advisory_xact_lock(hashtext($1))', [
        `jwtguard:migrate:${tableName}`,
      ])
      await run(
        client,
        queryMs,
        `CREATE TABLE IF NOT EXISTS ${table} (
        id BIGINT PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        roles TEXT[] NOT NULL DEFAULT '{}',
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        disabled BOOLEAN NOT NULL DEFAULT false
      )`,
      )
      // A table made by an earlier version gets the columns added since.
      await run(
        client,
        queryMs,
        `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS disabled BOOLEAN NOT NULL DEFAULT false`,
      )
    })
  } catch (error) {
    throw driverError(error)
  }
  let sequenceResult: { rows: { sequence: string | null }[] }
  try {
    sequenceResult = await run<{ sequence: string | null }>(
      pool,
      queryMs,
      'SELECT pg_get_serial_sequence($1, $2) AS sequence',
      [table, 'id'],
    )
  } catch (error) {
    throw driverError(error)
  }
  const sequence = sequenceResult.rows[0]?.sequence
  if (sequence === undefined || sequence === null) {
    throw new TypeError(
      `table ${tableName} exists but its id is not an identity column: use another table name`,
    )
  }
  return sequence
}

/**
 * Creates the PostgreSQL user store, creating its table if needed. Resolves once the table exists,
 * so an unreachable database fails at start-up, not at the first login.
 *
 * Ids are a `BIGINT` identity column: omitted ids come from its sequence, and a user created with
 * an explicit id (an import, the seed's user 123) moves the sequence past it, never back, so an id
 * is never handed out twice, not even after its user was removed.
 *
 * @example
 * ```ts
 * import { createPostgresUserStore } from 'jwtguard/users/postgres'
 * const users = await createPostgresUserStore({ connectionString: process.env.DATABASE_URL })
 * ```
 *
 * @throws {TypeError} for invalid options; rejects with `pg`'s error when the database is unreachable.
 */
export async function createPostgresUserStore(options: PostgresUserStoreOptions): Promise<UserStore> {
  const tableName = checkOptions(options)
  const connectMs = seconds(options.connectTimeout, 'connectTimeout', 2) * 1000
  const queryMs = seconds(options.queryTimeout, 'queryTimeout', 2) * 1000
  const owned = options.pool === undefined
  const pool =
    options.pool ??
    new Pool({ connectionString: options.connectionString, connectionTimeoutMillis: connectMs })
  const query = <R extends QueryResultRow>(text: string, values?: unknown[]) =>
    run<R>(pool, queryMs, text, values)
  if (owned) {
    // An idle connection that drops emits 'error' on the pool, which would otherwise crash the
    // process; the next query reconnects or rejects on its own.
    pool.on('error', () => undefined)
  }
  const table = `"${tableName}"`
  const sequence = await migrate(pool, queryMs, tableName).catch(async (error: unknown) => {
    if (owned) await pool.end().catch(() => undefined)
    throw error
  })
  const columns = 'id, username, password_hash, roles, disabled'

  function conflict(user: NewUser, error: unknown): never {
    if (error instanceof DatabaseError && error.code === UNIQUE_VIOLATION) {
      throw new TypeError(`a user with username "${user.username}" or id ${user.id ?? '?'} already exists`, {
        cause: error,
      })
    }
    throw error
  }

  return {
    async findByUsername(username) {
      const result = await query<UserRow>(`SELECT ${columns} FROM ${table} WHERE username = $1`, [username])
      return toRecord(result.rows[0])
    },
    async findById(id) {
      if (!Number.isSafeInteger(id)) return null
      const result = await query<UserRow>(`SELECT ${columns} FROM ${table} WHERE id = $1`, [id])
      return toRecord(result.rows[0])
    },
    async create(user) {
      checkNewUser(user)
      const roles = [...(user.roles ?? [])]
      try {
        if (user.id === undefined) {
          const result = await query<UserRow>(
            `INSERT INTO ${table} (username, password_hash, roles, disabled) VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
            [user.username, user.passwordHash, roles, user.disabled === true],
          )
          return toRecord(result.rows[0]) as UserRecord
        }
        const id = user.id
        return await inTransaction(pool, queryMs, async (client) => {
          // Generated-id inserts hold ROW EXCLUSIVE until they commit; this lock waits for them and
          // keeps new ones out, so the sequence moves past every id in use without a race.
          await run(client, queryMs, `LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`)
          const result = await run<UserRow>(
            client,
            queryMs,
            `INSERT INTO ${table} (id, username, password_hash, roles, disabled) VALUES ($1, $2, $3, $4, $5) RETURNING ${columns}`,
            [id, user.username, user.passwordHash, roles, user.disabled === true],
          )
          await run(
            client,
            queryMs,
            `SELECT setval($1::regclass, GREATEST($2::bigint, (SELECT last_value FROM ${sequence})))`,
            [sequence, id],
          )
          return toRecord(result.rows[0]) as UserRecord
        })
      } catch (error) {
        return conflict(user, error)
      }
    },
    async setPasswordHash(username, passwordHash) {
      const result = await query(`UPDATE ${table} SET password_hash = $1 WHERE username = $2`, [
        passwordHash,
        username,
      ])
      return (result.rowCount ?? 0) > 0
    },
    async setRoles(username, roles) {
      const result = await query(`UPDATE ${table} SET roles = $1 WHERE username = $2`, [[...roles], username])
      return (result.rowCount ?? 0) > 0
    },
    async setDisabled(username, disabled) {
      const result = await query(`UPDATE ${table} SET disabled = $1 WHERE username = $2`, [
        disabled === true,
        username,
      ])
      return (result.rowCount ?? 0) > 0
    },
    async remove(username) {
      const result = await query(`DELETE FROM ${table} WHERE username = $1`, [username])
      return (result.rowCount ?? 0) > 0
    },
    async list() {
      const result = await query<UserRow>(`SELECT ${columns} FROM ${table} ORDER BY id`)
      return result.rows.map((row) => toRecord(row) as UserRecord)
    },
    async close() {
      if (owned) await pool.end()
    },
  } satisfies UserStore
}
