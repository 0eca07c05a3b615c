/**
 * jwtguard on Bun: the seed's API as one `fetch` function for `Bun.serve`, through the
 * Web-standard adapter (jwtguard/fetch).
 * Run: JWT_SECRET_KEY=$(openssl rand -hex 32) bun examples/bun/server.ts
 */
import { createJwtGuard } from 'jwtguard'
import { type FetchHandler, jwtGuard } from 'jwtguard/fetch'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { authenticate, identity } from '../web/users.js'

/** The part of Bun's API this file uses (bun-types has the whole of it). */
interface BunServer {
  requestIP(request: Request): { address: string } | null
}
declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: {
    port: number
    hostname: string
    fetch(request: Request, server: BunServer): Promise<Response>
  }): { port: number }
}

const secret = Bun.env.JWT_SECRET_KEY
if (secret === undefined) throw new Error('set JWT_SECRET_KEY to at least 32 random bytes')

const auth = jwtGuard(createJwtGuard({ secret, authenticate, identity, store: createMemoryStore() }), {
  // The client's address, for login throttling.
  remoteAddress: (request, server: BunServer) => server.requestIP(request)?.address,
})

const routes: Record<string, FetchHandler> = {
  '/api/v1/private': auth.protect(() => Response.json({ meaning_of_life: 42 })),
  '/api/v1/me': auth.protect((_request, { identity }) => Response.json(identity)),
}

const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 5000),
  hostname: '127.0.0.1',
  async fetch(request, bunServer) {
    const answered = await auth.handle(request, bunServer) // POST /auth, /auth/refresh, /auth/revoke
    if (answered !== null) return answered
    const route = routes[new URL(request.url).pathname]
    if (route === undefined) return auth.notFound(request) // the contract's JSON 404
    return request.method === 'GET' ? route(request) : auth.notFound(request, ['GET']) // 405 with Allow
  },
})
console.log(`listening on http://127.0.0.1:${server.port}`)
