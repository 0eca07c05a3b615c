/**
 * Changes to a user that end its sessions: a user store wrapper that, after a password change, a
 * role removal, disabling or a removal, ends every session of that user (every refresh family refused and a
 * "log out everywhere" cut-off for its access tokens, through the token store, so on every
 * instance that shares it).
 *
 * @module
 */
import type { UserStore } from './types.js'

/** Options of {@link endingSessions}. */
export interface EndingSessionsOptions {
  /**
   * Ends every session of the user with this id: `(id) => guard.revokeAllFor(id)`. A rejection
   * is passed on to the caller (the change itself is already made).
   */
  endSessions: (id: number) => Promise<void>
  /**
   * Whether granting a role (no role removed) ends the sessions too. Off: the user's next refresh
   * picks the new role up (see `lookupUser`).
   * @default false
   */
  onRoleGrant?: boolean | undefined
}

/**
 * Wraps a user store so that `setPasswordHash`, `setRoles` (when a role is removed, or granted
 * with `onRoleGrant`), `setDisabled(username, true)` and `remove` end the user's sessions once the
 * change is made. Every change goes through the one `endSessions` hook, so whatever else must
 * forget the user (a cache of identities, say) hooks in there once.
 *
 * @example
 * ```ts
 * import { endingSessions } from 'jwtguard/users'
 * const managed = endingSessions(users, { endSessions: (id) => guard.revokeAllFor(id) })
 * await managed.setRoles('masnun', []) // the admin role is gone from every session at once
 * ```
 */
export function endingSessions(users: UserStore, options: EndingSessionsOptions): UserStore {
  if (typeof options?.endSessions !== 'function') {
    throw new TypeError('endSessions(id) is required: e.g. (id) => guard.revokeAllFor(id)')
  }
  const { endSessions } = options
  const onRoleGrant = options.onRoleGrant ?? false
  /** Runs `change` on an existing user, then ends its sessions when `ends` says so. */
  async function changing(
    username: string,
    change: () => Promise<boolean>,
    ends: (roles: readonly string[]) => boolean = () => true,
  ): Promise<boolean> {
    const user = await users.findByUsername(username)
    if (user === null) return false
    const changed = await change()
    if (changed && ends(user.roles)) await endSessions(user.id)
    return changed
  }
  return {
    findByUsername: (username) => users.findByUsername(username),
    findById: (id) => users.findById(id),
    create: (user) => users.create(user),
    list: () => users.list(),
    close: () => users.close(),
    setPasswordHash: (username, hash) => changing(username, () => users.setPasswordHash(username, hash)),
    setRoles: (username, roles) =>
      changing(
        username,
        () => users.setRoles(username, roles),
        (before) =>
          before.some((role) => !roles.includes(role)) ||
          (onRoleGrant && roles.some((role) => !before.includes(role))),
      ),
    setDisabled: (username, disabled) =>
      changing(
        username,
        () => users.setDisabled(username, disabled),
        () => disabled === true,
      ),
    remove: (username) => changing(username, () => users.remove(username)),
  }
}
