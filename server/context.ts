/**
 * What every framework's app shares: the user store, the token store, the guard and the seed's user.
 */
import { readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  type CommonOptions,
  createJwtGuard,
  createKeyStore,
  createRemoteJwks,
  type IssuingOptions,
  type JwtGuard,
  type JwtPayload,
  type KeyStore,
  type RemoteJwks,
  readKeyDirectory,
  readKeyFile,
  type SigningKeyOptions,
  syncKeyDirectory,
} from 'jwtguard'
import type { TokenStore } from 'jwtguard/stores/memory'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { createLoginLimiter, createRefreshLimiter } from 'jwtguard/throttle'
import {
  createPasswordHasher,
  endingSessions,
  passwordAuthenticator,
  type UserStore,
  userLookup,
} from 'jwtguard/users'
import { createSqliteUserStore, openSqliteDatabase } from 'jwtguard/users/sqlite'
import type { Logger } from 'pino'
import type { RedisClientType } from 'redis'
import type { ServerConfig } from './config.js'
import { createPrivateFile, databaseFiles, readOrCreateSecret, widePermissions } from './files.js'
import { cookieNames } from './policy.js'
import { postgresRefusal, redisRefusal, StartupRefusal, sqliteRefusal } from './startup.js'

export { StartupRefusal } from './startup.js'

/**
 * The seed's identity: what `identity(payload)` returns and `/api/v1/me` shows. In
 * resource-server mode, an RFC 9068 access token's is its subject (`sub`), and its client.
 */
export type SeedIdentity = { user_id: number } | { sub: string; client_id?: string }

export interface ServerContext {
  config: ServerConfig
  users: UserStore
  tokens: TokenStore
  guard: JwtGuard<SeedIdentity>
  logger: Logger
  /** Re-reads the key directory (`KEY_DIR`); what SIGHUP does. */
  reloadKeys(): void
  close(): Promise<void>
}

export const DEMO_USER = { id: 123, username: 'masnun', password: 'abc123' } as const

// The Redis and PostgreSQL clients are loaded only when REDIS_URL or DATABASE_URL asks for them:
// importing them costs start-up time (bench/cold-start.ts) that a SQLite-only server never needs.

/** The SQLite file (users without DATABASE_URL, tokens without REDIS_URL), opened and migrated. */
function openSqlite(config: ServerConfig) {
  let database: ReturnType<typeof openSqliteDatabase> | undefined
  try {
    // The file exists, 0600, before SQLite opens it: its WAL and SHM files take its mode.
    createPrivateFile(config.databaseFile)
    database = openSqliteDatabase(config.databaseFile)
    const users = config.databaseUrl === undefined ? createSqliteUserStore({ database }) : undefined
    const tokens = config.redisUrl === undefined ? createSqliteStore({ database }) : undefined
    return { database, users, tokens }
  } catch (error) {
    database?.close()
    throw sqliteRefusal(config.databaseFile, error)
  }
}

async function openPostgres(url: string): Promise<UserStore> {
  try {
    const { createPostgresUserStore } = await import('jwtguard/users/postgres')
    return await createPostgresUserStore({ connectionString: url })
  } catch (error) {
    throw postgresRefusal(url, error)
  }
}

async function openRedisStore(config: ServerConfig, url: string, logger: Logger): Promise<TokenStore> {
  try {
    const { createRedisStore } = await import('jwtguard/stores/redis')
    return await createRedisStore({
      url,
      keyPrefix: config.redisKeyPrefix,
      connectTimeout: config.redisConnectTimeout,
      onError: (error) => logger.warn({ err: error }, 'redis token store'),
    })
  } catch (error) {
    throw redisRefusal('REDIS_URL', url, error)
  }
}

