/**
 * An in-memory {@link UserStore}: for tests, examples and the README's setups. Users live as long as
 * the process; use the SQLite or PostgreSQL store for anything that must survive a restart.
 */
import type { NewUser, UserRecord, UserStore } from './types.js'

function copy(user: UserRecord): UserRecord {
  return { ...user, roles: [...user.roles] }
}

function duplicate(user: NewUser): TypeError {
  return new TypeError(`a user with username "${user.username}" or id ${user.id ?? '?'} already exists`)
}

/**
 * Creates an in-memory user store. Ids are assigned in increasing order and never reused.
 *
 * @example
 * ```ts
 * import { createMemoryUserStore, createPasswordHasher, passwordAuthenticator } from 'jwtguard/users'
 * const hasher = createPasswordHasher()
 * const users = createMemoryUserStore()
 * await users.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })
 * const authenticate = passwordAuthenticator(users, hasher)
 * ```
 */
export function createMemoryUserStore(): UserStore {
  const byId = new Map<number, UserRecord>()
  const idOf = new Map<string, number>()
  let lastId = 0

  const find = (id: number | undefined): UserRecord | null => {
    const user = id === undefined ? undefined : byId.get(id)
    return user === undefined ? null : copy(user)
  }
  const update = (username: string, change: Partial<UserRecord>): boolean => {
    const user = byId.get(idOf.get(username) ?? Number.NaN)
    if (user !== undefined) Object.assign(user, change)
    return user !== undefined
  }

  return {
    async findByUsername(username) {
      return find(idOf.get(username))
    },
    async findById(id) {
      return find(id)
    },
    async create(user) {
      const id = user.id ?? lastId + 1
      if (!Number.isSafeInteger(id) || id < 1) throw new TypeError('a user id must be a positive integer')
      if (byId.has(id) || idOf.has(user.username)) throw duplicate(user)
      const record: UserRecord = {
        id,
        username: user.username,
        passwordHash: user.passwordHash,
        roles: [...(user.roles ?? [])],
        disabled: user.disabled === true,
      }
      byId.set(id, record)
      idOf.set(user.username, id)
      lastId = Math.max(lastId, id)
      return copy(record)
    },
    async setPasswordHash(username, passwordHash) {
      return update(username, { passwordHash })
    },
    async setRoles(username, roles) {
      return update(username, { roles: [...roles] })
    },
    async setDisabled(username, disabled) {
      return update(username, { disabled: disabled === true })
    },
    async remove(username) {
      const id = idOf.get(username)
      if (id === undefined) return false
      idOf.delete(username)
      return byId.delete(id)
    },
    async list() {
      return [...byId.values()].sort((a, b) => a.id - b.id).map(copy)
    },
    async close() {},
  } satisfies UserStore
}
