/**
 * jwtguard/express beyond the shared contract: Express's own body errors rendered as the
 * contract's JSON, unexpected errors logged and hidden, `Allow` through mounted routers, per-route
 * realms.
 */
import express, { Router } from 'express'
import { jwtGuard } from 'jwtguard/express'
import { describe, expect, it } from 'vitest'
import { inMemoryClient } from '../support/http.js'
import { makeGuard } from './fixtures.js'

function buildApp(logged: unknown[]) {
  const guard = makeGuard()
  const auth = jwtGuard(guard, { logError: (error) => logged.push(error) })
  const app = express()
  app.use(auth.routes)
  app.post('/items', express.json({ limit: 100 }), (req, res) => {
    res.json(req.body)
  })
  app.get('/boom', () => {
    throw new Error('database password is hunter2')
  })
  app.get('/admin', auth.jwtRequired({ realm: 'Admin area' }), (_req, res) => {
    res.json({ ok: true })
  })
  const api = Router()
  api.get('/items/:id', (_req, res) => {
    res.json({})
  })
  api.delete('/items/:id', (_req, res) => {
    res.json({})
  })
  app.use('/api', api)
  app.use(auth.notFound)
  app.use(auth.errorHandler)
  return { guard, request: inMemoryClient(app) }
}

describe('jwtguard/express', () => {
  it.each([
    [
      'malformed JSON',
      { 'content-type': 'application/json' },
      '{"a":',
      400,
      'Request body could not be parsed',
    ],
    [
      'a body over the route limit',
      { 'content-type': 'application/json' },
      `"${'x'.repeat(200)}"`,
      413,
      /100 bytes/,
    ],
    [
      'an unsupported charset',
      { 'content-type': 'application/json; charset=koi8-r' },
      '{}',
      415,
      'Request body charset is not supported',
    ],
    [
      'an unknown content coding',
      { 'content-type': 'application/json', 'content-encoding': 'compress' },
      '{}',
      415,
      /Content-Encoding/,
    ],
  ])("renders express.json()'s error for %s", async (_name, headers, body, status, description) => {
    const logged: unknown[] = []
    const response = await buildApp(logged).request('POST', '/items', { headers, body })
    expect(response.status).toBe(status)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const json = response.json() as { status_code: number; description: string }
    expect(json.status_code).toBe(status)
    expect(json.description).toMatch(description)
    expect(logged).toEqual([])
  })

  it('answers 500 for an unexpected error, logs it and leaks nothing', async () => {
    const logged: unknown[] = []
    const response = await buildApp(logged).request('GET', '/boom')
    expect(response.status).toBe(500)
    expect(response.json()).toEqual({
      status_code: 500,
      error: 'Internal Server Error',
      description: 'Internal server error',
    })
    expect(response.text).not.toContain('hunter2')
    expect(logged).toHaveLength(1)
    expect((logged[0] as Error).message).toBe('database password is hunter2')
  })

  it('computes Allow through a mounted router with parameters', async () => {
    const { request } = buildApp([])
    const response = await request('POST', '/api/items/7')
    expect(response.status).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD, DELETE')
    expect((await request('POST', '/api/nothing')).status).toBe(404)
  })

  it("uses the route's realm in the challenge", async () => {
    const response = await buildApp([]).request('GET', '/admin')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('JWT realm="Admin area"')
  })

  it('sets req.auth and req.jwtPayload', async () => {
    const guard = makeGuard()
    const auth = jwtGuard(guard)
    const app = express()
    app.get('/who', auth.jwtRequired(), (req, res) => {
      res.json({ auth: req.auth, identity: req.jwtPayload?.identity })
    })
    const token = guard.createAccessToken({ id: 5 })
    const response = await inMemoryClient(app)('GET', '/who', { headers: { authorization: `JWT ${token}` } })
    expect(response.json()).toEqual({ auth: { user_id: 5 }, identity: 5 })
  })
})
