/**
 * jwtguard in a Next.js App Router app: one guard for the whole app, its fetch handlers imported by
 * the route handlers (app/auth/[[...route]]/route.ts, app/api/v1/private/route.ts, app/api/v1/me/route.ts).
 * Route handlers run on Node by default (`export const runtime = 'nodejs'`), which jwtguard needs.
 */
import { createJwtGuard } from 'jwtguard'
import { jwtGuard } from 'jwtguard/fetch'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { authenticate, identity } from '../../web/users.js'

const secret = process.env.JWT_SECRET_KEY
if (secret === undefined) throw new Error('set JWT_SECRET_KEY to at least 32 random bytes')

export const auth = jwtGuard(
  // A shared store (jwtguard/stores/redis) when the app runs on more than one instance.
  createJwtGuard({ secret, authenticate, identity, store: createMemoryStore() }),
)
