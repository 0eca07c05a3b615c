import { createJwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { describe, expect, it } from 'vitest'
import { readCookie } from '../../src/core/cookies.js'
import { rejectionCode } from '../support/errors.js'
import type { GuardOverrides } from '../support/guard-options.js'
import { decodeSegment } from '../support/tokens.js'

const SECRET = 'cookie-test-secret-of-at-least-32-bytes'
const NOW = 1_700_000_000
const LOGIN = {
  contentType: 'application/json',
  body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
}

function makeGuard(overrides: GuardOverrides<{ user_id: number }> = {}) {
  return createJwtGuard({
    secret: SECRET,
    now: () => NOW,
    store: createMemoryStore({ now: () => NOW, pruneInterval: 0 }),
    tokenLocation: ['cookies'],
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: (payload) => (payload.identity === 123 ? { user_id: 123 } : null),
    ...overrides,
  })
}

function route(guard: ReturnType<typeof makeGuard>, path: string) {
  const found = guard.routes.find((candidate) => candidate.path === path)
  if (found === undefined) throw new Error(`no route ${path}`)
  return found
}

/** The Cookie header a browser would send back after these Set-Cookie values. */
function cookieHeader(setCookies: readonly string[] | undefined): string {
  return (setCookies ?? []).map((cookie) => cookie.split(';')[0]).join('; ')
}

describe('cookie mode', () => {
  it('sets HttpOnly token cookies and a readable CSRF cookie at login, and no token in the body', async () => {
    const guard = makeGuard()
    const response = await route(guard, '/auth').handle(LOGIN)
    expect(response.status).toBe(200)
    const [access, refresh, legacy, csrf] = response.cookies ?? []
    expect(access).toMatch(
      /^access_token_cookie=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    )
    expect(refresh).toMatch(
      /^refresh_token_cookie=[\w.-]+; Max-Age=1209600; Path=\/auth; HttpOnly; Secure; SameSite=Lax$/,
    )
    // The path covers /auth/refresh and /auth/revoke; the cookie of earlier versions is cleared.
    expect(legacy).toBe(
      'refresh_token_cookie=; Max-Age=0; Path=/auth/refresh; HttpOnly; Secure; SameSite=Lax',
    )
    expect(csrf).toMatch(/^csrf_access_token=[\w-]{43}; Max-Age=1209600; Path=\/; Secure; SameSite=Lax$/)
    const body = JSON.parse(response.body ?? '{}')
    expect(Object.keys(body)).toEqual(['csrf_token'])
    const token = readCookie({ cookie: cookieHeader(response.cookies) }, 'access_token_cookie') ?? ''
    expect(decodeSegment(token, 1).csrf).toBe(body.csrf_token)
  })

  it('drops Secure only when asked, for local http', async () => {
    const response = await route(makeGuard({ cookies: { secure: false } }), '/auth').handle(LOGIN)
    expect(response.cookies?.every((cookie) => !cookie.includes('Secure'))).toBe(true)
  })

  it('admits safe methods with the cookie alone and unsafe ones only with the CSRF header', async () => {
    const guard = makeGuard()
    const login = await route(guard, '/auth').handle(LOGIN)
    const cookie = cookieHeader(login.cookies)
    const csrf = JSON.parse(login.body ?? '{}').csrf_token as string
    const protect = guard.protect()
    expect((await protect.authenticate({ cookie }, undefined, { method: 'GET' }))?.identity).toEqual({
      user_id: 123,
    })
    expect(await rejectionCode(protect.authenticate({ cookie }, undefined, { method: 'POST' }))).toBe(
      'ERR_CSRF_INVALID',
    )
    expect(await rejectionCode(protect.authenticate({ cookie }, undefined, {}))).toBe('ERR_CSRF_INVALID')
    expect(
      await rejectionCode(
        protect.authenticate({ cookie, 'x-csrf-token': 'x'.repeat(43) }, undefined, { method: 'POST' }),
      ),
    ).toBe('ERR_CSRF_INVALID')
    expect(
      (await protect.authenticate({ cookie, 'x-csrf-token': csrf }, undefined, { method: 'DELETE' }))
        ?.identity,
    ).toEqual({ user_id: 123 })
  })

  it('refreshes from the cookie with the CSRF header, rotating cookies and the CSRF value', async () => {
    const guard = makeGuard()
    const login = await route(guard, '/auth').handle(LOGIN)
    const csrf = JSON.parse(login.body ?? '{}').csrf_token as string
    const headers = { cookie: cookieHeader(login.cookies) }
    expect(
      await rejectionCode(
        route(guard, '/auth/refresh').handle({ contentType: undefined, body: undefined, headers }),
      ),
    ).toBe('ERR_CSRF_INVALID')
    const refreshed = await route(guard, '/auth/refresh').handle({
      contentType: undefined,
      body: undefined,
      headers: { ...headers, 'x-csrf-token': csrf },
    })
    expect(refreshed.status).toBe(200)
    const next = JSON.parse(refreshed.body ?? '{}').csrf_token
    expect(next).not.toBe(csrf)
    expect(refreshed.cookies).toHaveLength(4)
  })

  it('clears every cookie on revoke and refuses the revoked cookie afterwards', async () => {
    const guard = makeGuard()
    const login = await route(guard, '/auth').handle(LOGIN)
    const csrf = JSON.parse(login.body ?? '{}').csrf_token as string
    const headers = { cookie: cookieHeader(login.cookies), 'x-csrf-token': csrf }
    const revoked = await route(guard, '/auth/revoke').handle({
      contentType: undefined,
      body: undefined,
      headers,
    })
    expect(revoked.status).toBe(204)
    expect(revoked.cookies).toEqual([
      'access_token_cookie=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
      'refresh_token_cookie=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Lax',
      'refresh_token_cookie=; Max-Age=0; Path=/auth/refresh; HttpOnly; Secure; SameSite=Lax',
      'csrf_access_token=; Max-Age=0; Path=/; Secure; SameSite=Lax',
    ])
    expect(await rejectionCode(guard.protect().authenticate(headers, undefined, { method: 'GET' }))).toBe(
      'ERR_TOKEN_REVOKED',
    )
  })

  it('reads the header before the cookie when both are enabled, without CSRF for the header', async () => {
    const guard = makeGuard({ tokenLocation: ['header', 'cookies'] })
    const login = await route(guard, '/auth').handle(LOGIN)
    const { access_token } = JSON.parse(login.body ?? '{}')
    expect(access_token).toEqual(expect.any(String))
    const result = await guard
      .protect()
      .authenticate({ authorization: `JWT ${access_token}` }, undefined, { method: 'POST' })
    expect(result?.identity).toEqual({ user_id: 123 })
  })

  it('reads the query string only when enabled, and never for refresh tokens', async () => {
    const guard = makeGuard({ tokenLocation: ['header', 'query'] })
    const login = JSON.parse((await route(guard, '/auth').handle(LOGIN)).body ?? '{}')
    const protect = guard.protect()
    const url = `/events?jwt=${login.access_token}`
    expect((await protect.authenticate({}, undefined, { method: 'GET', url }))?.identity).toEqual({
      user_id: 123,
    })
    const withRefresh = `/events?jwt=${login.refresh_token}`
    expect(
      await rejectionCode(protect.authenticate({}, undefined, { method: 'GET', url: withRefresh })),
    ).toBe('ERR_TOKEN_TYPE_INVALID')
    expect(
      await rejectionCode(
        makeGuard({ tokenLocation: ['header'] })
          .protect()
          .authenticate({}, undefined, { url }),
      ),
    ).toBe('ERR_TOKEN_MISSING')
  })

  it.each<[string, GuardOverrides<{ user_id: number }>, RegExp]>([
    ['an unknown location', { tokenLocation: ['body' as never] }, /tokenLocation/],
    ['no location', { tokenLocation: [] }, /tokenLocation/],
    ['SameSite=None without Secure', { cookies: { sameSite: 'None', secure: false } }, /sameSite/],
    ['a cookie name with a space', { cookies: { accessName: 'a b' } }, /not a valid cookie/],
    [
      'cookies without the cookies location',
      { tokenLocation: ['header'], cookies: { secure: false } },
      /tokenLocation/,
    ],
  ])('refuses %s at construction', (_name, options, message) => {
    expect(() => makeGuard(options)).toThrow(message)
  })
})

describe('several token locations', () => {
  it("reads the cookie behind another scheme's Authorization header, and reports that header only without a cookie", async () => {
    const guard = makeGuard({ tokenLocation: ['header', 'cookies'] })
    const login = await route(guard, '/auth').handle(LOGIN)
    const cookie = cookieHeader(login.cookies)
    const basic = 'Basic bWFzbnVuOmFiYzEyMw=='
    const protect = guard.protect()
    expect(
      (await protect.authenticate({ authorization: basic, cookie }, undefined, { method: 'GET' }))?.identity,
    ).toEqual({
      user_id: 123,
    })
    expect(
      await rejectionCode(protect.authenticate({ authorization: basic }, undefined, { method: 'GET' })),
    ).toBe('ERR_AUTH_SCHEME_UNSUPPORTED')
    expect(
      await rejectionCode(
        protect.authenticate({ authorization: 'JWT a b', cookie }, undefined, { method: 'GET' }),
      ),
    ).toBe('ERR_AUTH_HEADER_MALFORMED')
  })
})