async function connectRedis(url: string, connectTimeout: number, logger: Logger): Promise<RedisClientType> {
  const connectMs = connectTimeout * 1000
  const { createClient } = await import('redis')
  const client: RedisClientType = createClient({ url })
  client.on('error', (error: unknown) => logger.warn({ err: error }, 'redis (login throttling)'))
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready within ${connectMs} ms`)), connectMs)
      }),
    ])
    return client
  } catch (error) {
    if (client.isOpen) client.destroy()
    throw redisRefusal('REDIS_URL', url, error)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Warns when Redis would lose the revocations on a restart (no AOF, no RDB snapshots) or could
 * evict them (a policy other than `noeviction`). Managed Redis may refuse CONFIG: then it says so.
 */
async function checkRedisDurability(redis: RedisClientType, logger: Logger): Promise<void> {
  try {
    const config = (await redis.configGet(['appendonly', 'save', 'maxmemory-policy'])) as Record<
      string,
      string
    >
    if (config.appendonly !== 'yes' && (config.save ?? '') === '') {
      logger.warn(
        'Redis persists nothing (appendonly no, no save points): a restart empties it, and every token issued before is then refused (users log in again). Turn on AOF (appendonly yes) or RDB snapshots',
      )
    }
    const policy = config['maxmemory-policy']
    if (policy !== undefined && policy !== 'noeviction') {
      logger.warn(
        { policy },
        'Redis may evict keys (maxmemory-policy is not noeviction): an evicted revocation would be accepted again. Set maxmemory-policy noeviction',
      )
    }
  } catch (error) {
    logger.info(
      { err: error },
      'could not read the Redis configuration (CONFIG GET): persistence not checked',
    )
  }
}

interface Backends {
  database: ReturnType<typeof openSqliteDatabase>
  users: UserStore
  tokens: TokenStore
  close(): Promise<void>
}

/** Opens every backend, or closes what was opened and refuses to start with the one line to print. */
async function openBackends(config: ServerConfig, logger: Logger): Promise<Backends> {
  const sqlite = openSqlite(config)
  const opened: { users: UserStore | undefined; tokens: TokenStore | undefined } = {
    users: sqlite.users,
    tokens: sqlite.tokens,
  }
  const close = async () => {
    await opened.tokens?.close().catch(() => undefined)
    await opened.users?.close().catch(() => undefined)
    sqlite.database.close()
  }
  try {
    opened.users ??= await openPostgres(config.databaseUrl as string)
    opened.tokens ??= await openRedisStore(config, config.redisUrl as string, logger)
  } catch (error) {
    await close()
    throw error
  }
  return { database: sqlite.database, users: opened.users, tokens: opened.tokens, close }
}

/**
 * Creates the seed's user. Instances starting at once on one database may all have seen it
 * missing: the ones that lose the race find it created by another, and start.
 */
async function createDemoUser(
  users: UserStore,
  hasher: ReturnType<typeof createPasswordHasher>,
  logger: Logger,
): Promise<void> {
  const passwordHash = await hasher.hash(DEMO_USER.password)
  try {
    await users.create({ id: DEMO_USER.id, username: DEMO_USER.username, passwordHash })
    logger.info({ username: DEMO_USER.username }, 'created the demo user (not in production)')
  } catch (error) {
    if ((await users.findByUsername(DEMO_USER.username)) === null) throw error
    logger.info({ username: DEMO_USER.username }, 'the demo user was created by another instance')
  }
}

/** The refresh-token secret's file, beside the signing keys. */
const REFRESH_SECRET_FILE = 'refresh.secret'

/** Refresh lifetime plus leeway: how long a replaced key must keep verifying. */
const LONGEST_TOKEN_LIFETIME = 14 * 86400 + 10

/** Where the guard's keys come from: a remote JWKS (resource-server mode), or its own signing keys. */
type KeyOptions =
  | { jwks: RemoteJwks }
  | { signing: SigningKeyOptions & Pick<IssuingOptions, 'allowShortSecret' | 'refreshSecret'> }

/** What a directory holds: its key files' names, sizes and modification times. */
function directorySignature(directory: string): string {
  try {
    return readdirSync(directory)
      .sort()
      .map((name) => {
        const stat = statSync(join(directory, name))
        return `${name}:${stat.size}:${stat.mtimeMs}`
      })
      .join('|')
  } catch (error) {
    return `unreadable: ${(error as Error).message}`
  }
}

/**
 * Re-reads the key directory when its files change, so that every instance picks up a key that
 * `jwtguard keys rotate` published, then activated, without a signal. Returns the stop.
 */
function pollKeyDirectory(directory: string, intervalSeconds: number, reload: () => boolean): () => void {
  if (intervalSeconds === 0) return () => {}
  let seen = directorySignature(directory)
  const timer = setInterval(() => {
    const now = directorySignature(directory)
    // A failed reload (a file half written) is tried again at the next check.
    if (now !== seen && reload()) seen = now
  }, intervalSeconds * 1000)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Refresh tokens are signed with a secret of their own, never with a published key: it lives
 * beside the signing keys (`refresh.secret`, created on first start), so every instance that
 * shares the keys shares it.
 */
function refreshSecretBeside(directory: string): string {
  const file = join(directory, REFRESH_SECRET_FILE)
  try {
    return readOrCreateSecret(file)
  } catch (error) {
    throw new StartupRefusal(
      `cannot read or create ${file} (${(error as Error).message}): create it with 32 random bytes, e.g. \`openssl rand -base64 32 > ${file}\`, shared by every instance`,
      { cause: error },
    )
  }
}

