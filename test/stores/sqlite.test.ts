import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { runTokenStoreConformance } from 'jwtguard/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqliteStore } from '../../src/stores/sqlite.js'
import type { TokenStore } from '../../src/stores/types.js'
import { createSqliteUserStore } from '../../src/users/sqlite.js'
import { VITEST } from '../support/runner.js'
import { waitFor } from './support.js'

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jwtguard-sqlite-store-'))
}

runTokenStoreConformance(VITEST, {
  name: 'sqlite (file)',
  shared: true,
  // Another connection's commit reaches this process's view at the next sync (every 20 ms).
  propagationMs: 500,
  setup() {
    const dir = tempDir()
    const file = join(dir, 'jwtguard.db')
    return {
      open: (now) => createSqliteStore({ database: file, now, syncInterval: 0.02 }),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    }
  },
})

runTokenStoreConformance(VITEST, {
  name: 'sqlite (:memory:)',
  setup: () => ({ open: (now) => createSqliteStore({ database: ':memory:', now }) }),
})

describe('createSqliteStore', () => {
  let dir: string
  const cleanups: (() => unknown)[] = []
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    [{ database: ':memory:', tablePrefix: 'bad-prefix' }, TypeError],
    [{ database: ':memory:', tablePrefix: '1x' }, TypeError],
    [{ database: 42 as unknown as string }, TypeError],
    [{ database: ':memory:', pruneInterval: -1 }, RangeError],
    [{ database: ':memory:', syncInterval: Number.POSITIVE_INFINITY }, RangeError],
  ])('refuses the options %o', (options, type) => {
    expect(() => createSqliteStore(options)).toThrow(type)
  })

  it('lives in the same database as the users, under its table prefix, and leaves it open', async () => {
    const db = new Database(join(dir, 'shared.db'))
    cleanups.push(() => db.close())
    const users = createSqliteUserStore({ database: db })
    const store = createSqliteStore({ database: db, tablePrefix: 'auth_' })
    await users.create({ username: 'joe', passwordHash: 'x' })
    await store.revoke('jti', Date.now() / 1000 + 60)
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((row) => row.name)
    expect(tables).toEqual([
      'auth_claims',
      'auth_refresh_tokens',
      'auth_revoked_families',
      'auth_revoked_identities',
      'auth_revoked_tokens',
      'jwtguard_users',
    ])
    await store.close()
    await users.close()
    expect(db.open).toBe(true)
    expect(await createSqliteStore({ database: db, tablePrefix: 'auth_' }).isRevoked('jti')).toBe(true)
  })

  it('migrates a refresh table made before sessions were listed: its tokens still rotate and list', async () => {
    const file = join(dir, 'before-sessions.db')
    const old = new Database(file)
    old.exec(`CREATE TABLE jwtguard_refresh_tokens (
      id TEXT PRIMARY KEY, family_id TEXT NOT NULL, identity TEXT NOT NULL, issued_at REAL NOT NULL,
      expires_at INTEGER NOT NULL, spent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`)
    const t0 = Math.floor(Date.now() / 1000)
    old
      .prepare('INSERT INTO jwtguard_refresh_tokens VALUES (?, ?, ?, ?, ?, 0)')
      .run('r1', 'f1', '123', t0, t0 + 60)
    old.close()
    const store = createSqliteStore({ database: file, now: () => t0 })
    cleanups.push(() => store.close())
    expect(await store.sessions?.('123', t0)).toEqual([
      {
        id: 'f1',
        identity: '123',
        createdAt: t0,
        lastUsedAt: t0,
        expiresAt: t0 + 60,
        userAgent: null,
        clientAddress: null,
      },
    ])
    expect(await store.consumeRefresh('r1', t0)).toEqual({
      status: 'ok',
      record: { id: 'r1', familyId: 'f1', identity: '123', issuedAt: t0, expiresAt: t0 + 60 },
    })
  })

  it('closes a database it opened', async () => {
    const store = createSqliteStore({ database: join(dir, 'owned.db') })
    await store.close()
    await expect(store.isRevoked('x')).rejects.toThrow(/not open/)
  })

  it('deletes expired rows on its own timer', async () => {
    const db = new Database(join(dir, 'prune.db'))
    cleanups.push(() => db.close())
    let now = 1_000
    const store = createSqliteStore({ database: db, now: () => now, pruneInterval: 0.01 })
    cleanups.push(() => store.close())
    await store.revoke('a', 1_010)
    await store.revokeFamily('f', 1_010)
    await store.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: 990, expiresAt: 1_010 })
    const count = (): number =>
      db
        .prepare<[], { n: number }>(
          `SELECT (SELECT count(*) FROM jwtguard_revoked_tokens) + (SELECT count(*) FROM jwtguard_refresh_tokens)
             + (SELECT count(*) FROM jwtguard_revoked_families) AS n`,
        )
        .get()?.n ?? -1
    expect(count()).toBe(3)
    now = 1_020
    await waitFor(() => count() === 0, 2_000, 'automatic prune')
  })

  it('sweeps its view with the rows: revocations past their expiry leave nothing in memory', async () => {
    // 200k by default (issue 15 item 8); JWTGUARD_LEAK_REVOCATIONS scales it.
    const total = Number(process.env.JWTGUARD_LEAK_REVOCATIONS ?? 200_000)
    let now = 1_000
    const store = createSqliteStore({
      database: ':memory:',
      now: () => now,
      pruneInterval: 0.01,
      syncInterval: 0,
    })
    cleanups.push(() => store.close())
    for (let i = 0; i < total; i++) await store.revoke(`leak-${i}`, 1_010)
    await store.revokeAllFor('someone', 1_000, 1_010)
    expect(store.view.size).toBe(total + 1)
    expect(store.view.isRevoked('leak-7')).toBe(true)
    now = 1_020
    await waitFor(() => store.view.size === 0, 5_000, 'the view swept by the prune timer')
    expect(await store.prune(now)).toBe(0)
  }, 30_000)

  it('lets exactly one of four processes spend each refresh token', async () => {
    const file = join(dir, 'processes.db')
    const store: TokenStore = createSqliteStore({ database: file })
    cleanups.push(() => store.close())
    const now = Math.floor(Date.now() / 1000)
    const ids = Array.from({ length: 40 }, () => randomUUID())
    for (const id of ids) {
      await store.saveRefresh({ id, familyId: 'f', identity: 'i', issuedAt: now, expiresAt: now + 600 })
    }
    const script = join(import.meta.dirname, 'fixtures', 'sqlite-consumer.ts')
    const children: ChildProcess[] = []
    const outputs = Array.from({ length: 4 }, (_, i) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=jwtguard-source',
          script,
          file,
          String(now),
          ...(i % 2 ? [...ids].reverse() : ids),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      )
      children.push(child)
      let text = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      return {
        ready: waitFor(() => text.startsWith('ready\n'), 15_000, 'child ready'),
        done: new Promise<string>((resolve, reject) => {
          child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))))
        }),
      }
    })
    cleanups.push(() => {
      for (const child of children) child.kill()
    })
    await Promise.all(outputs.map((output) => output.ready))
    for (const child of children) child.stdin?.write('go\n')
    const lines = (await Promise.all(outputs.map((output) => output.done)))
      .flatMap((text) => text.split('\n'))
      .filter((line) => line !== '' && line !== 'ready')
    expect(lines).toHaveLength(4 * ids.length)
    for (const id of ids) {
      const statuses = lines.filter((line) => line.startsWith(`${id} `)).map((line) => line.split(' ')[1])
      expect(statuses.sort()).toEqual(['ok', 'reused', 'reused', 'reused'])
    }
  }, 30_000)
})
