import { runUserStoreConformance } from 'jwtguard/testing'
import { createMemoryUserStore } from 'jwtguard/users'
import { describe, expect, it } from 'vitest'
import { VITEST } from '../support/runner.js'

runUserStoreConformance(VITEST, { name: 'memory', open: () => createMemoryUserStore() })

describe('memory user store', () => {
  it('hands out copies: changing a returned record changes nothing stored', async () => {
    const users = createMemoryUserStore()
    const created = await users.create({ username: 'masnun', passwordHash: 'h', roles: ['a'] })
    created.roles.push('admin')
    const found = await users.findByUsername('masnun')
    expect(found?.roles).toEqual(['a'])
    found?.roles.push('admin')
    expect((await users.findById(created.id))?.roles).toEqual(['a'])
  })

  it('refuses an id that is not a positive integer', async () => {
    const users = createMemoryUserStore()
    await expect(users.create({ id: 0, username: 'a', passwordHash: 'h' })).rejects.toThrow(
      /positive integer/,
    )
    await expect(users.create({ id: 1.5, username: 'a', passwordHash: 'h' })).rejects.toThrow(
      /positive integer/,
    )
  })
})
