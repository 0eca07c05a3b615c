/**
 * What every framework's app shares: the user store, the token store, the guard and the seed's user.
 */
import {
  createJwtGuard,
  createKeyStore,
  createRemoteJwks,
  type JwtGuard,
  type JwtGuardOptions,
  type KeyStore,
  readKeyDirectory,
  readKeyFile,
  syncKeyDirectory,
} from 'jwtguard'
import type { TokenStore } from 'jwtguard/stores/memory'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { createLoginLimiter } from 'jwtguard/throttle'
import {
  createPasswordHasher,
  endingSessions,
  passwordAuthenticator,
  type UserStore,
  userLookup,
} from 'jwtguard/users'
import { createPostgresUserStore } from 'jwtguard/users/postgres'
import { createSqliteUserStore, openSqliteDatabase } from 'jwtguard/users/sqlite'
import type { Logger } from 'pino'
import { createClient, type RedisClientType } from 'redis'
import type { ServerConfig } from './config.js'

/** The seed's identity: what `identity(payload)` returns and `/api/v1/me` shows. */
export interface SeedIdentity {
  user_id: number
}

export interface ServerContext {
  config: ServerConfig
  users: UserStore
  tokens: TokenStore
  guard: JwtGuard<SeedIdentity>
  logger: Logger
  close(): Promise<void>
}

export const DEMO_USER = { id: 123, username: 'masnun', password: 'abc123' } as const

async function openTokenStore(
  config: ServerConfig,
  database: Parameters<typeof createSqliteStore>[0]['database'],
  logger: Logger,
) {
  if (config.redisUrl === undefined) return createSqliteStore({ database })
  return createRedisStore({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    onError: (error) => logger.warn({ err: error }, 'redis token store'),
  })
}

/** A refusal to start: the message is printed as the one line that says how to fix it. */
export class StartupRefusal extends Error {
  override name = 'StartupRefusal'
}

async function connectRedis(url: string, logger: Logger): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url })
  client.on('error', (error: unknown) => logger.warn({ err: error }, 'redis (login throttling)'))
  await client.connect()
  return client
}

/** Refresh lifetime plus leeway: how long a replaced key must keep verifying. */
const LONGEST_TOKEN_LIFETIME = 14 * 86400 + 10

type KeyOptions = Pick<JwtGuardOptions<SeedIdentity>, 'secret' | 'allowShortSecret' | 'keys' | 'jwks'>

/** The guard's keys: an HMAC secret, a key file, a key directory (rotated on SIGHUP) or a remote JWKS. */
async function keyOptions(
  config: ServerConfig,
  logger: Logger,
): Promise<{ options: KeyOptions; stop(): void }> {
  const rsaAlgorithm = config.keyAlg
  if (config.jwksUrl !== undefined) {
    const jwks = createRemoteJwks({
      url: config.jwksUrl,
      issuer: config.issuer as string,
      audience: config.audience as string,
      ...(config.jwksCooldownMs === undefined ? {} : { cooldownMs: config.jwksCooldownMs }),
      onError: (error: unknown) =>
        logger.warn({ err: error }, 'JWKS refresh failed; serving the cached keys'),
    })
    await jwks.ready()
    logger.info({ url: config.jwksUrl }, 'resource-server mode: verifying tokens against a remote JWKS')
    return { options: { jwks }, stop: () => {} }
  }
  if (config.keyDir !== undefined) {
    const keyDir = config.keyDir
    const keys = readKeyDirectory(keyDir, { rsaAlgorithm, maxTokenLifetime: LONGEST_TOKEN_LIFETIME })
    const reload = () => {
      try {
        logger.info(syncKeyDirectory(keys, keyDir, { rsaAlgorithm }), 'key directory reloaded')
      } catch (error) {
        logger.error({ err: error }, 'key directory reload failed: keys unchanged')
      }
    }
    process.on('SIGHUP', reload)
    logger.info(
      { keyDir, kid: keys.activeKey.kid, alg: keys.activeKey.alg },
      'asymmetric keys from a key directory',
    )
    return { options: { keys }, stop: () => process.off('SIGHUP', reload) }
  }
  if (config.keyFile !== undefined) {
    const active = readKeyFile(config.keyFile, { rsaAlgorithm })
    const keys: KeyStore = createKeyStore({ active, maxTokenLifetime: LONGEST_TOKEN_LIFETIME })
    logger.info({ keyFile: config.keyFile, kid: active.kid, alg: active.alg }, 'asymmetric key from a file')
    return { options: { keys }, stop: () => {} }
  }
  // Outside production a short JWT_SECRET_KEY (such as the seed's) is accepted, to share tokens
  // with an existing Flask-JWT app; production refuses it in loadConfig.
  return { options: { secret: config.secret, allowShortSecret: !config.production }, stop: () => {} }
}

