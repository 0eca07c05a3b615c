/**
 * The one reader of the environment shared by the reference server (server/config.ts) and the
 * `jwtguard` CLI: every variable of the README's table, parsed once, with one set of defaults and
 * one set of checks. An empty value counts as unset, for every variable. Reading has no side
 * effects: the server creates `DATA_DIR` and generates the secret itself; the CLI only reads.
 *
 * Internal: neither the package root nor a subpath exports it. The published CLI (dist/cli)
 * imports it by path, and so does the reference server, which is not published.
 *
 * @module
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PSS_ALGORITHMS, RSA_ALGORITHMS } from '../core/keys.js'
import { type HttpLimits, parseHttpLimits } from './http-limits.js'

export const FRAMEWORKS = ['fastify', 'express', 'hono', 'fetch', 'nest-express', 'nest-fastify'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** pino's levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The algorithms `KEY_ALG` may give RSA keys that name none. */
export const RSA_KEY_ALGORITHMS = [...RSA_ALGORITHMS, ...PSS_ALGORITHMS] as const
export type RsaKeyAlgorithm = (typeof RSA_KEY_ALGORITHMS)[number]

/** The server's file names in `DATA_DIR`: the CLI must manage the users and secret the server reads. */
export const DATABASE_FILE = 'jwtguard.db'
export const SECRET_FILE = 'secret.key'

/**
 * What signs and verifies tokens: the HMAC secret, or the variable that names asymmetric keys;
 * `JWT_ISSUER` for a resource server whose JWKS is discovered from the issuer's metadata.
 */
export type KeySource = 'secret' | 'KEY_FILE' | 'KEY_DIR' | 'JWKS_URL' | 'JWT_ISSUER'

/** The configuration the environment describes, defaults applied. */
export interface Settings {
  /** `NODE_ENV=production`. @default false */
  production: boolean
  /** `PORT`. @default 5000 */
  port: number
  /** `HOST`. @default '127.0.0.1' */
  host: string
  /** `DATA_DIR`, absolute. @default resolve('./data') */
  dataDir: string
  /** `JWT_SECRET_KEY`, else its alias `SECRET_KEY`; `undefined` when neither is set. */
  secret: string | undefined
  /** Which of the two variables {@link Settings.secret} came from. */
  secretVariable: 'JWT_SECRET_KEY' | 'SECRET_KEY' | undefined
  /** `FRAMEWORK`, case-insensitive. @default 'fastify' */
  framework: Framework
  /** `LOG_LEVEL`. @default 'info' */
  logLevel: LogLevel
  /** `REDIS_URL`: revocations, refresh families and throttling in Redis, shared by every instance. */
  redisUrl: string | undefined
  /** `REDIS_KEY_PREFIX`: prefix of every Redis key. @default 'jwtguard:' */
  redisKeyPrefix: string
  /** `REDIS_CONNECT_TIMEOUT`: seconds to wait for Redis at start-up. @default 10 */
  redisConnectTimeout: number
  /** `SHUTDOWN_TIMEOUT`: seconds a graceful shutdown may take. @default 5 */
  shutdownTimeout: number
  /** `DATABASE_URL`: users in PostgreSQL instead of SQLite. */
  databaseUrl: string | undefined
  /** `KEY_FILE`: asymmetric mode, one private key (PEM or JWK). */
  keyFile: string | undefined
  /** `KEY_DIR`: asymmetric mode with rotation, a key directory (`jwtguard keys rotate`). */
  keyDir: string | undefined
  /** `KEY_POLL_INTERVAL`: seconds between checks of `KEY_DIR` (0: SIGHUP only). @default 5 */
  keyPollInterval: number
  /** `KEY_ALG`: the algorithm of RSA keys that name none, for key files and a remote JWKS alike. */
  keyAlg: RsaKeyAlgorithm | undefined
  /**
   * `JWKS_URL`: resource-server mode, verify against this JWKS and issue nothing. Unset with
   * `JWT_ISSUER` and `JWT_AUDIENCE` and no key nor secret: resource-server mode too, the JWKS
   * discovered from the issuer's metadata (`keySource` is then `JWT_ISSUER`).
   */
  jwksUrl: string | undefined
  /** `JWKS_COOLDOWN_MS`: the least time between two refreshes of the remote JWKS. @default 30000 */
  jwksCooldownMs: number
  /** `JWT_ISSUER`: written as `iss` and required on verified tokens. */
  issuer: string | undefined
  /** `JWT_AUDIENCE`: written as `aud` and required on verified tokens. */
  audience: string | undefined
  /** The variable of the keys in use, or `'secret'`. */
  keySource: KeySource
  /** `TRUST_PROXY`: how many reverse proxies to trust for `X-Forwarded-For`. @default 0 */
  trustProxy: number
  /** `IDENTITY_CACHE`: the guard's identity cache (no user-store trip per protected request). @default true */
  identityCache: boolean
  /** `COOKIE_SECURE` as given (`undefined` when unset), for the production policy. */
  cookieSecureSetting: boolean | undefined
  /** The cookies' `Secure` attribute: always in production, else `COOKIE_SECURE`. @default false */
  cookieSecure: boolean
  /** `__Host-`/`__Secure-` cookie names: in production. */
  cookiePrefixes: boolean
  /** `TOKENS_IN_BODY`: tokens in the JSON body of login and refresh too. @default true */
  tokensInBody: boolean
  /** `BEHIND_TLS_PROXY`: a TLS-terminating proxy forwards plain HTTP; cookies keep `Secure`. @default false */
  behindTlsProxy: boolean
  /** `HTTP_*`: the timeouts (seconds) and the connection cap of the HTTP server. */
  httpLimits: HttpLimits
  /** `DPOP`: DPoP (RFC 9449) `required` or `allowed`; `undefined` (unset): off. */
  dpop: 'required' | 'allowed' | undefined
  /** `DPOP_ORIGIN`: the origin clients reach the server at, which DPoP proofs name (`htu`). */
  dpopOrigin: string | undefined
}