/**
 * Resource-server mode: the issuer's JWKS, at `JWKS_URL` or discovered from `JWT_ISSUER`'s
 * metadata, loaded before the server listens: a wrong URL or issuer refuses to start.
 */
async function remoteJwks(config: ServerConfig, logger: Logger): Promise<RemoteJwks> {
  const issuer = config.issuer as string
  const jwks = createRemoteJwks({
    ...(config.jwksUrl === undefined ? {} : { url: config.jwksUrl }),
    issuer,
    audience: config.audience as string,
    ...(config.keyAlg === undefined ? {} : { rsaAlgorithm: config.keyAlg }),
    cooldownMs: config.jwksCooldownMs,
    onError: (error: unknown) => logger.warn({ err: error }, 'JWKS refresh failed; serving the cached keys'),
  })
  try {
    await jwks.ready()
  } catch (error) {
    const where =
      config.jwksUrl === undefined ? `the JWKS of JWT_ISSUER ${issuer}` : `JWKS_URL ${config.jwksUrl}`
    const fix =
      config.jwksUrl === undefined
        ? 'set JWKS_URL, or fix JWT_ISSUER (it must be exactly the "issuer" of its /.well-known/openid-configuration); to issue tokens instead, set JWT_SECRET_KEY, KEY_FILE or KEY_DIR'
        : 'fix JWKS_URL'
    throw new StartupRefusal(`cannot load ${where} (${(error as Error).message}): ${fix}`, { cause: error })
  }
  logger.info(
    { issuer, url: config.jwksUrl ?? 'discovered from the issuer metadata' },
    'resource-server mode: verifying access tokens against a remote JWKS',
  )
  return jwks
}

/**
 * A resource server's options: RFC 9068 access tokens of any authorization server, with
 * `Authorization: Bearer` (RFC 6750); `JWT` still, for the tokens of a jwtguard issuer (they
 * carry `identity`, not `sub`: hence only `exp` and `iat` required, and the identity read from either).
 */
const RESOURCE_SERVER = {
  profile: 'rfc9068',
  headerPrefix: ['Bearer', 'JWT'],
  requiredClaims: ['exp', 'iat'],
} as const

/** A resource server's identity: the token's subject (RFC 9068), or a jwtguard issuer's user id. */
function resourceIdentity(payload: JwtPayload): SeedIdentity | null {
  if (typeof payload.identity === 'number') return { user_id: payload.identity }
  if (typeof payload.sub !== 'string' || payload.sub === '') return null
  return typeof payload.client_id === 'string'
    ? { sub: payload.sub, client_id: payload.client_id }
    : { sub: payload.sub }
}

/** The guard's keys: an HMAC secret, a key file, a key directory (rotated on SIGHUP) or a remote JWKS. */
async function keyOptions(
  config: ServerConfig,
  logger: Logger,
): Promise<{ options: KeyOptions; reload?(): void; stop?(): void }> {
  const rsaAlgorithm = config.keyAlg
  if (config.keySource === 'JWKS_URL' || config.keySource === 'JWT_ISSUER') {
    return { options: { jwks: await remoteJwks(config, logger) } }
  }
  if (config.keyDir !== undefined) {
    const keyDir = config.keyDir
    const keys = readKeyDirectory(keyDir, { rsaAlgorithm, maxTokenLifetime: LONGEST_TOKEN_LIFETIME })
    const reload = (): boolean => {
      try {
        logger.info(syncKeyDirectory(keys, keyDir, { rsaAlgorithm }), 'key directory reloaded')
        return true
      } catch (error) {
        logger.error({ err: error }, 'key directory reload failed: keys unchanged')
        return false
      }
    }
    logger.info(
      { keyDir, kid: keys.activeKey.kid, alg: keys.activeKey.alg },
      'asymmetric keys from a key directory',
    )
    const stop = pollKeyDirectory(keyDir, config.keyPollInterval, reload)
    const refreshSecret = refreshSecretBeside(keyDir)
    return { options: { signing: { keys, refreshSecret } }, reload, stop }
  }
  if (config.keyFile !== undefined) {
    const active = readKeyFile(config.keyFile, { rsaAlgorithm })
    const keys: KeyStore = createKeyStore({ active, maxTokenLifetime: LONGEST_TOKEN_LIFETIME })
    logger.info({ keyFile: config.keyFile, kid: active.kid, alg: active.alg }, 'asymmetric key from a file')
    return {
      options: { signing: { keys, refreshSecret: refreshSecretBeside(dirname(config.keyFile)) } },
    }
  }
  // Outside production a short JWT_SECRET_KEY (such as the seed's) is accepted, to share tokens
  // with an existing Flask-JWT app; production refuses it in loadConfig.
  return { options: { signing: { secret: config.secret, allowShortSecret: !config.production } } }
}

