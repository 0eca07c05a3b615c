/**
 * The user store seam: one small async interface, implemented for SQLite and PostgreSQL.
 *
 * @module
 */

/** A stored user. The password is only ever kept as an argon2id hash. */
export interface UserRecord {
  id: number
  username: string
  passwordHash: string
  roles: string[]
  /**
   * A disabled user cannot log in (the login answers as for a wrong password) nor refresh (the
   * user lookup finds no one); disabling ends its sessions when done through `endingSessions`.
   */
  disabled: boolean
}

/** What {@link UserStore.create} takes. `id` is assigned by the store when omitted. */
export interface NewUser {
  id?: number | undefined
  username: string
  passwordHash: string
  roles?: readonly string[] | undefined
  /** @default false */
  disabled?: boolean | undefined
}

/** Persistence of users. Every method is async so network-backed stores fit the same seam. */
export interface UserStore {
  /** The user with this exact username, or `null`. */
  findByUsername(username: string): Promise<UserRecord | null>
  /** The user with this id, or `null` (also for an id that is not a safe integer). */
  findById(id: number): Promise<UserRecord | null>
  /** Creates a user; rejects with a `TypeError` naming the conflict when the username or id exists. */
  create(user: NewUser): Promise<UserRecord>
  /** Replaces the password hash; `false` when there is no such user. */
  setPasswordHash(username: string, passwordHash: string): Promise<boolean>
  /** Replaces the roles; `false` when there is no such user. */
  setRoles(username: string, roles: readonly string[]): Promise<boolean>
  /** Disables or re-enables a user; `false` when there is no such user. */
  setDisabled(username: string, disabled: boolean): Promise<boolean>
  /** Removes a user; `false` when there was none. */
  remove(username: string): Promise<boolean>
  /** Every user, by id. */
  list(): Promise<UserRecord[]>
  /** Closes what the store opened itself (a connection it was given stays open). */
  close(): Promise<void>
}
