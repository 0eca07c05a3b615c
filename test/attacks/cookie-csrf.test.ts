/**
 * Cookie mode and query tokens: a token from a cookie is as strictly verified as one from the
 * header, never URL-decoded; on unsafe methods it needs the CSRF header, whose value must equal the
 * `csrf` claim signed into that very token (a tossed or foreign CSRF cookie is worth nothing); a
 * refresh token is never read where an access token is expected. The reference server runs in
 * header and cookie mode, so every row runs on every framework.
 */
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import {
  asyncCodeOf,
  describeHttp,
  expectNoLeak,
  HS256,
  hs,
  JSON_HEADERS,
  leakCandidates,
  SEED_LOGIN,
  seedClaims,
  T0,
  TEST_SECRET,
} from './support.js'

const ACCESS = 'access_token_cookie'
const REFRESH = 'refresh_token_cookie'
const CSRF_COOKIE = 'csrf_access_token'
const CSRF_HEADER = 'x-csrf-token'

interface Session {
  access: string
  refresh: string
  csrf: string
}

describe('CSRF against cookie sessions (CWE-352; OWASP double-submit), and GHSA-xmf8-cvqr-rfgj (Auth.js) for cookies', () => {
  // @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
  describeHttp((app) => {
    async function login(): Promise<Session> {
      const response = await app().request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
      expect(response.status).toBe(200)
      const body = response.json() as { access_token: string; refresh_token: string; csrf_token: string }
      expect(typeof body.csrf_token).toBe('string')
      return { access: body.access_token, refresh: body.refresh_token, csrf: body.csrf_token }
    }
    const get = (cookie: string, path = '/api/v1/private') =>
      app().request('GET', path, { headers: { cookie } })
    const revoke = (headers: Record<string, string>) => app().request('POST', '/auth/revoke', { headers })
    async function expectCsrfError(
      response: Awaited<ReturnType<typeof get>>,
      description: string | RegExp,
      secrets: string[],
    ): Promise<void> {
      expect(response.status).toBe(401)
      const body = response.json() as { error: string; description: string }
      expect(body.error).toBe('CSRF Error')
      if (typeof description === 'string') expect(body.description).toBe(description)
      else expect(body.description).toMatch(description)
      for (const secret of secrets) expectNoLeak(response, leakCandidates(secret))
    }

    it('control: the access cookie authenticates a GET, no CSRF header needed on a safe method', async () => {
      const session = await login()
      const response = await get(`${ACCESS}=${session.access}`, '/api/v1/me')
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ user_id: 123 })
    })

    it('a cross-site POST (the cookie, no CSRF header) cannot log the user out', async () => {
      const session = await login()
      await expectCsrfError(await revoke({ cookie: `${ACCESS}=${session.access}` }), /^Missing CSRF token/, [
        session.access,
      ])
      expect((await get(`${ACCESS}=${session.access}`)).status).toBe(200)
    })

    it.each([
      ['a wrong CSRF value', () => 'x'.repeat(43)],
      ['an empty CSRF value', () => ''],
      [
        'the CSRF value with one character changed',
        (s: Session) => `${s.csrf.slice(0, -1)}${s.csrf.endsWith('A') ? 'B' : 'A'}`,
      ],
      ['the CSRF value plus a character', (s: Session) => `${s.csrf}A`],
      ['the CSRF value in upper case', (s: Session) => s.csrf.toUpperCase()],
      ['the access token itself', (s: Session) => s.access],
    ])('%s in the header: refused', async (_name, value) => {
      const session = await login()
      const sent = value(session)
      const response = await revoke({ cookie: `${ACCESS}=${session.access}`, [CSRF_HEADER]: sent })
      await expectCsrfError(response, sent === '' ? /^Missing CSRF token/ : 'CSRF token does not match', [
        session.access,
      ])
    })

    it("another session's CSRF value, or a tossed CSRF cookie echoed in the header: refused (bound to the token's claim)", async () => {
      const victim = await login()
      const attacker = await login()
      await expectCsrfError(
        await revoke({
          cookie: `${ACCESS}=${victim.access}; ${CSRF_COOKIE}=${attacker.csrf}`,
          [CSRF_HEADER]: attacker.csrf,
        }),
        'CSRF token does not match',
        [victim.access],
      )
      await expectCsrfError(
        await revoke({
          cookie: `${CSRF_COOKIE}=tossed; ${ACCESS}=${victim.access}`,
          [CSRF_HEADER]: 'tossed',
        }),
        'CSRF token does not match',
        [victim.access],
      )
    })

    it('a token without a csrf claim (minted for header mode) cannot make an unsafe cookie request at all', async () => {
      const now = Math.floor(Date.now() / 1000)
      const token = hs(HS256, { exp: now + 300, iat: now, nbf: now, identity: 123 })
      await expectCsrfError(
        await revoke({ cookie: `${ACCESS}=${token}`, [CSRF_HEADER]: 'anything' }),
        'CSRF token does not match',
        [token],
      )
    })

    it('control: the right CSRF value logs out', async () => {
      const session = await login()
      const response = await revoke({ cookie: `${ACCESS}=${session.access}`, [CSRF_HEADER]: session.csrf })
      expect([200, 204]).toContain(response.status)
      expect((await get(`${ACCESS}=${session.access}`)).status).toBe(401)
    })

    it('a refresh through the refresh cookie needs the CSRF value of the refresh token', async () => {
      const session = await login()
      const response = await app().request('POST', '/auth/refresh', {
        headers: { cookie: `${REFRESH}=${session.refresh}` },
      })
      await expectCsrfError(response, /^Missing CSRF token/, [session.refresh])
      const wrong = await app().request('POST', '/auth/refresh', {
        headers: { cookie: `${REFRESH}=${session.refresh}`, [CSRF_HEADER]: 'x'.repeat(43) },
      })
      await expectCsrfError(wrong, 'CSRF token does not match', [session.refresh])
    })

    it.each([
      ['%', '%'],
      ['%%', '%%'],
      ['a truncated percent-escape', '%E0%A4%A'],
      ['a quoted value', '"a.b.c"'],
      ['three empty segments', '..'],
      ['a latin1 letter', '\u00e9.a.b'],
    ])('an access cookie holding %s: 401 Invalid token, never a 5xx', async (_name, value) => {
      const response = await get(`${ACCESS}=${value}`)
      expect(response.status).toBe(401)
      expect(response.json()).toMatchObject({ error: 'Invalid token' })
    })

    it('a refresh token in the access cookie is refused; an access token in the refresh cookie too', async () => {
      const session = await login()
      const asAccess = await get(`${ACCESS}=${session.refresh}`)
      expect(asAccess.status).toBe(401)
      expect(asAccess.json()).toMatchObject({
        error: 'Invalid token',
        description: 'Token type (typ) is not accepted',
      })
      expectNoLeak(asAccess, leakCandidates(session.refresh))
      const asRefresh = await app().request('POST', '/auth/refresh', {
        headers: { cookie: `${REFRESH}=${session.access}`, [CSRF_HEADER]: session.csrf },
      })
      expect(asRefresh.status).toBe(401)
      expect(asRefresh.json()).toMatchObject({
        error: 'Invalid token',
        description: 'Token type (typ) is not accepted',
      })
    })

    it('duplicate access cookies: the first one counts, a forged first one is not skipped for a valid second', async () => {
      const session = await login()
      const forged = hs(HS256, seedClaims(), 'attacker-secret-of-at-least-32-bytes!')
      const forgedFirst = await get(`${ACCESS}=${forged}; ${ACCESS}=${session.access}`)
      expect(forgedFirst.status).toBe(401)
      expect(forgedFirst.json()).toMatchObject({ description: 'Signature verification failed' })
      expect((await get(`${ACCESS}=${session.access}; ${ACCESS}=${forged}`)).status).toBe(200)
    })

    it('a cookie whose name only contains the access cookie name is not the access cookie', async () => {
      const session = await login()
      for (const name of [`x${ACCESS}`, `${ACCESS}x`, ACCESS.toUpperCase(), `${ACCESS}[]`, `${ACCESS}.1`]) {
        expect((await get(`${name}=${session.access}`)).status).toBe(401)
      }
    })
  })
})

