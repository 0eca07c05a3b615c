/**
 * jwtguard/hono beyond the shared contract: HTTPException responses kept, unexpected errors logged
 * and hidden, `Allow` from the app's router, the body limit before and while reading, per-route
 * realms.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { jwtGuard } from 'jwtguard/hono'
import { describe, expect, it } from 'vitest'
import { makeGuard } from './fixtures.js'

function buildApp(logged: unknown[] = []) {
  const guard = makeGuard()
  const auth = jwtGuard(guard, { logError: (error) => logged.push(error) })
  const app = new Hono()
  app.use('*', async (_c, next) => next())
  app.route('/', auth.routes)
  app.get('/teapot', () => {
    throw new HTTPException(418, { message: 'short and stout' })
  })
  app.get('/boom', () => {
    throw new Error('database password is hunter2')
  })
  app.get('/admin', auth.jwtRequired({ realm: 'Admin area' }), (c) => c.json({ ok: true }))
  app.get(
    '/wrapped-boom',
    auth.protect(() => {
      throw new Error('database password is hunter2')
    }),
  )
  app.get('/items/:id', (c) => c.json({}))
  app.delete('/items/:id', (c) => c.json({}))
  app.onError(auth.onError)
  app.notFound(auth.notFound(app))
  return { guard, app }
}

/** A body that fails the test if anyone reads it. */
function unreadable(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull() {
      throw new Error('the body was read')
    },
  })
}

const LOGIN_HEADERS = { 'content-type': 'application/json' }

/** POST /auth with a streamed body. */
function postAuth(headers: Record<string, string>, body: ReadableStream<Uint8Array>) {
  const init = { method: 'POST', headers: { ...LOGIN_HEADERS, ...headers }, body, duplex: 'half' }
  return buildApp().app.request('/auth', init as RequestInit)
}

describe('jwtguard/hono', () => {
  it("keeps an HTTPException's own response", async () => {
    const logged: unknown[] = []
    const response = await buildApp(logged).app.request('/teapot')
    expect(response.status).toBe(418)
    expect(await response.text()).toBe('short and stout')
    expect(logged).toEqual([])
  })

  it('answers 500 for an unexpected error, logs it and leaks nothing', async () => {
    const logged: unknown[] = []
    const response = await buildApp(logged).app.request('/boom')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({
      status_code: 500,
      error: 'Internal Server Error',
      description: 'Internal server error',
    })
    expect(text).not.toContain('hunter2')
    expect((logged[0] as Error).message).toBe('database password is hunter2')
  })

  it("lets an error of a protect()-wrapped handler reach onError, not the guard's 401", async () => {
    const logged: unknown[] = []
    const { guard, app } = buildApp(logged)
    const token = guard.createAccessToken({ id: 123 })
    const response = await app.request('/wrapped-boom', { headers: { authorization: `JWT ${token}` } })
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('hunter2')
    expect((logged[0] as Error).message).toBe('database password is hunter2')
    expect((await app.request('/wrapped-boom')).status).toBe(401)
  })

  it('refuses to wrap something that is not a handler, at start-up', () => {
    const auth = jwtGuard(makeGuard())
    expect(() => auth.protect(undefined as never)).toThrow(/protect\(handler\) needs a handler function/)
  })

  it("computes Allow from the app's router, ignoring middleware", async () => {
    const { app } = buildApp()
    const response = await app.request('/items/7', { method: 'POST' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD, DELETE')
    expect((await app.request('/nothing', { method: 'POST' })).status).toBe(404)
  })

  it('refuses a Content-Length over the limit without reading the body', async () => {
    const response = await postAuth({ 'content-length': '16385' }, unreadable())
    expect(response.status).toBe(413)
  })

  it('stops reading a stream at the limit', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1
        controller.enqueue(new Uint8Array(4096).fill(0x20))
      },
    })
    const response = await postAuth({}, body)
    expect(response.status).toBe(413)
    expect(pulled).toBeLessThanOrEqual(6)
  })

  it('refuses a compressed body with 415 before reading it', async () => {
    const response = await postAuth({ 'content-encoding': 'gzip' }, unreadable())
    expect(response.status).toBe(415)
    expect(((await response.json()) as { description: string }).description).toMatch(/Content-Encoding/)
  })

  it("uses the route's realm in the challenge", async () => {
    const response = await buildApp().app.request('/admin')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('JWT realm="Admin area"')
  })

  it("sets c.get('identity') and c.get('jwtPayload')", async () => {
    const { guard, app } = buildApp()
    app.get('/who', jwtGuard(guard).jwtRequired(), (c) =>
      c.json({ identity: c.get('identity'), claim: c.get('jwtPayload').identity }),
    )
    const token = guard.createAccessToken({ id: 5 })
    const response = await app.request('/who', { headers: { authorization: `JWT ${token}` } })
    expect(await response.json()).toEqual({ identity: { user_id: 5 }, claim: 5 })
  })
})
