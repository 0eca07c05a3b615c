/**
 * The reference server's files on disk are private: `DATA_DIR` is created 0700 and the SQLite
 * database 0600 (SQLite gives its `-wal` and `-shm` files the database's mode), since they hold
 * argon2 hashes and refresh-token records. Files that already exist are not changed; the server
 * warns at start-up when one is readable by other local users, with the command that fixes it.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { readStoredSecret } from '../src/config/environment.js'

/** The most a private directory and a private file may allow. */
const DIRECTORY_MODE = 0o700
const FILE_MODE = 0o600

/** Creates `dir` (and missing parents) with mode 0700; an existing directory is left as it is. */
export function createPrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIRECTORY_MODE })
}

/** Creates `file` empty with mode 0600 unless it exists, so that SQLite opens a private file. */
export function createPrivateFile(file: string): void {
  if (existsSync(file)) return
  closeSync(openSync(file, 'a', FILE_MODE))
}

/** One warning for each existing path that grants more than its private mode. */
export function widePermissions(directory: string, files: readonly string[]): string[] {
  const warnings: string[] = []
  const check = (path: string, allowed: number, fix: string) => {
    if (!existsSync(path)) return
    const mode = statSync(path).mode & 0o777
    if ((mode & ~allowed) !== 0) {
      warnings.push(
        `${path} has mode ${mode.toString(8).padStart(4, '0')}: other local users can read it; run \`chmod ${fix} ${path}\``,
      )
    }
  }
  check(directory, DIRECTORY_MODE, '700')
  for (const file of files) check(file, FILE_MODE, '600')
  return warnings
}

/** The database's files: the database itself and SQLite's write-ahead log and shared memory. */
export function databaseFiles(databaseFile: string): string[] {
  return [databaseFile, `${databaseFile}-wal`, `${databaseFile}-shm`]
}

/**
 * The secret in `file`, created (32 random bytes, base64url, mode 0600) when absent. Safe when
 * several instances start at once: the file appears whole (written aside, then linked into place,
 * which fails if another instance was first), and every instance reads the one that won.
 */
export function readOrCreateSecret(file: string): string {
  if (!existsSync(file)) {
    const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`
    writeFileSync(aside, `${randomBytes(32).toString('base64url')}\n`, { mode: FILE_MODE, flag: 'wx' })
    try {
      linkSync(aside, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      unlinkSync(aside)
    }
  }
  // The file exists now (ours or another instance's): read, trimmed, an empty one refused, as
  // every stored secret is.
  return readStoredSecret(file) as string
}
