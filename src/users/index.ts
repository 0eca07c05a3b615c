/**
 * `jwtguard/users`: the user-store seam, argon2id hashing and the `authenticate` helper.
 *
 * @module jwtguard/users
 */

export type { AuthenticatedRecord } from './authenticator.js'
export { passwordAuthenticator, userLookup } from './authenticator.js'
export { createMemoryUserStore } from './memory.js'
export type { PasswordHasher, PasswordHashOptions } from './password.js'
export { createPasswordHasher, MAX_PASSWORD_LENGTH } from './password.js'
export type { EndingSessionsOptions } from './sessions.js'
export { endingSessions } from './sessions.js'
export type { NewUser, UserRecord, UserStore } from './types.js'
