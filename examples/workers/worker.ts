/**
 * jwtguard on Cloudflare Workers: the seed's API as the Worker's `fetch`, through the
 * Web-standard adapter (jwtguard/fetch). Needs the `nodejs_compat` flag (wrangler.toml): the core
 * signs and verifies with node:crypto.
 * Run: npx wrangler secret put JWT_SECRET_KEY, then npx wrangler dev (see examples/README.md)
 */
import { createJwtGuard } from 'jwtguard'
import { type FetchHandler, jwtGuard } from 'jwtguard/fetch'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { authenticate, identity } from '../web/users.js'

/** The Worker's bindings (wrangler.toml and `wrangler secret put`). */
export interface Env {
  JWT_SECRET_KEY: string
}

/** The part of the Workers API this file uses (@cloudflare/workers-types has the whole of it). */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

// Bindings arrive with the first request: the app is made then, once per isolate. The memory
// store lives as long as the isolate: use a shared store (Redis) for revocations across isolates.
let app: ((request: Request) => Promise<Response>) | undefined

function appOf(env: Env): (request: Request) => Promise<Response> {
  const store = createMemoryStore({ pruneInterval: 0 }) // no timer: Workers allow none outside a request
  const auth = jwtGuard(createJwtGuard({ secret: env.JWT_SECRET_KEY, authenticate, identity, store }), {
    // Cloudflare's own header for the client's address, for login throttling.
    remoteAddress: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
  })
  const routes: Record<string, FetchHandler> = {
    '/api/v1/private': auth.protect(() => Response.json({ meaning_of_life: 42 })),
    '/api/v1/me': auth.protect((_request, { identity }) => Response.json(identity)),
  }
  return async (request) => {
    const answered = await auth.handle(request) // POST /auth, /auth/refresh, /auth/revoke
    if (answered !== null) return answered
    const route = routes[new URL(request.url).pathname]
    if (route === undefined) return auth.notFound(request) // the contract's JSON 404
    return request.method === 'GET' ? route(request) : auth.notFound(request, ['GET']) // 405 with Allow
  }
}

export default {
  fetch(request: Request, env: Env, _ctx: ExecutionContext): Promise<Response> {
    app ??= appOf(env)
    return app(request)
  },
}
