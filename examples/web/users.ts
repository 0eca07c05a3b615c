/**
 * The seed's user, masnun / abc123, for the Web-standard examples (Next.js, Bun, Workers): kept as
 * a PBKDF2-SHA256 hash (node:crypto, which all three provide; argon2id and SQLite, as the Node
 * examples use, need native modules that Workers cannot load). Replace it with your user store.
 */
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import type { AuthenticatedUser, JwtPayload } from 'jwtguard'

const ITERATIONS = 100_000
const SALT = Buffer.from('jwtguard-example-salt')
const hash = (password: string) => pbkdf2Sync(password, SALT, ITERATIONS, 32, 'sha256')

const USERS = new Map([['masnun', { id: 123, passwordHash: hash('abc123') }]])
const NOBODY = hash('an unknown user costs the same time')

/** `authenticate` for `createJwtGuard`: the user, or `null` (same cost for an unknown name). */
export function authenticate(username: string, password: string): AuthenticatedUser | null {
  const user = USERS.get(username)
  const matches = timingSafeEqual(hash(password), user?.passwordHash ?? NOBODY)
  return user !== undefined && matches ? { id: user.id } : null
}

/** `identity` for `createJwtGuard`: what protected handlers receive. */
export function identity(payload: JwtPayload): { user_id: number } | null {
  return [...USERS.values()].some((user) => user.id === payload.identity)
    ? { user_id: Number(payload.identity) }
    : null
}
