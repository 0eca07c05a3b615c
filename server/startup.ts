/**
 * Start-up failures of the backends, turned into the one line the server prints: what could not
 * be reached or opened (the URL with its password hidden, or the file), why, and the fix.
 */
import { isJwtGuardError } from 'jwtguard'
import { redactUrl } from '../src/config/environment.js'

/** A refusal to start: the message is printed as the one line that says how to fix it. */
export class StartupRefusal extends Error {
  override name = 'StartupRefusal'
}

/** The driver's own reason, from a coded error's cause when there is one. */
function reason(error: unknown): string {
  const cause = isJwtGuardError(error) && error.cause !== undefined ? error.cause : error
  if (cause instanceof AggregateError && cause.errors.length > 0) return reason(cause.errors[0])
  const code = (cause as { code?: unknown } | null)?.code
  const message = cause instanceof Error ? cause.message : String(cause)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

export function redisRefusal(variable: string, url: string, error: unknown): StartupRefusal {
  return new StartupRefusal(
    `cannot use Redis at ${redactUrl(url)} (${variable}): ${reason(error)}. Start Redis or fix ${variable}; the server needs it at start-up`,
    { cause: error },
  )
}

export function postgresRefusal(url: string, error: unknown): StartupRefusal {
  return new StartupRefusal(
    `cannot use PostgreSQL at ${redactUrl(url)} (DATABASE_URL): ${reason(error)}. Start PostgreSQL or fix DATABASE_URL; the server needs it at start-up`,
    { cause: error },
  )
}

const SQLITE_FIXES: Record<string, string> = {
  SQLITE_CANTOPEN: 'check that DATA_DIR exists and that this user can write the directory and the file',
  SQLITE_READONLY: 'the file or its directory is read-only: make both writable by this user',
  SQLITE_PERM: 'make the file and its directory writable by this user',
  SQLITE_NOTADB:
    'the file is not a SQLite database: restore it from a backup, or move it away to start with an empty one',
  SQLITE_CORRUPT:
    'the database is corrupt: restore it from a backup, or move it away to start with an empty one',
}

export function sqliteRefusal(file: string, error: unknown): StartupRefusal {
  const code = String((error as { code?: unknown } | null)?.code ?? '')
  const family = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1')
  const fix = SQLITE_FIXES[family] ?? 'check the file and its directory (DATA_DIR)'
  return new StartupRefusal(`cannot open the SQLite database ${file}: ${reason(error)}. Fix: ${fix}`, {
    cause: error,
  })
}
