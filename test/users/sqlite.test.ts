import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

  it('refuses a table name that is not an identifier', () => {
    expect(() => createSqliteUserStore({ database: ':memory:', table: 'users; DROP TABLE x' })).toThrow(
      /identifier/,
    )
  })
})
