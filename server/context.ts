/**
 * What every framework's app shares: the user store, the guard and the seed's user.
 */
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { createPasswordHasher, passwordAuthenticator, type UserStore } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import type { Logger } from 'pino'
import type { ServerConfig } from './config.js'

/** The seed's identity: what `identity(payload)` returns and `/api/v1/me` shows. */
export interface SeedIdentity {
  user_id: number
}

export interface ServerContext {
  config: ServerConfig
  users: UserStore
  guard: JwtGuard<SeedIdentity>
  logger: Logger
  close(): Promise<void>
}

export const DEMO_USER = { id: 123, username: 'masnun', password: 'abc123' } as const

export async function createServerContext(config: ServerConfig, logger: Logger): Promise<ServerContext> {
  const users = createSqliteUserStore({ database: config.databaseFile })
  const hasher = createPasswordHasher()
  if (!config.production && (await users.findByUsername(DEMO_USER.username)) === null) {
    await users.create({
      id: DEMO_USER.id,
      username: DEMO_USER.username,
      passwordHash: await hasher.hash(DEMO_USER.password),
    })
    logger.info({ username: DEMO_USER.username }, 'created the demo user (not in production)')
  }
  const guard = createJwtGuard<SeedIdentity>({
    secret: config.secret,
    // Outside production a short JWT_SECRET_KEY (such as the seed's) is accepted, to share tokens
    // with an existing Flask-JWT app; production refuses it in loadConfig.
    allowShortSecret: !config.production,
    authenticate: passwordAuthenticator(users, hasher),
    identity: async (payload) => {
      const id = payload.identity
      if (typeof id !== 'number') return null
      const user = await users.findById(id)
      return user === null ? null : { user_id: user.id }
    },
  })
  return { config, users, guard, logger, close: () => users.close() }
}
