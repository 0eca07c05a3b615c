/**
 * The reference server's configuration, read from the environment as docs/CONTRACT.md
 * describes. Anything weak or missing fails here, at start-up, with one line that says the fix.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { redactUrl } from '../src/cli/internal/environment.js'
import { createPrivateDirectory } from './files.js'
import { type HttpLimits, readHttpLimits } from './http-limits.js'
import { weakSecretReason } from './policy.js'

export const FRAMEWORKS = ['fastify', 'express', 'hono', 'fetch', 'nest-express', 'nest-fastify'] as const
export type Framework = (typeof FRAMEWORKS)[number]

export interface ServerConfig {
  port: number
  host: string
  dataDir: string
  databaseFile: string
  secret: string
  /** Where the secret came from, for the start-up log. */
  secretSource: 'environment' | 'generated' | 'data-dir'
  secretFile: string | undefined
  production: boolean
  framework: Framework
  logLevel: string
  /** Redis for revocations, refresh families and throttling, shared by every instance. */
  redisUrl: string | undefined
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: string
  /** Seconds between checks of `KEY_DIR` for new or changed files (`KEY_POLL_INTERVAL`, 0: SIGHUP only). */
  keyPollInterval: number
  /** Seconds a graceful shutdown may take before open connections are closed (`SHUTDOWN_TIMEOUT`). */
  shutdownTimeout: number
  /** Seconds to wait for Redis at start-up before refusing to start (`REDIS_CONNECT_TIMEOUT`). */
  redisConnectTimeout: number
  /** Asymmetric mode: one private key file (PEM or JWK). */
  keyFile: string | undefined
  /** Asymmetric mode with rotation: a directory of keys (`jwtguard keys rotate`), re-read on SIGHUP. */
  keyDir: string | undefined
  /** The algorithm of RSA keys that do not name one (JWK `alg`). */
  keyAlg: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | undefined
  /** Resource-server mode: verify tokens against this JWKS and issue none. */
  jwksUrl: string | undefined
  /** Seconds between refreshes of the remote JWKS on an unknown kid. */
  jwksCooldownMs: number | undefined
  issuer: string | undefined
  audience: string | undefined
  /** The cookies' `Secure` attribute: always on in production, off by default for local http. */
  cookieSecure: boolean
  /** `__Host-`/`__Secure-` cookie names: on in production. */
  cookiePrefixes: boolean
  /** Tokens also in the JSON body of login and refresh (`TOKENS_IN_BODY=0` leaves them to the cookies). */
  tokensInBody: boolean
  /**
   * `BEHIND_TLS_PROXY=1`: a TLS-terminating proxy forwards plain HTTP. Browsers still see https,
   * so cookies keep `Secure`; in production this is the one way to start with `COOKIE_SECURE=0` set.
   */
  behindTlsProxy: boolean
  /** How many reverse proxies to trust for X-Forwarded-For (login throttling counts by client). */
  trustProxy: number
  /** PostgreSQL for users instead of SQLite. */
  databaseUrl: string | undefined
  /** Timeouts (seconds) and the connection cap of the HTTP server (`HTTP_*` variables). */
  httpLimits: HttpLimits
}

