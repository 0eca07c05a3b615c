/**
 * The PostgreSQL user store against the real server on 127.0.0.1:5432 (never mocked). Every test
 * gets its own table, named with this run's random suffix, and every table is dropped at the end.
 * When PostgreSQL is unreachable the suite fails: nothing here is skipped.
 */
import { randomBytes } from 'node:crypto'
import { runUserStoreConformance } from 'jwtguard/testing'
import type { UserStore } from 'jwtguard/users'
import { createPostgresUserStore } from 'jwtguard/users/postgres'
import { Pool } from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VITEST } from '../support/runner.js'

const URL = process.env.POSTGRES_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const RUN = randomBytes(4).toString('hex')
const tables: string[] = []
let admin: Pool

function nextTable(): string {
  const table = `jwtguard_users_test_${RUN}_${tables.length + 1}`
  tables.push(table)
  return table
}

beforeAll(async () => {
  admin = new Pool({ connectionString: URL, max: 2 })
  // Fails the file, loudly, when the server is not there.
  await admin.query('SELECT 1')
})

afterAll(async () => {
  for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`)
  await admin.end()
})

runUserStoreConformance(VITEST, {
  name: 'postgres (own pool)',
  open: () => createPostgresUserStore({ connectionString: URL, table: nextTable() }),
})

runUserStoreConformance(VITEST, {
  name: 'postgres (given pool)',
  open: () => createPostgresUserStore({ pool: admin, table: nextTable() }),
})

describe('postgres user store', () => {
  it('moves the sequence past an explicit id, so generated ids never collide with it', async () => {
    const store = await createPostgresUserStore({ pool: admin, table: nextTable() })
    const first = await store.create({ username: 'first', passwordHash: 'h' })
    await store.create({ id: first.id + 1, username: 'explicit', passwordHash: 'h' })
    await store.create({ id: 123, username: 'seed', passwordHash: 'h' })
    const next = await store.create({ username: 'next', passwordHash: 'h' })
    expect(next.id).toBe(124)
    // An explicit id below the sequence never moves it back.
    await store.create({ id: 50, username: 'low', passwordHash: 'h' })
    expect((await store.create({ username: 'after', passwordHash: 'h' })).id).toBe(125)
    await store.close()
  })

  it('never hands out the id of a removed user again', async () => {
    const store = await createPostgresUserStore({ pool: admin, table: nextTable() })
    await store.create({ id: 10, username: 'gone', passwordHash: 'h' })
    await store.remove('gone')
    await store.create({ id: 3, username: 'low', passwordHash: 'h' })
    expect((await store.create({ username: 'new', passwordHash: 'h' })).id).toBe(11)
    await store.close()
  })

  it('keeps ids unique under concurrent explicit and generated creates', async () => {
    const store = await createPostgresUserStore({ connectionString: URL, table: nextTable() })
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        store.create(
          index % 4 === 0
            ? { id: 1000 * (index + 1), username: `explicit${index}`, passwordHash: 'h' }
            : { username: `generated${index}`, passwordHash: 'h' },
        ),
      ),
    )
    expect(new Set(created.map((user) => user.id)).size).toBe(40)
    // Explicit ids are far apart, so a generated one can only collide if the sequence went back.
    expect((await store.create({ username: 'last', passwordHash: 'h' })).id).toBeGreaterThan(37_000)
    await store.close()
  })

  it('migrates idempotently, also from several instances starting at once', async () => {
    const table = nextTable()
    const stores: UserStore[] = await Promise.all(
      Array.from({ length: 4 }, () => createPostgresUserStore({ connectionString: URL, table })),
    )
    await stores[0]?.create({ id: 7, username: 'shared', passwordHash: 'h', roles: ['admin'] })
    expect(await stores[3]?.findById(7)).toEqual({
      id: 7,
      username: 'shared',
      passwordHash: 'h',
      roles: ['admin'],
    })
    await Promise.all(stores.map((store) => store.close()))
    const reopened = await createPostgresUserStore({ connectionString: URL, table })
    expect(await reopened.findByUsername('shared')).toMatchObject({ id: 7 })
    await reopened.close()
  })

  it('leaves a given pool open on close', async () => {
    const store = await createPostgresUserStore({ pool: admin, table: nextTable() })
    await store.close()
    expect((await admin.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 })
  })

  it('refuses usernames, roles and ids the column types cannot hold, before the database', async () => {
    const store = await createPostgresUserStore({ pool: admin, table: nextTable() })
    await expect(store.create({ id: 1.5, username: 'x', passwordHash: 'h' })).rejects.toThrow(RangeError)
    await expect(store.create({ id: 2 ** 53, username: 'x', passwordHash: 'h' })).rejects.toThrow(RangeError)
    await expect(store.create({ username: '', passwordHash: 'h' })).rejects.toThrow(TypeError)
    expect(await store.findById(2 ** 60)).toBeNull()
    await store.close()
  })

  it.each([
    [{ table: 'users; DROP TABLE x', connectionString: URL }, /identifier/],
    [{ table: 'x'.repeat(64), connectionString: URL }, /identifier/],
    [{}, /either pool .* or connectionString/],
    [{ pool: new Pool(), connectionString: URL }, /either pool/],
    [{ pool: {} as Pool }, /Pool from the pg package/],
    [{ connectionString: 'mysql://localhost/db' }, /postgres:\/\//],
  ])('refuses invalid options %#', async (options, message) => {
    await expect(createPostgresUserStore(options)).rejects.toThrow(message)
  })

  it('rejects at creation when the database is unreachable', async () => {
    await expect(
      createPostgresUserStore({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        table: nextTable(),
      }),
    ).rejects.toThrow(/ECONNREFUSED|connect/)
  })
})