/** A value the server refuses, whatever `NODE_ENV` says; the message names the variable and the fix. */
export interface Problem {
  variable: string
  message: string
  /** How to fix it, when the message does not say. */
  fix?: string
}

/** The problem as the one line the server prints. */
export function problemLine(problem: Problem): string {
  return problem.fix === undefined ? problem.message : `${problem.message}: ${problem.fix}`
}

/** A configuration the server refuses to start with; the message is the one line printed. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The variable to fix. */
  readonly variable: string
  constructor(problem: Problem, options?: ErrorOptions) {
    super(problemLine(problem), options)
    this.variable = problem.variable
  }
}

type Env = Readonly<Record<string, string | undefined>>

/** The environment being read, and the problems found so far. */
interface Reading {
  /** The value of `name`; `undefined` when it is unset or empty. */
  value(name: string): string | undefined
  problem(variable: string, message: string, fix?: string): void
}

const toNumber = (raw: string): number => (raw.trim() === '' ? Number.NaN : Number(raw))

function numberOf(
  read: Reading,
  name: string,
  fallback: number,
  valid: (value: number) => boolean,
  expected: string,
): number {
  const raw = read.value(name)
  if (raw === undefined) return fallback
  const value = toNumber(raw)
  if (valid(value)) return value
  read.problem(name, `${name} must be ${expected}, got "${raw}"`)
  return fallback
}

/** `1`/`true` or `0`/`false` (any case); `undefined` when unset. */
function flagOf(read: Reading, name: string): boolean | undefined {
  const raw = read.value(name)
  if (raw === undefined) return undefined
  const lower = raw.toLowerCase()
  if (lower === '1' || lower === 'true') return true
  if (lower === '0' || lower === 'false') return false
  read.problem(name, `${name} must be 1 or 0 (or true or false), got "${raw}"`)
  return undefined
}