/** A configuration the server refuses to start with; the message is the one line printed. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

const MIN_PRODUCTION_SECRET_BYTES = 32

function readSecretFile(secretFile: string): string | undefined {
  if (!existsSync(secretFile)) return undefined
  const secret = readFileSync(secretFile, 'utf8').trim()
  if (secret === '') throw new ConfigError(`${secretFile} is empty: delete it to generate a new secret`)
  return secret
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const production = env.NODE_ENV === 'production'
  const port = Number(env.PORT ?? 5000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`)
  }
  const framework = (env.FRAMEWORK ?? 'fastify').toLowerCase()
  if (!(FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new ConfigError(`FRAMEWORK must be one of ${FRAMEWORKS.join(', ')}, got "${env.FRAMEWORK}"`)
  }
  const trustProxy = Number(env.TRUST_PROXY ?? 0)
  if (!Number.isInteger(trustProxy) || trustProxy < 0) {
    throw new ConfigError(
      `TRUST_PROXY must be the number of reverse proxies in front of the server, got "${env.TRUST_PROXY}"`,
    )
  }
  const redisConnectTimeout = Number(env.REDIS_CONNECT_TIMEOUT ?? 10)
  if (!(redisConnectTimeout > 0 && redisConnectTimeout <= 600)) {
    throw new ConfigError(
      `REDIS_CONNECT_TIMEOUT must be a number of seconds above 0 and at most 600, got "${env.REDIS_CONNECT_TIMEOUT}"`,
    )
  }
  const keyPollInterval = Number(env.KEY_POLL_INTERVAL ?? 5)
  if (!(keyPollInterval >= 0 && keyPollInterval <= 3600)) {
    throw new ConfigError(
      `KEY_POLL_INTERVAL must be a number of seconds from 0 (off) to 3600, got "${env.KEY_POLL_INTERVAL}"`,
    )
  }
  const shutdownTimeout = Number(env.SHUTDOWN_TIMEOUT ?? 5)
  if (!(shutdownTimeout > 0 && shutdownTimeout <= 600)) {
    throw new ConfigError(
      `SHUTDOWN_TIMEOUT must be a number of seconds above 0 and at most 600, got "${env.SHUTDOWN_TIMEOUT}"`,
    )
  }
  const dataDir = resolve(env.DATA_DIR ?? './data')
  createPrivateDirectory(dataDir)

  const nonEmpty = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  const keyFile = nonEmpty('KEY_FILE')
  const keyDir = nonEmpty('KEY_DIR')
  const jwksUrl = nonEmpty('JWKS_URL')
  const keySources = [keyFile && 'KEY_FILE', keyDir && 'KEY_DIR', jwksUrl && 'JWKS_URL'].filter(Boolean)
  if (keySources.length > 1)
    throw new ConfigError(`set only one of KEY_FILE, KEY_DIR and JWKS_URL, not ${keySources.join(' and ')}`)
  const issuer = nonEmpty('JWT_ISSUER')
  const audience = nonEmpty('JWT_AUDIENCE')
  if (jwksUrl !== undefined && (issuer === undefined || audience === undefined)) {
    throw new ConfigError(
      'JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE: a resource server pins who issued its tokens and for whom',
    )
  }
  const keyAlg = nonEmpty('KEY_ALG')
  const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
  if (keyAlg !== undefined && !(RSA_ALGS as readonly string[]).includes(keyAlg)) {
    throw new ConfigError(`KEY_ALG must be one of ${RSA_ALGS.join(', ')}, got "${keyAlg}"`)
  }
  const cooldown = nonEmpty('JWKS_COOLDOWN_MS')
  const jwksCooldownMs = cooldown === undefined ? undefined : Number(cooldown)
  if (jwksCooldownMs !== undefined && !(Number.isInteger(jwksCooldownMs) && jwksCooldownMs >= 0)) {
    throw new ConfigError(`JWKS_COOLDOWN_MS must be a whole number of milliseconds, got "${cooldown}"`)
  }
  const asymmetric = keySources.length > 0
  const fromEnv = asymmetric ? 'unused-in-asymmetric-mode' : (env.JWT_SECRET_KEY ?? env.SECRET_KEY)
  let secret: string
  let secretSource: ServerConfig['secretSource']
  let secretFile: string | undefined
  if (fromEnv !== undefined && fromEnv !== '') {
    secret = fromEnv
    secretSource = 'environment'
  } else if (production) {
    throw new ConfigError(
      'JWT_SECRET_KEY is not set: with NODE_ENV=production set it to at least 32 random bytes (e.g. `openssl rand -base64 48`)',
    )
  } else {
    secretFile = join(dataDir, 'secret.key')
    const stored = readSecretFile(secretFile)
    if (stored === undefined) {
      secret = randomBytes(32).toString('base64url')
      writeFileSync(secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' })
      secretSource = 'generated'
    } else {
      secret = stored
      secretSource = 'data-dir'
    }
    chmodSync(secretFile, 0o600)
  }
  if (asymmetric) {
    secret = ''
    secretSource = 'environment'
    secretFile = undefined
  } else if (production && Buffer.byteLength(secret) < MIN_PRODUCTION_SECRET_BYTES) {
    throw new ConfigError(
      `JWT_SECRET_KEY is ${Buffer.byteLength(secret)} bytes: with NODE_ENV=production it needs at least ${MIN_PRODUCTION_SECRET_BYTES} (e.g. \`openssl rand -base64 48\`)`,
    )
  } else if (production) {
    const weak = weakSecretReason(secret)
    if (weak !== undefined) throw new ConfigError(weak)
  }
  const cookies = cookiePolicy(env, production)
  const httpLimits = readHttpLimits(env)
  if (typeof httpLimits === 'string') throw new ConfigError(httpLimits)
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    databaseFile: join(dataDir, 'jwtguard.db'),
    secret,
    secretSource,
    secretFile,
    production,
    framework: framework as Framework,
    logLevel: env.LOG_LEVEL ?? 'info',
    redisUrl: env.REDIS_URL === '' ? undefined : env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'jwtguard:',
    redisConnectTimeout,
    shutdownTimeout,
    keyPollInterval,
    databaseUrl: env.DATABASE_URL === '' ? undefined : env.DATABASE_URL,
    trustProxy,
    keyFile,
    keyDir,
    keyAlg: keyAlg as ServerConfig['keyAlg'],
    jwksUrl,
    jwksCooldownMs,
    issuer,
    audience,
    ...cookies,
    httpLimits,
  }
}

const isOff = (value: string | undefined) => value === '0' || value === 'false'
const isOn = (value: string | undefined) => value === '1' || value === 'true'

/** Cookie settings; `COOKIE_SECURE=0` in production is refused unless `BEHIND_TLS_PROXY=1` (which keeps `Secure`). */
function cookiePolicy(
  env: NodeJS.ProcessEnv,
  production: boolean,
): Pick<ServerConfig, 'cookieSecure' | 'cookiePrefixes' | 'tokensInBody' | 'behindTlsProxy'> {
  const behindTlsProxy = isOn(env.BEHIND_TLS_PROXY)
  if (production && isOff(env.COOKIE_SECURE) && !behindTlsProxy) {
    throw new ConfigError(
      'COOKIE_SECURE=0 with NODE_ENV=production would send session cookies over plain HTTP: remove COOKIE_SECURE; behind a TLS-terminating proxy set BEHIND_TLS_PROXY=1 instead (browsers see https, so the cookies keep Secure)',
    )
  }
  return {
    cookieSecure: production || (env.COOKIE_SECURE === undefined ? false : !isOff(env.COOKIE_SECURE)),
    cookiePrefixes: production,
    tokensInBody: !isOff(env.TOKENS_IN_BODY),
    behindTlsProxy,
  }
}

/** The user store and the token store a configuration uses, for the start-up log (URLs redacted). */
export function storesInUse(config: ServerConfig): { users: string; tokens: string } {
  const sqlite = `SQLite ${config.databaseFile}`
  return {
    users: config.databaseUrl === undefined ? sqlite : `PostgreSQL ${redactUrl(config.databaseUrl)}`,
    tokens: config.redisUrl === undefined ? sqlite : `Redis ${redactUrl(config.redisUrl)}`,
  }
}
