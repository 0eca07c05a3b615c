/**
 * The reference server's configuration: the environment read by the reader it shares with the
 * `jwtguard` CLI (src/config/), as docs/CONTRACT.md describes. Anything invalid, and with
 * `NODE_ENV=production` anything weak, fails here, at start-up, with one line that says the fix.
 * What only the server does is here: it creates `DATA_DIR` and generates the secret it lacks.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  DATABASE_FILE,
  readStoredSecret,
  redactUrl,
  type Settings,
  storedSecretFile,
} from '../src/config/environment.js'
import { loadSettings } from '../src/config/policy.js'
import { createPrivateDirectory } from './files.js'

export { ConfigError, FRAMEWORKS, type Framework } from '../src/config/environment.js'

export interface ServerConfig extends Settings {
  /**
   * The HMAC secret in use: `JWT_SECRET_KEY` (or `SECRET_KEY`), else outside production the one
   * generated in `DATA_DIR/secret.key`; `''` with asymmetric keys.
   */
  secret: string
  /** Where the secret came from, for the start-up log. */
  secretSource: 'environment' | 'generated' | 'data-dir'
  /** `DATA_DIR/secret.key` when the secret is kept there. */
  secretFile: string | undefined
  /** `DATA_DIR/jwtguard.db`: users without `DATABASE_URL`, tokens without `REDIS_URL`. */
  databaseFile: string
}

type SecretInUse = Pick<ServerConfig, 'secret' | 'secretSource' | 'secretFile'>

/** The secret in use; outside production a missing one is generated once, 0600, and kept. */
function secretInUse(settings: Settings): SecretInUse {
  if (settings.keySource !== 'secret') {
    return { secret: '', secretSource: 'environment', secretFile: undefined }
  }
  if (settings.secret !== undefined) {
    return { secret: settings.secret, secretSource: 'environment', secretFile: undefined }
  }
  // With NODE_ENV=production a missing secret was refused by loadSettings.
  const secretFile = storedSecretFile(settings)
  let secret = readStoredSecret(secretFile)
  let secretSource: SecretInUse['secretSource'] = 'data-dir'
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64url')
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    secretSource = 'generated'
  }
  chmodSync(secretFile, 0o600)
  return { secret, secretSource, secretFile }
}

/**
 * The server's configuration from `env`: {@link loadSettings}, then `DATA_DIR` created 0700 and
 * the secret resolved.
 * @throws {ConfigError} with the one line to print.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const settings = loadSettings(env)
  createPrivateDirectory(settings.dataDir)
  return {
    ...settings,
    ...secretInUse(settings),
    databaseFile: join(settings.dataDir, DATABASE_FILE),
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
