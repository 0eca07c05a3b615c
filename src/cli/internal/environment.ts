/**
 * What the CLI reads from the environment: the settings of the reader it shares with the reference
 * server (src/config/environment.ts), so both resolve the same variables to the same values, and
 * the user store they point at: PostgreSQL when `DATABASE_URL` is set, else `DATA_DIR/jwtguard.db`.
 *
 * @module
 * @internal
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ConfigError,
  DATABASE_FILE,
  problemLine,
  readSettings,
  readStoredSecret,
  redactUrl,
  type Settings,
  storedSecretFile,
} from '../../config/environment.js'
import type { UserStore } from '../../users/types.js'
import { CliError, type CliIo } from './command.js'

export { DATABASE_FILE, redactUrl } from '../../config/environment.js'

/** The environment, as the server reads it. */
export type Environment = Settings

/**
 * The settings of `env`. A value the server would refuse to start with stops the command too,
 * with the server's line; the production policy is `jwtguard config check`'s.
 */
export function readEnvironment(env: CliIo['env']): Environment {
  const { settings, problems } = readSettings(env)
  const [first] = problems
  if (first !== undefined) throw new CliError(problemLine(first))
  return settings
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
    return { secret: environment.secret, source: environment.secretVariable ?? 'JWT_SECRET_KEY' }
  }
  if (!environment.production) {
    const generated = storedSecretFile(environment)
    const secret = storedSecret(generated)
    if (secret !== undefined) return { secret, source: generated }
  }
  throw new CliError(
    'no secret: set JWT_SECRET_KEY, pass --secret-file FILE, or set DATA_DIR to the server data directory holding secret.key',
  )
}

function storedSecret(file: string): string | undefined {
  try {
    return readStoredSecret(file)
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message)
    throw error
  }
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
