/**
 * Issue 18: `jwtguard/fetch`, the Web-standard adapter. What the shared suites (contract, attacks,
 * fixtures) cannot see: `handle` leaves other paths to the app, the platform's arguments reach the
 * handler, a handler's own failure is a 500 that reveals nothing, and nothing of Node's but
 * node:crypto and node:buffer is on the adapter's import path.
 */
import { join } from 'node:path'
import { currentIdentity } from 'jwtguard'
import { jwtGuard } from 'jwtguard/fetch'
import { describe, expect, it, vi } from 'vitest'
import { nodeModulesOf, valueImports } from '../support/imports.js'
import { makeGuard } from './fixtures.js'

const login = () =>
  new Request('http://localhost/auth', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
  })

/** The response `handle` gave, which must not be `null` (the request was for an auth route). */
function answered(response: Response | null): Response {
  if (response === null) throw new Error('handle() left an auth route to the app')
  return response
}

async function tokenOf(auth: ReturnType<typeof jwtGuard>): Promise<string> {
  const response = answered(await auth.handle(login()))
  return ((await response.json()) as { access_token: string }).access_token
}

const withToken = (token: string, path = '/private') =>
  new Request(`http://localhost${path}`, { headers: { authorization: `JWT ${token}` } })

describe('auth.handle', () => {
  it('answers the login route and leaves every other path to the app (null)', async () => {
    const auth = jwtGuard(makeGuard())
    const response = await auth.handle(login())
    expect(response?.status).toBe(200)
    expect(Object.keys((await response?.json()) as object)).toEqual(['access_token'])
    expect(await auth.handle(new Request('http://localhost/api/v1/private'))).toBeNull()
    expect(await auth.handle(new Request('http://localhost/auth/'))).toBeNull()
  })

  it('answers another method of an auth route with 405 and Allow', async () => {
    const response = answered(await jwtGuard(makeGuard()).handle(new Request('http://localhost/auth')))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(((await response.json()) as { error: string }).error).toBe('Method Not Allowed')
  })

  it('passes what the platform gives after the request to remoteAddress (the login limiter sees it)', async () => {
    const attempts: unknown[] = []
    const guard = makeGuard({
      loginLimiter: {
        check: async (attempt) => {
          attempts.push(attempt)
        },
        recordFailure: async () => {},
        recordSuccess: async () => {},
      },
    })
    const auth = jwtGuard(guard, {
      remoteAddress: (_request, server: { requestIP(request: Request): { address: string } }) =>
        server.requestIP(_request).address,
    })
    const response = await auth.handle(login(), { requestIP: () => ({ address: '198.51.100.7' }) })
    expect(response?.status).toBe(200)
    expect(attempts).toEqual([{ username: 'masnun', clientAddress: '198.51.100.7' }])
  })

  it('refuses options that are not functions at start-up', () => {
    const guard = makeGuard()
    expect(() => jwtGuard(guard, { logError: 'console' as never })).toThrow(TypeError)
    expect(() => jwtGuard(guard, { remoteAddress: 'x-real-ip' as never })).toThrow(/remoteAddress/)
    expect(() => jwtGuard({} as never)).toThrow(/createJwtGuard/)
  })
})

describe('auth.protect', () => {
  it('gives the handler the identity and payload, and the platform arguments after them', async () => {
    const auth = jwtGuard(makeGuard())
    const handler = vi.fn((_request: Request, { identity, payload }, env: { name: string }, ctx: number) =>
      Response.json({ identity, sub: payload.identity, env: env.name, ctx }),
    )
    const worker = auth.protect(handler)
    const response = await worker(withToken(await tokenOf(auth)), { name: 'env' }, 7)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ identity: { user_id: 123 }, sub: 123, env: 'env', ctx: 7 })
  })

  it('refuses without running the handler: the contract JSON and the challenge', async () => {
    const auth = jwtGuard(makeGuard())
    const handler = vi.fn(() => new Response('secret'))
    const response = await auth.jwtRequired()(handler)(new Request('http://localhost/private'))
    expect(handler).not.toHaveBeenCalled()
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('JWT realm="Login Required"')
    expect(await response.json()).toEqual({
      status_code: 401,
      error: 'Authorization Required',
      description: 'Request does not contain an access token',
    })
  })

  it('protectOptional: null without a token, the identity with one, a refusal for a bad one', async () => {
    const auth = jwtGuard(makeGuard())
    const optional = auth.jwtOptional()((_request, result) =>
      Response.json({ who: result?.identity ?? null }),
    )
    expect(await (await optional(new Request('http://localhost/'))).json()).toEqual({ who: null })
    expect(await (await optional(withToken(await tokenOf(auth)))).json()).toEqual({ who: { user_id: 123 } })
    expect((await optional(withToken('a.b.c'))).status).toBe(401)
  })

  it("turns a handler's unexpected error into a 500 that says nothing, logged once", async () => {
    const logError = vi.fn()
    const auth = jwtGuard(makeGuard(), { logError })
    const failure = new Error('database down at 10.0.0.5')
    const response = await auth.protect(() => {
      throw failure
    })(withToken(await tokenOf(auth)))
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(text).not.toMatch(/database|10\.0\.0\.5|at /)
    expect(JSON.parse(text)).toMatchObject({ status_code: 500 })
    expect(logError).toHaveBeenCalledExactlyOnceWith(failure, expect.any(Request))
  })

  it('runs the handler inside currentIdentity() when the guard turns it on', async () => {
    const auth = jwtGuard(makeGuard({ currentIdentity: true }))
    const response = await auth.protect(async () => {
      await Promise.resolve()
      return Response.json(currentIdentity())
    })(withToken(await tokenOf(auth)))
    expect(await response.json()).toEqual({ user_id: 123 })
  })

  it('needs a handler function', () => {
    expect(() => jwtGuard(makeGuard()).protect('handler' as never)).toThrow(/handler function/)
  })
})

describe('the import path', () => {
  const src = (path: string) => join(import.meta.dirname, '../../src', path)

  it('of the adapter loads nothing of Node', () => {
    expect([...nodeModulesOf(src('adapters/fetch/index.ts'))]).toEqual([])
  })

  it('of createJwtGuard and of the package root loads node:crypto and node:buffer only (no async_hooks, no fs)', () => {
    expect([...nodeModulesOf(src('core/guard.ts'))].sort()).toEqual(['node:buffer', 'node:crypto'])
    expect([...nodeModulesOf(src('index.ts'))].sort()).toEqual(['node:buffer', 'node:crypto'])
  })

  it('the walker sees a static node: import (it can fail)', () => {
    expect(valueImports(src('../test/support/imports.ts'))).toContain('node:fs')
  })
})