export async function createServerContext(config: ServerConfig, logger: Logger): Promise<ServerContext> {
  // One SQLite connection serves the users (without DATABASE_URL) and the token lifecycle (without REDIS_URL).
  const backends = await openBackends(config, logger)
  const { database, tokens } = backends
  const files = [...databaseFiles(config.databaseFile), ...(config.secretFile ? [config.secretFile] : [])]
  for (const warning of widePermissions(config.dataDir, files)) logger.warn(warning)
  // A password change, a role removal, disabling or a removal through context.users ends the user's sessions.
  let guard: JwtGuard<SeedIdentity> | undefined
  const users = endingSessions(backends.users, {
    endSessions: async (id) => {
      await guard?.revokeAllFor(id)
    },
  })
  const hasher = createPasswordHasher()
  const demoUser = await users.findByUsername(DEMO_USER.username)
  if (config.production && demoUser !== null) {
    await backends.close()
    throw new StartupRefusal(
      `the demo user "${DEMO_USER.username}" exists: with NODE_ENV=production remove it (\`jwtguard users remove ${DEMO_USER.username}\`)`,
    )
  }
  let redis: RedisClientType | undefined
  try {
    redis =
      config.redisUrl === undefined
        ? undefined
        : await connectRedis(config.redisUrl, config.redisConnectTimeout, logger)
  } catch (error) {
    await backends.close()
    throw error
  }
  if (redis !== undefined) await checkRedisDurability(redis, logger)
  const loginLimiter = createLoginLimiter({
    redis,
    keyPrefix: `${config.redisKeyPrefix}login:`,
    onError: (error) => logger.warn({ err: error }, 'login throttling fell back to memory'),
  })
  const refreshLimiter = createRefreshLimiter({
    redis,
    keyPrefix: `${config.redisKeyPrefix}refresh:`,
    onError: (error) => logger.warn({ err: error }, 'refresh throttling fell back to memory'),
  })
  if (!config.production && demoUser === null) await createDemoUser(users, hasher, logger)
  const keys = await keyOptions(config, logger)
  const common: CommonOptions<SeedIdentity> = {
    issuer: config.issuer,
    audience: config.audience,
    store: tokens,
    // Verified tokens are cached (signature only: claims, revocation and roles run every time).
    cache: { maxEntries: 10_000 },
    // Identities too (IDENTITY_CACHE=0 turns it off): a protected request skips the user store.
    // Entries end with the user's sessions (endingSessions → revokeAllFor), on every instance
    // through the token store.
    identityCache: config.identityCache ? { maxEntries: 10_000, maxAge: 60 } : false,
    // Header for API clients (the seed's curl session), cookies for the browser page at `/`.
    tokenLocation: ['header', 'cookies'],
    cookies: {
      secure: config.cookieSecure,
      ...cookieNames(config.cookiePrefixes),
      tokensInBody: config.tokensInBody,
    },
    // DPoP (RFC 9449): DPOP=required|allowed, proofs naming DPOP_ORIGIN (else the Host header).
    dpop:
      config.dpop === undefined
        ? undefined
        : { mode: config.dpop, ...(config.dpopOrigin === undefined ? {} : { origin: config.dpopOrigin }) },
    identity: async (payload) => {
      // A resource server trusts the issuer's identity: the users live with the issuer.
      if ('jwks' in keys.options) return resourceIdentity(payload)
      const id = payload.identity
      if (typeof id !== 'number') return null
      const user = await users.findById(id)
      return user === null ? null : { user_id: user.id }
    },
  }
  guard =
    'jwks' in keys.options
      ? createJwtGuard<SeedIdentity>({ ...common, ...RESOURCE_SERVER, jwks: keys.options.jwks })
      : createJwtGuard<SeedIdentity>({
          ...common,
          ...keys.options.signing,
          loginLimiter,
          refreshLimiter,
          trustProxy: config.trustProxy,
          authenticate: passwordAuthenticator(users, hasher),
          // A refresh asks the user store again: current roles, and no refresh for a removed user.
          lookupUser: userLookup(users),
          additionalClaims: ({ roles }) => (roles !== undefined && roles.length > 0 ? { roles } : {}),
        })
  return {
    config,
    users,
    tokens,
    guard,
    logger,
    reloadKeys() {
      if (keys.reload === undefined) logger.info('SIGHUP: no key directory (KEY_DIR) to reload')
      else keys.reload()
    },
    async close() {
      keys.stop?.()
      // A client still reconnecting would queue QUIT until Redis is back: drop it instead.
      if (redis?.isReady) await redis.close()
      else if (redis?.isOpen) redis.destroy()
      await tokens.close()
      await users.close()
      database.close()
    },
  }
}