describe('query tokens (tokenLocation: ["query"]), through the API', () => {
  const guard: JwtGuard<unknown> = createJwtGuard<unknown>({
    secret: TEST_SECRET,
    now: () => T0,
    tokenLocation: ['query'],
    authenticate: () => null,
    identity: (payload) => payload,
  })
  const valid = hs(HS256, seedClaims())
  const at = (url: string) => guard.protect().authenticate({}, undefined, { method: 'GET', url })

  it('control: ?jwt=<token> authenticates', async () => {
    expect(await asyncCodeOf(at(`/api?jwt=${valid}`))).toBe('OK')
  })
  it.each([
    ['?jwt=%', 'ERR_TOKEN_MALFORMED'],
    ['?jwt=%E0%A4%A', 'ERR_TOKEN_MALFORMED'],
    ['?jwt=%00', 'ERR_TOKEN_MALFORMED'],
    [`?jwt=${encodeURIComponent(valid).replaceAll('.', '%2E')}x`, 'ERR_SIGNATURE_INVALID'],
    [`?jwt=${valid.replace('.', '+')}`, 'ERR_TOKEN_MALFORMED'],
    [`?jwt=${hs(HS256, seedClaims({ type: 'refresh', jti: 'r', fam: 'f' }))}`, 'ERR_TOKEN_TYPE_INVALID'],
    [
      `?jwt=${hs(HS256, seedClaims(), 'attacker-secret-of-at-least-32-bytes!')}&jwt=${valid}`,
      'ERR_SIGNATURE_INVALID',
    ],
    ['?jwt=', 'ERR_TOKEN_MISSING'],
    [`?JWT=${valid}`, 'ERR_TOKEN_MISSING'],
    [`#jwt=${valid}`, 'ERR_TOKEN_MISSING'],
  ])('%s: %s', async (query, code) => {
    expect(await asyncCodeOf(at(`/api${query}`))).toBe(code)
  })
  it('the header is not read when only the query is configured', async () => {
    expect(
      await asyncCodeOf(
        guard.protect().authenticate({ authorization: `JWT ${valid}` }, undefined, { url: '/api' }),
      ),
    ).toBe('ERR_TOKEN_MISSING')
  })
})

