import { createPasswordHasher, MAX_PASSWORD_LENGTH, passwordAuthenticator, userLookup } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { describe, expect, it } from 'vitest'

// Small argon2 costs keep the suite fast; the parameters are the hasher's, not the store's.
const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 })

describe('argon2id hasher', () => {
  it('hashes with argon2id and never stores the password', async () => {
    const hash = await hasher.hash('abc123')
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    expect(hash).not.toContain('abc123')
    expect(await hasher.verify(hash, 'abc123')).toBe(true)
    expect(await hasher.verify(hash, 'abc124')).toBe(false)
  })

  it('answers false, not an exception, for a hash it cannot read', async () => {
    expect(await hasher.verify('not-a-hash', 'abc123')).toBe(false)
  })

  it('refuses empty and oversized passwords when hashing', async () => {
    await expect(hasher.hash('')).rejects.toThrow(TypeError)
    await expect(hasher.hash('x'.repeat(MAX_PASSWORD_LENGTH + 1))).rejects.toThrow(RangeError)
  })

  it('uses OWASP parameters by default', async () => {
    expect(await createPasswordHasher().hash('abc123')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })
})

describe('passwordAuthenticator', () => {
  it('returns the user for the right password and null otherwise', async () => {
    const store = createSqliteUserStore({ database: ':memory:' })
    await store.create({
      id: 123,
      username: 'masnun',
      passwordHash: await hasher.hash('abc123'),
      roles: ['x'],
    })
    const authenticate = passwordAuthenticator(store, hasher)
    expect(await authenticate('masnun', 'abc123')).toEqual({ id: 123, username: 'masnun', roles: ['x'] })
    expect(await authenticate('masnun', 'wrong')).toBeNull()
    expect(await authenticate('nobody', 'abc123')).toBeNull()
    await store.close()
  })

  it('refuses a disabled user as a wrong password, after the same one verification', async () => {
    const calls: string[] = []
    const counting = {
      hash: hasher.hash,
      verify: async (hash: string, password: string) => {
        calls.push('verify')
        return hasher.verify(hash, password)
      },
      verifyDummy: async (password: string) => {
        calls.push('dummy')
        await hasher.verifyDummy(password)
      },
    }
    const store = createSqliteUserStore({ database: ':memory:' })
    await store.create({ id: 5, username: 'masnun', passwordHash: await hasher.hash('abc123') })
    await store.setDisabled('masnun', true)
    expect(await passwordAuthenticator(store, counting)('masnun', 'abc123')).toBeNull()
    expect(calls).toEqual(['verify'])
    expect(await userLookup(store)(5)).toBeNull()
    await store.setDisabled('masnun', false)
    expect(await passwordAuthenticator(store, counting)('masnun', 'abc123')).toMatchObject({ id: 5 })
    expect(await userLookup(store)('5')).toMatchObject({ id: 5, username: 'masnun' })
    await store.close()
  })

  it('spends one argon2 verification for an unknown user too', async () => {
    const calls: string[] = []
    const counting = {
      hash: hasher.hash,
      verify: async (hash: string, password: string) => {
        calls.push('verify')
        return hasher.verify(hash, password)
      },
      verifyDummy: async (password: string) => {
        calls.push('dummy')
        await hasher.verifyDummy(password)
      },
    }
    const store = createSqliteUserStore({ database: ':memory:' })
    await store.create({ username: 'masnun', passwordHash: await hasher.hash('abc123') })
    const authenticate = passwordAuthenticator(store, counting)
    await authenticate('nobody', 'abc123')
    await authenticate('masnun', 'wrong')
    expect(calls).toEqual(['dummy', 'verify'])
    await store.close()
  })
})

describe('argon2 concurrency limit', () => {
  it('runs at most `limit` tasks at once, the others in order', async () => {
    const { limiter } = await import('../../src/users/password.js')
    const limit = limiter(2)
    let running = 0
    let peak = 0
    const order: number[] = []
    const task = (id: number) =>
      limit(async () => {
        running += 1
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        order.push(id)
        running -= 1
        return id
      })
    expect(await Promise.all([1, 2, 3, 4, 5].map(task))).toEqual([1, 2, 3, 4, 5])
    expect(peak).toBe(2)
    expect(order.slice(0, 2).sort()).toEqual([1, 2])
  })

  it('refuses a limit below one', () => {
    expect(() => createPasswordHasher({ maxConcurrency: 0 })).toThrow(RangeError)
  })
})