export async function createServerContext(config: ServerConfig, logger: Logger): Promise<ServerContext> {
  // One SQLite connection serves the users (without DATABASE_URL) and the token lifecycle (without REDIS_URL).
  const database = openSqliteDatabase(config.databaseFile)
  const userStore =
    config.databaseUrl === undefined
      ? createSqliteUserStore({ database })
      : await createPostgresUserStore({ connectionString: config.databaseUrl })
  // A password change, a role removal or a removal through context.users ends the user's sessions.
  let guard: JwtGuard<SeedIdentity> | undefined
  const users = endingSessions(userStore, {
    endSessions: async (id) => {
      await guard?.revokeAllFor(id)
    },
  })
  const tokens = await openTokenStore(config, database, logger)
  const hasher = createPasswordHasher()
  const demoUser = await users.findByUsername(DEMO_USER.username)
  if (config.production && demoUser !== null) {
    await tokens.close()
    await users.close()
    database.close()
    throw new StartupRefusal(
      `the demo user "${DEMO_USER.username}" exists: with NODE_ENV=production remove it (\`jwtguard users remove ${DEMO_USER.username}\`)`,
    )
  }
  const redis = config.redisUrl === undefined ? undefined : await connectRedis(config.redisUrl, logger)
  const loginLimiter = createLoginLimiter({
    redis,
    keyPrefix: `${config.redisKeyPrefix}login:`,
    onError: (error) => logger.warn({ err: error }, 'login throttling fell back to memory'),
  })
  if (!config.production && demoUser === null) {
    await users.create({
      id: DEMO_USER.id,
      username: DEMO_USER.username,
      passwordHash: await hasher.hash(DEMO_USER.password),
    })
    logger.info({ username: DEMO_USER.username }, 'created the demo user (not in production)')
  }
  const keys = await keyOptions(config, logger)
  const resourceServer = config.jwksUrl !== undefined
  guard = createJwtGuard<SeedIdentity>({
    ...keys.options,
    issuer: config.issuer,
    audience: config.audience,
    store: tokens,
    // Verified tokens are cached (signature only: claims, revocation and roles run every time).
    cache: { maxEntries: 10_000 },
    loginLimiter,
    trustProxy: config.trustProxy,
    // Header for API clients (the seed's curl session), cookies for the browser page at `/`.
    tokenLocation: ['header', 'cookies'],
    cookies: { secure: config.cookieSecure },
    authenticate: passwordAuthenticator(users, hasher),
    // A refresh asks the user store again: current roles, and no refresh for a removed user.
    lookupUser: userLookup(users),
    additionalClaims: (user) => {
      const roles = (user as { roles?: string[] }).roles
      return roles !== undefined && roles.length > 0 ? { roles } : {}
    },
    identity: async (payload) => {
      const id = payload.identity
      if (typeof id !== 'number') return null
      // A resource server trusts the issuer's identity: the users live with the issuer.
      if (resourceServer) return { user_id: id }
      const user = await users.findById(id)
      return user === null ? null : { user_id: user.id }
    },
  })
  return {
    config,
    users,
    tokens,
    guard,
    logger,
    async close() {
      keys.stop()
      await redis?.quit()
      await tokens.close()
      await users.close()
      database.close()
    },
  }
}
