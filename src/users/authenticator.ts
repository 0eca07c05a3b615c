/**
 * Turns a user store into Flask-JWT's `authenticate(username, password)` callback.
 *
 * @module
 */
import { createPasswordHasher, type PasswordHasher } from './password.js'
import type { UserRecord, UserStore } from './types.js'

/** The user `authenticate` returns: its `id` becomes the token's identity. */
export interface AuthenticatedRecord {
  id: number
  username: string
  roles: string[]
}

/**
 * Builds `authenticate` over a store. Exactly one argon2id verification runs per call, against a
 * dummy hash when the user does not exist, so an unknown user and a wrong password take the same
 * time. A disabled user is refused like a wrong password (`null`, after the same verification), so
 * the login answer tells no one which accounts exist or are disabled (Flask-JWT's one "Invalid
 * credentials"; OWASP's authentication cheat sheet).
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { passwordAuthenticator } from 'jwtguard/users'
 * const guard = createJwtGuard({ secret, authenticate: passwordAuthenticator(users), identity })
 * ```
 */
export function passwordAuthenticator(
  store: UserStore,
  hasher: PasswordHasher = createPasswordHasher(),
): (username: string, password: string) => Promise<AuthenticatedRecord | null> {
  return async function authenticate(username, password) {
    const user: UserRecord | null = await store.findByUsername(username)
    if (user === null) {
      await hasher.verifyDummy(password)
      return null
    }
    if (!(await hasher.verify(user.passwordHash, password)) || user.disabled) return null
    return { id: user.id, username: user.username, roles: user.roles }
  }
}

/**
 * Builds the guard's `lookupUser` over a store: the user as a login would return it (its current
 * roles), or `null` when it no longer exists or is disabled, so a refresh issues what a login would.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * import { passwordAuthenticator, userLookup } from 'jwtguard/users'
 * const guard = createJwtGuard({ secret, store, authenticate: passwordAuthenticator(users), lookupUser: userLookup(users), identity })
 * ```
 */
export function userLookup(store: UserStore): (id: string | number) => Promise<AuthenticatedRecord | null> {
  return async function lookupUser(id) {
    const user = await store.findById(typeof id === 'number' ? id : Number(id))
    return user === null || user.disabled ? null : { id: user.id, username: user.username, roles: user.roles }
  }
}
