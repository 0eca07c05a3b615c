/**
 * What the CLI reads from the environment, the same variables as the reference server
 * (`JWT_SECRET_KEY`/`SECRET_KEY`, `DATA_DIR`, `DATABASE_URL`, `NODE_ENV`), and the user store they
 * point at: PostgreSQL when `DATABASE_URL` is set, else `DATA_DIR/jwtguard.db`.
 *
 * @module
 * @internal
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { UserStore } from '../../users/types.js'
import { CliError, type CliIo } from './command.js'

/** The server's file and table names: the CLI must manage the users the server reads. */
export const DATABASE_FILE = 'jwtguard.db'
export const SECRET_FILE = 'secret.key'

export interface Environment {
  production: boolean
  dataDir: string
  databaseUrl: string | undefined
  /** `JWT_SECRET_KEY`, else `SECRET_KEY`; `undefined` when neither is set or both are empty. */
  secret: string | undefined
  secretVariable: 'JWT_SECRET_KEY' | 'SECRET_KEY' | undefined
  /** `KEY_FILE`: one private key (PEM or JWK), as the server reads it. */
  keyFile: string | undefined
  /** `KEY_DIR`: a key directory (`jwtguard keys rotate`), as the server reads it. */
  keyDir: string | undefined
  /** `JWKS_URL`: resource-server mode, verification only. */
  jwksUrl: string | undefined
  /** `KEY_ALG`: the algorithm of RSA keys that name none. */
  keyAlg: string | undefined
  /** `JWT_ISSUER` / `JWT_AUDIENCE`: written into issued tokens and required on verified ones. */
  issuer: string | undefined
  audience: string | undefined
  /** `REDIS_URL`: where the server keeps its token store when set (else in the SQLite file). */
  redisUrl?: string | undefined
  /** `REDIS_KEY_PREFIX`, as the server reads it. */
  redisKeyPrefix?: string | undefined
}

export function readEnvironment(env: CliIo['env']): Environment {
  const fromJwt = env.JWT_SECRET_KEY === '' ? undefined : env.JWT_SECRET_KEY
  const fromSecret = env.SECRET_KEY === '' ? undefined : env.SECRET_KEY
  const set = (name: string): string | undefined => (env[name] === '' ? undefined : env[name])
  return {
    keyFile: set('KEY_FILE'),
    keyDir: set('KEY_DIR'),
    jwksUrl: set('JWKS_URL'),
    keyAlg: set('KEY_ALG'),
    issuer: set('JWT_ISSUER'),
    audience: set('JWT_AUDIENCE'),
    production: env.NODE_ENV === 'production',
    dataDir: resolve(env.DATA_DIR === undefined || env.DATA_DIR === '' ? './data' : env.DATA_DIR),
    databaseUrl: env.DATABASE_URL === '' ? undefined : env.DATABASE_URL,
    secret: fromJwt ?? fromSecret,
    secretVariable:
      fromJwt !== undefined ? 'JWT_SECRET_KEY' : fromSecret !== undefined ? 'SECRET_KEY' : undefined,
    redisUrl: env.REDIS_URL === '' ? undefined : env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
  }
}

/** `postgres://user:secret@host/db` without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}

/** Where the HMAC secret came from, and the secret. */
export interface SecretSource {
  secret: string
  source: string
}

/**
 * The HMAC secret, looked up as the server does: `--secret-file`, then `JWT_SECRET_KEY` or
 * `SECRET_KEY`, then (outside production) the secret the server generated in `DATA_DIR/secret.key`.
 */
export function resolveSecret(environment: Environment, secretFile: string | undefined): SecretSource {
  if (secretFile !== undefined) return { secret: readSecretFile(secretFile), source: secretFile }
  if (environment.secret !== undefined) {
    return { secret: environment.secret, source: environment.secretVariable ?? 'environment' }
  }
  const generated = join(environment.dataDir, SECRET_FILE)
  if (!environment.production && existsSync(generated)) {
    return { secret: readSecretFile(generated), source: generated }
  }
  throw new CliError(
    'no secret: set JWT_SECRET_KEY, pass --secret-file FILE, or set DATA_DIR to the server data directory holding secret.key',
  )
}

function readSecretFile(file: string): string {
  let secret: string
  try {
    secret = readFileSync(file, 'utf8').trim()
  } catch (error) {
    throw new CliError(`cannot read secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  if (secret === '')
    throw new CliError(`${file} is empty: write the secret into it (jwtguard secret generate --out FILE)`)
  return secret
}

/** Opens the server's user store. `create` makes `DATA_DIR` and the SQLite file when missing. */
export async function openUserStore(
  environment: Environment,
  mode: 'create' | 'existing',
): Promise<{ store: UserStore; location: string } | undefined> {
  if (environment.databaseUrl !== undefined) {
    const location = redactUrl(environment.databaseUrl)
    const { createPostgresUserStore } = await import('../../users/postgres.js')
    try {
      return { store: await createPostgresUserStore({ connectionString: environment.databaseUrl }), location }
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new CliError(
        `cannot open the user table at DATABASE_URL ${location} (${reason}): check the URL and that PostgreSQL is running`,
      )
    }
  }
  const file = join(environment.dataDir, DATABASE_FILE)
  if (!existsSync(file)) {
    if (mode === 'existing') return undefined
    // Private, as the server makes them: the database holds password hashes.
    mkdirSync(environment.dataDir, { recursive: true, mode: 0o700 })
    closeSync(openSync(file, 'a', 0o600))
  }
  const { createSqliteUserStore } = await import('../../users/sqlite.js')
  try {
    return { store: createSqliteUserStore({ database: file }), location: file }
  } catch (error) {
    throw new CliError(
      `cannot open ${file} (${(error as Error).message}): check DATA_DIR and its permissions`,
    )
  }
}

/** Like {@link openUserStore} for an existing store, failing with the fix when there is none. */
export async function requireUserStore(
  environment: Environment,
): Promise<{ store: UserStore; location: string }> {
  const opened = await openUserStore(environment, 'existing')
  if (opened === undefined) {
    throw new CliError(
      `no user database at ${join(environment.dataDir, DATABASE_FILE)}: set DATA_DIR to the server's data directory, or DATABASE_URL`,
    )
  }
  return opened
}