function oneOf<T extends string>(read: Reading, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read.value(name)
  if (raw === undefined) return fallback
  const lower = raw.toLowerCase()
  if ((allowed as readonly string[]).includes(lower)) return lower as T
  read.problem(name, `${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
  return fallback
}

function urlOf(read: Reading, name: string, schemes: readonly string[], example: string): string | undefined {
  const raw = read.value(name)
  if (raw === undefined) return undefined
  let protocol: string | undefined
  try {
    protocol = new URL(raw).protocol
  } catch {
    protocol = undefined
  }
  if (protocol !== undefined && schemes.includes(protocol.slice(0, -1))) return raw
  read.problem(
    name,
    `${name} ${redactUrl(raw)} is not a ${schemes.map((scheme) => `${scheme}://`).join(' or ')} URL`,
    `set ${name}=${example}, or unset it`,
  )
  return undefined
}

const SECONDS_ABOVE_0_TO_600 = 'a number of seconds above 0 and at most 600'

function readServing(read: Reading) {
  return {
    port: numberOf(
      read,
      'PORT',
      5000,
      (port) => Number.isInteger(port) && port >= 0 && port <= 65535,
      'an integer from 0 to 65535',
    ),
    host: read.value('HOST') ?? '127.0.0.1',
    framework: oneOf(read, 'FRAMEWORK', FRAMEWORKS, 'fastify'),
    logLevel: oneOf(read, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    trustProxy: numberOf(
      read,
      'TRUST_PROXY',
      0,
      (count) => Number.isInteger(count) && count >= 0,
      'the number of reverse proxies in front of the server',
    ),
    shutdownTimeout: numberOf(read, 'SHUTDOWN_TIMEOUT', 5, (s) => s > 0 && s <= 600, SECONDS_ABOVE_0_TO_600),
    identityCache: flagOf(read, 'IDENTITY_CACHE') ?? true,
  }
}

function readStores(read: Reading) {
  return {
    dataDir: resolve(read.value('DATA_DIR') ?? './data'),
    databaseUrl: urlOf(
      read,
      'DATABASE_URL',
      ['postgres', 'postgresql'],
      'postgres://user:password@host:5432/db',
    ),
    redisUrl: urlOf(read, 'REDIS_URL', ['redis', 'rediss'], 'redis://host:6379'),
    redisKeyPrefix: read.value('REDIS_KEY_PREFIX') ?? 'jwtguard:',
    redisConnectTimeout: numberOf(
      read,
      'REDIS_CONNECT_TIMEOUT',
      10,
      (s) => s > 0 && s <= 600,
      SECONDS_ABOVE_0_TO_600,
    ),
  }
}

function readKeys(read: Reading) {
  const keyFile = read.value('KEY_FILE')
  const keyDir = read.value('KEY_DIR')
  const jwksUrl = read.value('JWKS_URL')
  const sources = [keyFile && 'KEY_FILE', keyDir && 'KEY_DIR', jwksUrl && 'JWKS_URL'].filter(
    (source): source is Exclude<KeySource, 'secret'> => typeof source === 'string',
  )
  if (sources.length > 1) {
    read.problem(
      sources[1] as string,
      `set only one of KEY_FILE, KEY_DIR and JWKS_URL, not ${sources.join(' and ')}`,
    )
  }
  const issuer = read.value('JWT_ISSUER')
  const audience = read.value('JWT_AUDIENCE')
  if (jwksUrl !== undefined && (issuer === undefined || audience === undefined)) {
    read.problem(
      'JWKS_URL',
      'JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE: a resource server pins who issued its tokens and for whom',
    )
  }
  const keyAlg = read.value('KEY_ALG')
  // An issuer and an audience, and nothing to sign with: a resource server, its JWKS discovered.
  const discovered =
    sources.length === 0 &&
    issuer !== undefined &&
    audience !== undefined &&
    read.value('JWT_SECRET_KEY') === undefined &&
    read.value('SECRET_KEY') === undefined
  const known = keyAlg === undefined || (RSA_KEY_ALGORITHMS as readonly string[]).includes(keyAlg)
  if (!known)
    read.problem('KEY_ALG', `KEY_ALG must be one of ${RSA_KEY_ALGORITHMS.join(', ')}, got "${keyAlg}"`)
  return {
    keyFile,
    keyDir,
    jwksUrl,
    keySource: sources[0] ?? ((discovered ? 'JWT_ISSUER' : 'secret') as KeySource),
    keyAlg: known ? (keyAlg as RsaKeyAlgorithm | undefined) : undefined,
    keyPollInterval: numberOf(
      read,
      'KEY_POLL_INTERVAL',
      5,
      (s) => s >= 0 && s <= 3600,
      'a number of seconds from 0 (off) to 3600',
    ),
    jwksCooldownMs: numberOf(
      read,
      'JWKS_COOLDOWN_MS',
      30_000,
      (ms) => Number.isInteger(ms) && ms >= 0,
      'a whole number of milliseconds',
    ),
    issuer,
    audience,
  }
}

const DPOP_MODES = ['required', 'allowed'] as const

function readDpop(read: Reading): Pick<Settings, 'dpop' | 'dpopOrigin'> {
  const raw = read.value('DPOP')
  const mode = raw?.toLowerCase()
  if (mode !== undefined && !(DPOP_MODES as readonly string[]).includes(mode)) {
    read.problem(
      'DPOP',
      `DPOP must be required or allowed, got "${raw}"`,
      'set DPOP=required or DPOP=allowed, or unset it',
    )
  }
  const dpopOrigin = urlOf(read, 'DPOP_ORIGIN', ['https', 'http'], 'https://api.example.com')
  if (dpopOrigin !== undefined && new URL(dpopOrigin).origin !== dpopOrigin.replace(/\/$/, '')) {
    read.problem(
      'DPOP_ORIGIN',
      'DPOP_ORIGIN must be an origin without a path',
      'set DPOP_ORIGIN=https://api.example.com',
    )
  }
  return {
    dpop: mode === 'required' || mode === 'allowed' ? mode : undefined,
    dpopOrigin: dpopOrigin === undefined ? undefined : new URL(dpopOrigin).origin,
  }
}

function readSecret(read: Reading): Pick<Settings, 'secret' | 'secretVariable'> {
  const fromJwt = read.value('JWT_SECRET_KEY')
  if (fromJwt !== undefined) return { secret: fromJwt, secretVariable: 'JWT_SECRET_KEY' }
  const fromAlias = read.value('SECRET_KEY')
  if (fromAlias !== undefined) return { secret: fromAlias, secretVariable: 'SECRET_KEY' }
  return { secret: undefined, secretVariable: undefined }
}

function readCookies(read: Reading, production: boolean) {
  const cookieSecureSetting = flagOf(read, 'COOKIE_SECURE')
  return {
    cookieSecureSetting,
    cookieSecure: production || (cookieSecureSetting ?? false),
    cookiePrefixes: production,
    tokensInBody: flagOf(read, 'TOKENS_IN_BODY') ?? true,
    behindTlsProxy: flagOf(read, 'BEHIND_TLS_PROXY') ?? false,
  }
}

/**
 * Reads the environment: the settings (an invalid value keeps its default) and every value the
 * server would refuse in any mode. The production policy (policy.ts) judges the settings further.
 */
export function readSettings(env: Env): { settings: Settings; problems: Problem[] } {
  const problems: Problem[] = []
  const read: Reading = {
    value: (name) => (env[name] === '' ? undefined : env[name]),
    problem: (variable, message, fix) =>
      problems.push(fix === undefined ? { variable, message } : { variable, message, fix }),
  }
  const production = env.NODE_ENV === 'production'
  const serving = readServing(read)
  const secret = readSecret(read)
  const stores = readStores(read)
  const keys = readKeys(read)
  const cookies = readCookies(read, production)
  const http = parseHttpLimits(env)
  if (http.problem !== undefined) read.problem(http.problem.variable, http.problem.message)
  const settings: Settings = {
    production,
    ...serving,
    ...secret,
    ...stores,
    ...keys,
    ...cookies,
    httpLimits: http.limits,
    ...readDpop(read),
  }
  return { settings, problems }
}

/** `DATA_DIR/secret.key`: where the server keeps the secret it generates outside production. */
export function storedSecretFile(settings: Pick<Settings, 'dataDir'>): string {
  return join(settings.dataDir, SECRET_FILE)
}

/**
 * The secret the server generated earlier in `file`; `undefined` when there is none.
 * @throws {ConfigError} when the file is empty or unreadable.
 */
export function readStoredSecret(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  let secret: string
  try {
    secret = readFileSync(file, 'utf8').trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new ConfigError(
      {
        variable: 'DATA_DIR',
        message: `cannot read ${file} (${code})`,
        fix: 'make it readable by this user, or set JWT_SECRET_KEY',
      },
      { cause: error },
    )
  }
  if (secret === '') {
    throw new ConfigError({
      variable: 'DATA_DIR',
      message: `${file} is empty`,
      fix: 'delete it to generate a new secret',
    })
  }
  return secret
}

/** `postgres://user:secret@host/db?password=…` without its password and query, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    parsed.search = ''
    return parsed.toString()
  } catch {
    return '(an unparsable URL)'
  }
}