describe('an unknown or missing method counts as unsafe (fail closed)', () => {
  const guard = createJwtGuard<unknown>({
    secret: TEST_SECRET,
    now: () => T0,
    tokenLocation: ['cookies'],
    authenticate: () => null,
    identity: (payload) => payload,
  })
  const token = hs(HS256, seedClaims({ csrf: 'c'.repeat(43) }))
  const cookie = { cookie: `${ACCESS}=${token}` }
  it.each([
    ['GET', 'OK'],
    ['get', 'OK'],
    ['HEAD', 'OK'],
    ['OPTIONS', 'OK'],
    ['POST', 'ERR_CSRF_INVALID'],
    ['post', 'ERR_CSRF_INVALID'],
    ['DELETE', 'ERR_CSRF_INVALID'],
    ['PROPFIND', 'ERR_CSRF_INVALID'],
    ['GET ', 'ERR_CSRF_INVALID'],
    [undefined, 'ERR_CSRF_INVALID'],
  ])('method %s without the CSRF header: %s', async (method, code) => {
    expect(await asyncCodeOf(guard.protect().authenticate(cookie, undefined, { method }))).toBe(code)
  })
  it('with the CSRF header equal to the claim, a POST passes', async () => {
    const headers = { ...cookie, [CSRF_HEADER]: 'c'.repeat(43) }
    expect(await asyncCodeOf(guard.protect().authenticate(headers, undefined, { method: 'POST' }))).toBe('OK')
  })
})
