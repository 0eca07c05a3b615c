/**
 * Issue 17 item 5: the reference server's files are private. DATA_DIR is created 0700, the SQLite
 * database and its WAL and SHM files 0600, and a start-up warning names any existing path that is
 * wider, with the chmod that fixes it.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.js'
import { createServerContext } from '../../server/context.js'
import { readOrCreateSecret } from '../../server/files.js'
import { ConfigError } from '../../src/config/environment.js'

const SECRET = 'files-test-secret-with-at-least-32-bytes'
const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'jwtguard-files-'))
  roots.push(root)
  return root
}

/** A pino logger whose lines land in `lines`. */
function capturingLogger(lines: { level: number; msg: string }[]) {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      callback()
    },
  })
  return pino({ level: 'info' }, stream)
}

const modeOf = (path: string) => statSync(path).mode & 0o777

describe('files on disk', () => {
  it('creates DATA_DIR 0700 and the database, WAL and SHM 0600, and warns about nothing', async () => {
    const dataDir = join(tempRoot(), 'nested', 'data')
    const lines: { level: number; msg: string }[] = []
    const config = loadConfig({ DATA_DIR: dataDir })
    const context = await createServerContext(config, capturingLogger(lines))
    try {
      // The demo user was written: the WAL and SHM files exist while the database is open.
      expect(existsSync(`${config.databaseFile}-wal`)).toBe(true)
      expect(existsSync(`${config.databaseFile}-shm`)).toBe(true)
      expect(modeOf(dataDir)).toBe(0o700)
      for (const file of ['jwtguard.db', 'jwtguard.db-wal', 'jwtguard.db-shm', 'secret.key']) {
        expect([file, modeOf(join(dataDir, file))]).toEqual([file, 0o600])
      }
      expect(lines.filter((line) => line.msg.includes('has mode'))).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('warns at start-up, with the fix, when an existing directory or database is wider', async () => {
    const dataDir = join(tempRoot(), 'data')
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    const database = join(dataDir, 'jwtguard.db')
    writeFileSync(database, '')
    chmodSync(database, 0o644)
    const lines: { level: number; msg: string }[] = []
    const context = await createServerContext(
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: SECRET }),
      capturingLogger(lines),
    )
    await context.close()
    const warnings = lines.filter((line) => line.level === 40).map((line) => line.msg)
    expect(warnings).toContain(
      `${dataDir} has mode 0755: other local users can read it; run \`chmod 700 ${dataDir}\``,
    )
    expect(warnings).toContain(
      `${database} has mode 0644: other local users can read it; run \`chmod 600 ${database}\``,
    )
    // Existing files are the operator's: warned about, not changed.
    expect(modeOf(dataDir)).toBe(0o755)
  })
})

describe('readOrCreateSecret (refresh.secret beside the keys)', () => {
  it('creates a 0600 secret once and reads the same one back', () => {
    const file = join(tempRoot(), 'refresh.secret')
    const first = readOrCreateSecret(file)
    expect(first.length).toBeGreaterThanOrEqual(43)
    expect(modeOf(file)).toBe(0o600)
    expect(readOrCreateSecret(file)).toBe(first)
  })
  it('refuses an empty file with the configuration error every stored secret gets', () => {
    const file = join(tempRoot(), 'refresh.secret')
    writeFileSync(file, '  \n')
    expect(() => readOrCreateSecret(file)).toThrow(ConfigError)
    expect(() => readOrCreateSecret(file)).toThrow(/is empty.*delete it to generate a new secret/s)
  })
})
