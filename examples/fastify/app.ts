/**
 * jwtguard on Fastify: the seed's API in one file, with argon2id-hashed users and refresh tokens.
 * Run: JWT_SECRET_KEY=$(openssl rand -hex 32) npx tsx examples/fastify/app.ts (see examples/README.md)
 */
import Fastify from 'fastify'
import { createJwtGuard, currentIdentity } from 'jwtguard'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createPasswordHasher, passwordAuthenticator } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'

const secret = process.env.JWT_SECRET_KEY
if (secret === undefined) throw new Error('set JWT_SECRET_KEY to at least 32 random bytes')

// The seed's user, masnun / abc123 (stored as an argon2id hash, never in clear).
const users = createSqliteUserStore({ database: ':memory:' })
const hasher = createPasswordHasher()
await users.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })

const guard = createJwtGuard({
  secret,
  store: createMemoryStore(), // mounts POST /auth/refresh and /auth/revoke too
  authenticate: passwordAuthenticator(users, hasher),
  identity: async (payload) => {
    const user = await users.findById(Number(payload.identity))
    return user === null ? null : { user_id: user.id }
  },
  currentIdentity: true, // Flask-JWT's current_identity, readable from any code a handler calls
})

const app = Fastify()
await app.register(jwtGuardPlugin, { guard }) // POST /auth
app.get('/api/v1/private', { preHandler: app.jwtRequired() }, async () => ({ meaning_of_life: 42 }))
app.get('/api/v1/me', { preHandler: app.jwtRequired() }, async () => currentIdentity())

const address = await app.listen({ port: Number(process.env.PORT ?? 5000), host: '127.0.0.1' })
console.log(`listening on ${address}`)
