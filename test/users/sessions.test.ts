/**
 * endingSessions (issue 15 item 2) on the SQLite and the PostgreSQL user stores: a password
 * change, a role removal and a removal end the user's sessions once the change is made; a role
 * grant only with `onRoleGrant`; nothing for an unknown user or a change that changed nothing.
 *
 * @see issue 15
 */
import { randomBytes } from 'node:crypto'
import { endingSessions, type UserStore } from 'jwtguard/users'
import { createPostgresUserStore } from 'jwtguard/users/postgres'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { Pool } from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

const URL = process.env.POSTGRES_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TABLE_PREFIX = `jwtguard_sessions_test_${randomBytes(4).toString('hex')}_`
const tables: string[] = []

afterAll(async () => {
  if (tables.length === 0) return
  const admin = new Pool({ connectionString: URL, max: 1 })
  for (const table of tables) await admin.query(`DROP TABLE IF EXISTS "${table}"`)
  await admin.end()
})

const STORES: [string, () => Promise<UserStore>][] = [
  ['sqlite', async () => createSqliteUserStore({ database: ':memory:' })],
  [
    'postgres',
    async () => {
      const table = `${TABLE_PREFIX}${tables.length + 1}`
      tables.push(table)
      return createPostgresUserStore({ connectionString: URL, table })
    },
  ],
]

describe.each(STORES)('endingSessions over the %s user store', (_name, open) => {
  async function setup(onRoleGrant?: boolean) {
    const raw = await open()
    await raw.create({ id: 41, username: 'ann', passwordHash: '$argon2id$old', roles: ['admin', 'editor'] })
    const ended: number[] = []
    const users = endingSessions(raw, {
      endSessions: async (id) => {
        ended.push(id)
      },
      onRoleGrant,
    })
    return { users, ended }
  }

  it('ends the sessions after a password change, a role removal and a removal', async () => {
    const { users, ended } = await setup()
    expect(await users.setPasswordHash('ann', '$argon2id$new')).toBe(true)
    expect(ended).toEqual([41])
    expect(await users.setRoles('ann', ['editor'])).toBe(true)
    expect(ended).toEqual([41, 41])
    expect((await users.findById(41))?.roles).toEqual(['editor'])
    expect(await users.remove('ann')).toBe(true)
    expect(ended).toEqual([41, 41, 41])
    expect(await users.findByUsername('ann')).toBeNull()
    await users.close()
  })

  it('ends the sessions when a user is disabled, not when it is enabled again', async () => {
    const { users, ended } = await setup()
    expect(await users.setDisabled('ann', true)).toBe(true)
    expect(ended).toEqual([41])
    expect((await users.findById(41))?.disabled).toBe(true)
    expect(await users.setDisabled('ann', false)).toBe(true)
    expect(await users.setDisabled('nobody', true)).toBe(false)
    expect(ended).toEqual([41])
    expect((await users.findByUsername('ann'))?.disabled).toBe(false)
    await users.close()
  })

  it('leaves the sessions on a role grant unless onRoleGrant, and on an unknown user', async () => {
    const { users, ended } = await setup()
    expect(await users.setRoles('ann', ['admin', 'editor', 'viewer'])).toBe(true)
    expect(await users.setPasswordHash('nobody', '$argon2id$x')).toBe(false)
    expect(await users.remove('nobody')).toBe(false)
    expect(ended).toEqual([])
    await users.close()
    const granting = await setup(true)
    expect(await granting.users.setRoles('ann', ['admin', 'editor', 'viewer'])).toBe(true)
    expect(granting.ended).toEqual([41])
    await granting.users.close()
  })

  it('passes on a failure to end the sessions, after the change is made', async () => {
    const raw = await open()
    await raw.create({ id: 42, username: 'bob', passwordHash: '$argon2id$old' })
    const users = endingSessions(raw, {
      endSessions: async () => {
        throw new Error('token store down')
      },
    })
    await expect(users.setPasswordHash('bob', '$argon2id$new')).rejects.toThrow('token store down')
    expect((await raw.findById(42))?.passwordHash).toBe('$argon2id$new')
    await users.close()
  })

  it('refuses to be built without endSessions', async () => {
    const raw = await open()
    expect(() => endingSessions(raw, {} as never)).toThrow(/endSessions\(id\) is required/)
    await raw.close()
  })
})
