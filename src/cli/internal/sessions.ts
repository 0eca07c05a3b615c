/**
 * Ending a user's sessions from the CLI: the token store the reference server uses (Redis when
 * `REDIS_URL` is set, else the SQLite file in `DATA_DIR`), given a "log out everywhere" cut-off
 * for the user, which refuses its refresh and access tokens on every instance.
 *
 * @module
 * @internal
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { TokenStore } from '../../stores/types.js'
import { CliError } from './command.js'
import { DATABASE_FILE, type Environment, redactUrl } from './environment.js'

/** The reference server's longest token lifetime (refresh, 14 days) plus its leeway. */
const LONGEST_TOKEN_LIFETIME = 14 * 86400 + 10

/** Opens the server's token store; `undefined` when it has none yet (no server ever ran here). */
async function openTokenStore(environment: Environment): Promise<TokenStore | undefined> {
  if (environment.redisUrl !== undefined) {
    const { createRedisStore } = await import('../../stores/redis.js')
    try {
      return await createRedisStore({
        url: environment.redisUrl,
        keyPrefix: environment.redisKeyPrefix,
        connectTimeout: environment.redisConnectTimeout,
        heartbeatInterval: 0,
      })
    } catch {
      throw new CliError(
        `the change is made, but the sessions could not be ended: Redis at REDIS_URL ${redactUrl(environment.redisUrl)} is unreachable; run the command again once it is up`,
      )
    }
  }
  const file = join(environment.dataDir, DATABASE_FILE)
  if (!existsSync(file)) return undefined
  const { createSqliteStore } = await import('../../stores/sqlite.js')
  return createSqliteStore({ database: file, pruneInterval: 0, syncInterval: 0 })
}

/** Ends every session of the user `id`: refresh families refused, access tokens cut off. */
export async function endUserSessions(environment: Environment, id: number): Promise<void> {
  const store = await openTokenStore(environment)
  if (store === undefined) return
  try {
    const before = Math.floor(Date.now()) / 1000
    await store.revokeAllFor(String(id), before, before + LONGEST_TOKEN_LIFETIME)
  } finally {
    await store.close()
  }
}
