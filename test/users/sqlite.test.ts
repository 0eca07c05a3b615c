import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { runUserStoreConformance } from 'jwtguard/testing'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { VITEST } from '../support/runner.js'

runUserStoreConformance(VITEST, {
  name: 'sqlite (:memory:)',
  open: () => createSqliteUserStore({ database: ':memory:' }),
})

describe('sqlite user store on a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-users-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps users across reopening the file', async () => {
    const file = join(dir, 'users.db')
    const first = createSqliteUserStore({ database: file })
    await first.create({ id: 123, username: 'masnun', passwordHash: 'h' })
    await first.close()
    const second = createSqliteUserStore({ database: file })
    expect(await second.findById(123)).toMatchObject({ username: 'masnun' })
    await second.close()
  })

  it('migrates a users table made before the disabled flag: every user enabled, then disabled on demand', async () => {
    const file = join(dir, 'before-disabled.db')
    const old = new Database(file)
    old.exec(`CREATE TABLE jwtguard_users (
      id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
      password_hash TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '[]', created_at INTEGER NOT NULL)`)
    old.prepare(`INSERT INTO jwtguard_users VALUES (123, 'masnun', 'h', '["admin"]', 0)`).run()
    old.close()
    const store = createSqliteUserStore({ database: file })
    expect(await store.findById(123)).toEqual({
      id: 123,
      username: 'masnun',
      passwordHash: 'h',
      roles: ['admin'],
      disabled: false,
    })
    expect(await store.setDisabled('masnun', true)).toBe(true)
    await store.close()
    const reopened = createSqliteUserStore({ database: file })
    expect((await reopened.findByUsername('masnun'))?.disabled).toBe(true)
    await reopened.close()
  })

  it('refuses a table name that is not an identifier', () => {
    expect(() => createSqliteUserStore({ database: ':memory:', table: 'users; DROP TABLE x' })).toThrow(
      /identifier/,
    )
  })
})
