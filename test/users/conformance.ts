/**
 * The user-store conformance suite, written once and run against every UserStore.
 */

import type { UserStore } from 'jwtguard/users'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

export function describeUserStore(name: string, open: () => Promise<UserStore>): void {
  describe(`UserStore conformance: ${name}`, () => {
    let store: UserStore
    beforeEach(async () => {
      store = await open()
    })
    afterEach(async () => {
      await store.close()
    })

    it('creates a user with a given id and finds it by name and id', async () => {
      const created = await store.create({
        id: 123,
        username: 'masnun',
        passwordHash: '$argon2id$x',
        roles: ['a'],
      })
      expect(created).toEqual({ id: 123, username: 'masnun', passwordHash: '$argon2id$x', roles: ['a'] })
      expect(await store.findByUsername('masnun')).toEqual(created)
      expect(await store.findById(123)).toEqual(created)
    })

    it('assigns ids when none is given', async () => {
      const first = await store.create({ username: 'one', passwordHash: 'h' })
      const second = await store.create({ username: 'two', passwordHash: 'h' })
      expect(first.id).toBeTypeOf('number')
      expect(second.id).not.toBe(first.id)
      expect(first.roles).toEqual([])
    })

    it('never hands out the id of a removed user again (its tokens would log in as the new user)', async () => {
      await store.create({ username: 'one', passwordHash: 'h' })
      const last = await store.create({ username: 'two', passwordHash: 'h' })
      await store.remove('two')
      const next = await store.create({ username: 'three', passwordHash: 'h' })
      expect(next.id).toBeGreaterThan(last.id)
    })

    it('returns null for unknown users, and matches usernames exactly', async () => {
      await store.create({ username: 'masnun', passwordHash: 'h' })
      expect(await store.findByUsername('nobody')).toBeNull()
      expect(await store.findByUsername('MASNUN')).toBeNull()
      expect(await store.findById(999_999)).toBeNull()
    })

    it('refuses a duplicate username or id', async () => {
      await store.create({ id: 5, username: 'masnun', passwordHash: 'h' })
      await expect(store.create({ username: 'masnun', passwordHash: 'h' })).rejects.toThrow(TypeError)
      await expect(store.create({ id: 5, username: 'other', passwordHash: 'h' })).rejects.toThrow(TypeError)
    })

    it('updates password hashes and roles, and removes users', async () => {
      await store.create({ username: 'masnun', passwordHash: 'old' })
      expect(await store.setPasswordHash('masnun', 'new')).toBe(true)
      expect(await store.setRoles('masnun', ['admin'])).toBe(true)
      expect(await store.findByUsername('masnun')).toMatchObject({ passwordHash: 'new', roles: ['admin'] })
      expect(await store.setPasswordHash('nobody', 'x')).toBe(false)
      expect(await store.remove('masnun')).toBe(true)
      expect(await store.remove('masnun')).toBe(false)
      expect(await store.findByUsername('masnun')).toBeNull()
    })

    it('lists users by id', async () => {
      await store.create({ id: 2, username: 'b', passwordHash: 'h' })
      await store.create({ id: 1, username: 'a', passwordHash: 'h' })
      expect((await store.list()).map((user) => user.username)).toEqual(['a', 'b'])
    })
  })
}
