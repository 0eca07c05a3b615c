// The minimal application of bench/cold-start.ts: Fastify, jwtguard's plugin (from dist/, plain
// Node.js), its /auth route with an in-memory user, one protected route. No store, no database.
import Fastify from 'fastify'
import { createJwtGuard } from 'jwtguard'
import { jwtGuardPlugin } from 'jwtguard/fastify'

const guard = createJwtGuard({
  secret: process.env.JWT_SECRET_KEY,
  authenticate: (username, password) => (username === 'masnun' && password === 'abc123' ? { id: 123 } : null),
  identity: (payload) => ({ user_id: payload.identity }),
})
const app = Fastify()
await app.register(jwtGuardPlugin, { guard })
app.get('/private', { preHandler: app.jwtRequired() }, async () => ({ meaning_of_life: 42 }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
