/**
 * jwtguard on Hono (on Node through @hono/node-server): the seed's API in one file, with
 * argon2id-hashed users and refresh tokens.
 * Run: JWT_SECRET_KEY=$(openssl rand -hex 32) npx tsx examples/hono/app.ts (see examples/README.md)
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createJwtGuard } from 'jwtguard'
import { jwtGuard } from 'jwtguard/hono'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createPasswordHasher, passwordAuthenticator } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'

const secret = process.env.JWT_SECRET_KEY
if (secret === undefined) throw new Error('set JWT_SECRET_KEY to at least 32 random bytes')

// The seed's user, masnun / abc123 (stored as an argon2id hash, never in clear).
const users = createSqliteUserStore({ database: ':memory:' })
const hasher = createPasswordHasher()
await users.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })

const auth = jwtGuard(
  createJwtGuard({
    secret,
    store: createMemoryStore(), // mounts POST /auth/refresh and /auth/revoke too
    authenticate: passwordAuthenticator(users, hasher),
    identity: async (payload) => {
      const user = await users.findById(Number(payload.identity))
      return user === null ? null : { user_id: user.id }
    },
  }),
)

const app = new Hono()
app.route('/', auth.routes) // POST /auth
app.get('/api/v1/private', auth.jwtRequired(), (c) => c.json({ meaning_of_life: 42 }))
app.get('/api/v1/me', auth.jwtRequired(), (c) => c.json(c.get('identity')))
app.onError(auth.onError) // the contract's JSON errors
app.notFound(auth.notFound(app)) // JSON 404, and 405 with Allow

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 5000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`)
})
