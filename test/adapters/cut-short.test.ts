/**
 * Issue 16: one capped body reader for every adapter. A login body whose stream fails midway (the
 * client went away) is a 400 `ERR_BODY_MALFORMED` on the Web-standard adapters as it was on NestJS,
 * not a 500 with the stream's error in the server's log.
 */
import { Hono } from 'hono'
import { jwtGuard as fetchGuard } from 'jwtguard/fetch'
import { jwtGuard as honoGuard } from 'jwtguard/hono'
import { describe, expect, it } from 'vitest'
import { makeGuard } from './fixtures.js'

/** A login request whose body sends its first bytes, then fails. */
function cutShort(): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"username":"mas'))
      controller.error(new Error('connection reset by peer'))
    },
  })
  return new Request('http://localhost/auth', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit)
}

const apps = {
  fetch(logged: unknown[]) {
    const auth = fetchGuard(makeGuard(), { logError: (error) => logged.push(error) })
    return async (request: Request) => (await auth.handle(request)) ?? new Response(null, { status: 404 })
  },
  hono(logged: unknown[]) {
    const app = new Hono()
    app.route('/', honoGuard(makeGuard(), { logError: (error) => logged.push(error) }).routes)
    return (request: Request) => app.request(request)
  },
}

describe.each(Object.entries(apps))('%s: a login body cut short', (_name, build) => {
  it('is a 400 ERR_BODY_MALFORMED in the contract JSON, and nothing is logged', async () => {
    const logged: unknown[] = []
    const response = await build(logged)(cutShort())
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      status_code: 400,
      error: 'Bad Request',
      description: 'Request body was cut short',
    })
    expect(logged).toEqual([])
  })
})
