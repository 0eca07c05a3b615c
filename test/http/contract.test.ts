/**
 * docs/CONTRACT.md as a black-box suite, run against every framework and transport in APPS.
 * Each row asserts the exact status, body and `WWW-Authenticate` header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APPS } from '../support/apps.js'
import type { TestApp } from '../support/server.js'
import { TEST_SECRET } from '../support/server.js'
import { decodeSegment, flaskPayload, mint } from '../support/tokens.js'

const REALM = 'JWT realm="Login Required"'
const JSON_TYPE = 'application/json; charset=utf-8'
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function challenge(description: string, error = 'invalid_token'): string {
  return `${REALM}, error="${error}", error_description="${description}"`
}

describe.each(APPS)('HTTP contract: $name', ({ create }) => {
  let app: TestApp
  let accessToken: string

  const login = (body: string | Uint8Array, contentType = 'application/json') =>
    app.request('POST', '/auth', { headers: { 'content-type': contentType }, body })
  const getPrivate = (authorization?: string, path = '/api/v1/private') =>
    app.request('GET', path, authorization === undefined ? {} : { headers: { authorization } })

  async function expectError(
    responsePromise: ReturnType<TestApp['request']>,
    status: number,
    error: string,
    description: string | RegExp,
    wwwAuthenticate?: string | null,
  ) {
    const response = await responsePromise
    expect(response.status).toBe(status)
    expect(response.headers['content-type']).toBe(JSON_TYPE)
    const body = response.json() as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['description', 'error', 'status_code'])
    expect(body.status_code).toBe(status)
    expect(body.error).toBe(error)
    if (typeof description === 'string') expect(body.description).toBe(description)
    else expect(body.description).toMatch(description)
    if (wwwAuthenticate !== undefined) {
      expect(response.headers['www-authenticate']).toBe(wwwAuthenticate ?? undefined)
    }
    return response
  }

  beforeAll(async () => {
    app = await create()
    const response = await login(SEED_LOGIN)
    expect(response.status).toBe(200)
    accessToken = (response.json() as { access_token: string }).access_token
  })
  afterAll(async () => {
    await app?.close()
  })

  describe('the seed session', () => {
    it('refuses the private resource without a token', async () => {
      const response = await expectError(
        getPrivate(),
        401,
        'Authorization Required',
        'Request does not contain an access token',
        REALM,
      )
      expect(response.json()).toEqual({
        status_code: 401,
        error: 'Authorization Required',
        description: 'Request does not contain an access token',
      })
    })

    it('issues an access token of the seed shape from POST /auth', async () => {
      const response = await login(SEED_LOGIN)
      expect(response.status).toBe(200)
      expect(response.headers['content-type']).toBe(JSON_TYPE)
      const token = (response.json() as { access_token: string }).access_token
      expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' })
      const payload = decodeSegment(token, 1)
      expect(payload.identity).toBe(123)
      expect(payload.exp).toBe((payload.iat as number) + 300)
      expect(payload.nbf).toBe(payload.iat)
      expect(Math.abs((payload.iat as number) - nowSeconds())).toBeLessThanOrEqual(5)
    })

    it('answers the private resource with the token', async () => {
      const response = await getPrivate(`JWT ${accessToken}`)
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ meaning_of_life: 42 })
    })

    it('gives the current identity at /api/v1/me', async () => {
      const response = await getPrivate(`JWT ${accessToken}`, '/api/v1/me')
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ user_id: 123 })
    })

    it('matches the prefix case-insensitively', async () => {
      expect((await getPrivate(`jwt ${accessToken}`)).status).toBe(200)
      expect((await getPrivate(`Jwt ${accessToken}`)).status).toBe(200)
    })

    it('serves /health without a token', async () => {
      const response = await app.request('GET', '/health')
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ status: 'ok' })
    })

    it('accepts a token minted elsewhere in Flask-JWT shape with the shared secret', async () => {
      const token = mint(flaskPayload(nowSeconds()), { secret: TEST_SECRET })
      const response = await getPrivate(`JWT ${token}`, '/api/v1/me')
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ user_id: 123 })
    })
  })

  describe('Authorization header errors', () => {
    it.each([
      ['Bearer abc', 'Unsupported authorization type', REALM],
      ['Basic bWFzbnVuOmFiYzEyMw==', 'Unsupported authorization type', REALM],
      ['JWT', 'Token missing', challenge('Token missing', 'invalid_request')],
      ['JWT a b', 'Token contains spaces', challenge('Token contains spaces', 'invalid_request')],
    ])('%s', async (header, description, wwwAuthenticate) => {
      await expectError(getPrivate(header), 401, 'Invalid JWT header', description, wwwAuthenticate)
    })

    it('treats a blank header as no token', async () => {
      await expectError(getPrivate('   '), 401, 'Authorization Required', /access token/, REALM)
    })
  })

  describe('invalid tokens', () => {
    it('refuses a bad signature', async () => {
      const token = mint(flaskPayload(nowSeconds()), { secret: 'another-secret-with-at-least-32-bytes!!' })
      await expectError(
        getPrivate(`JWT ${token}`),
        401,
        'Invalid token',
        'Signature verification failed',
        challenge('Signature verification failed'),
      )
    })

    it('refuses an expired token beyond the 10 s leeway', async () => {
      const token = mint(flaskPayload(nowSeconds() - 400), { secret: TEST_SECRET })
      await expectError(
        getPrivate(`JWT ${token}`),
        401,
        'Invalid token',
        'Signature has expired',
        challenge('Signature has expired'),
      )
    })

    it('accepts a token expired within the leeway', async () => {
      const token = mint({ ...flaskPayload(nowSeconds() - 305) }, { secret: TEST_SECRET })
      expect((await getPrivate(`JWT ${token}`)).status).toBe(200)
    })

    const now = nowSeconds()
    it.each([
      ['not yet valid', { ...flaskPayload(now), nbf: now + 120 }, /not yet valid/],
      ['without exp', { iat: now, nbf: now, identity: 123 }, /"exp"/],
      ['without iat', { exp: now + 300, nbf: now, identity: 123 }, /"iat"/],
      ['without nbf', { exp: now + 300, iat: now, identity: 123 }, /"nbf"/],
      ['with a string exp', { ...flaskPayload(now), exp: String(now + 300) }, /"exp" claim must be a number/],
      ['with a refresh type marker', { ...flaskPayload(now), type: 'refresh' }, /access token/],
    ])('refuses a token %s', async (_name, payload, description) => {
      const token = mint(payload, { secret: TEST_SECRET })
      const response = await expectError(getPrivate(`JWT ${token}`), 401, 'Invalid token', description)
      expect(response.headers['www-authenticate']).toMatch(
        /^JWT realm="Login Required", error="invalid_token"/,
      )
      expect(response.text).not.toContain(token)
    })

    it.each([
      ['HS512 header', { typ: 'JWT', alg: 'HS512' }, 'HS512'],
      ['alg none', { typ: 'JWT', alg: 'none' }, 'HS256'],
      ['unknown crit', { typ: 'JWT', alg: 'HS256', crit: ['exp'], exp: 1 }, 'HS256'],
    ] as const)('refuses a token with %s', async (_name, header, alg) => {
      const token = mint(flaskPayload(nowSeconds()), { secret: TEST_SECRET, alg, header })
      await expectError(getPrivate(`JWT ${token}`), 401, 'Invalid token', /./)
    })

    it.each([
      ['garbage', 'abc'],
      ['two segments', 'a.b'],
      ['four segments', 'a.b.c.d'],
      ['a percent sign', '%'],
      ['padding', 'eyJhbGciOiJIUzI1NiJ9=.e30.sig'],
    ])('refuses a malformed token (%s)', async (_name, token) => {
      const response = await expectError(getPrivate(`JWT ${token}`), 401, 'Invalid token', /./)
      expect(response.text).not.toContain(token === '%' ? 'JWT %' : token)
    })

    it('refuses a token over the size limit before decoding it', async () => {
      const token = mint({ ...flaskPayload(nowSeconds()), pad: 'x'.repeat(9000) }, { secret: TEST_SECRET })
      await expectError(getPrivate(`JWT ${token}`), 401, 'Invalid token', 'Token is too large')
    })

    it('answers 401 Invalid JWT when the identity has no user', async () => {
      const token = mint(flaskPayload(nowSeconds(), 999), { secret: TEST_SECRET })
      await expectError(
        getPrivate(`JWT ${token}`),
        401,
        'Invalid JWT',
        'User does not exist',
        challenge('User does not exist'),
      )
    })
  })

  describe('POST /auth errors', () => {
    it.each([
      ['a wrong password', { username: 'masnun', password: 'wrong' }],
      ['an unknown user', { username: 'nobody', password: 'abc123' }],
      ['a missing password', { username: 'masnun' }],
      ['an extra field', { username: 'masnun', password: 'abc123', admin: true }],
      ['a numeric password', { username: 'masnun', password: 123 }],
      ['empty strings', { username: '', password: '' }],
    ])('answers 401 Invalid credentials for %s', async (_name, body) => {
      await expectError(login(JSON.stringify(body)), 401, 'Bad Request', 'Invalid credentials')
    })

    it.each([
      ['malformed JSON', '{"username": "masnun",', 'Request body is not valid JSON'],
      ['a JSON array', '[1, 2]', 'Request body must be a JSON object'],
      ['a JSON string', '"masnun"', 'Request body must be a JSON object'],
      ['null', 'null', 'Request body must be a JSON object'],
      ['an empty body', '', 'Request body is empty'],
    ])('answers 400 for %s', async (_name, body, description) => {
      await expectError(login(body), 400, 'Bad Request', description)
    })

    it('answers 400 for invalid UTF-8', async () => {
      await expectError(login(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, 'Bad Request', /UTF-8/)
    })

    it.each([
      ['text/plain', 'text/plain'],
      ['form data', 'application/x-www-form-urlencoded'],
      ['a non-UTF-8 charset', 'application/json; charset=latin1'],
    ])('answers 415 for %s', async (_name, contentType) => {
      await expectError(login(SEED_LOGIN, contentType), 415, 'Unsupported Media Type', /JSON/)
    })

    it('answers 415 without a Content-Type', async () => {
      await expectError(
        app.request('POST', '/auth', { body: SEED_LOGIN }),
        415,
        'Unsupported Media Type',
        /JSON/,
      )
    })

    it('accepts application/json with a charset and +json types', async () => {
      expect((await login(SEED_LOGIN, 'application/json; charset=UTF-8')).status).toBe(200)
      expect((await login(SEED_LOGIN, 'application/vnd.api+json')).status).toBe(200)
    })

    it('answers 413 for a body over 16 KiB', async () => {
      const body = JSON.stringify({ username: 'masnun', password: 'x'.repeat(17 * 1024) })
      await expectError(login(body), 413, 'Payload Too Large', /16384 bytes/)
    })
  })

  describe('routing errors', () => {
    it('answers 405 with Allow for GET /auth', async () => {
      const response = await expectError(
        app.request('GET', '/auth'),
        405,
        'Method Not Allowed',
        /not allowed/,
      )
      expect(response.headers.allow).toBe('POST')
    })

    it('answers 405 with Allow for POST /api/v1/private', async () => {
      const response = await expectError(
        app.request('POST', '/api/v1/private'),
        405,
        'Method Not Allowed',
        /not allowed/,
      )
      expect(response.headers.allow).toBe('GET, HEAD')
    })

    it('answers 404 for an unknown route', async () => {
      await expectError(app.request('GET', '/nope'), 404, 'Not Found', /not found/)
    })

    it('answers 405 with only the real method for an unregistered method on /auth', async () => {
      const response = await expectError(
        app.request('PROPFIND', '/auth'),
        405,
        'Method Not Allowed',
        /not allowed/,
      )
      expect(response.headers.allow).toBe('POST')
    })

    it('answers a JSON 404 for a URL that does not decode', async () => {
      await expectError(app.request('GET', '/api/v1/%zz'), 404, 'Not Found', /not found/)
    })

    it('answers 415 for a compressed login body', async () => {
      await expectError(
        app.request('POST', '/auth', {
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: new Uint8Array([0x1f, 0x8b, 0x08, 0x00]),
        }),
        415,
        'Unsupported Media Type',
        /Content-Encoding/,
      )
    })

    it('answers 405 with Allow for PUT /auth and OPTIONS /api/v1/private', async () => {
      const put = await expectError(app.request('PUT', '/auth'), 405, 'Method Not Allowed', /not allowed/)
      expect(put.headers.allow).toBe('POST')
      const options = await expectError(
        app.request('OPTIONS', '/api/v1/private'),
        405,
        'Method Not Allowed',
        /not allowed/,
      )
      expect(options.headers.allow).toBe('GET, HEAD')
    })

    it.each([
      ['a trailing slash', 'GET', '/health/'],
      ['another case', 'GET', '/Health'],
      ['a trailing slash on /auth', 'POST', '/auth/'],
    ])('routes strictly: 404 for %s', async (_name, method, path) => {
      await expectError(app.request(method, path), 404, 'Not Found', /not found/)
    })

    it('answers HEAD on a protected route with the GET status and challenge, without a body', async () => {
      const response = await app.request('HEAD', '/api/v1/private')
      expect(response.status).toBe(401)
      expect(response.headers['content-type']).toBe(JSON_TYPE)
      expect(response.headers['www-authenticate']).toBe(REALM)
      expect(response.text).toBe('')
    })
  })

  describe('token responses are never cached (RFC 6749 §5.1, issue 17 item 2)', () => {
    const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }
    const noStore = (response: { headers: Record<string, string> }) => ({
      'cache-control': response.headers['cache-control'],
      pragma: response.headers.pragma,
    })

    it('login, refresh and logout carry Cache-Control: no-store and Pragma: no-cache', async () => {
      const logged = await login(SEED_LOGIN)
      expect(logged.status).toBe(200)
      expect(logged.headers['set-cookie']).toBeDefined()
      expect(noStore(logged)).toEqual(NO_STORE)
      const tokens = logged.json() as { access_token: string; refresh_token: string }
      const refreshed = await app.request('POST', '/auth/refresh', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      })
      expect(refreshed.status).toBe(200)
      expect(noStore(refreshed)).toEqual(NO_STORE)
      const next = refreshed.json() as { access_token: string }
      const revoked = await app.request('POST', '/auth/revoke', {
        headers: { authorization: `JWT ${next.access_token}` },
      })
      expect(revoked.status).toBe(204)
      expect(revoked.headers['set-cookie']).toBeDefined()
      expect(noStore(revoked)).toEqual(NO_STORE)
    })

    it('leaves other answers to the application (no header on /health)', async () => {
      const response = await app.request('GET', '/health')
      expect(response.headers['cache-control']).toBeUndefined()
    })
  })

  describe('success responses', () => {
    it.each([
      ['/health', undefined, { status: 'ok' }],
      ['/health?probe=1', undefined, { status: 'ok' }],
      ['/api/v1/private', 'token', { meaning_of_life: 42 }],
      ['/api/v1/me', 'token', { user_id: 123 }],
    ])('GET %s answers JSON with the charset', async (path, auth, body) => {
      const headers: Record<string, string> =
        auth === undefined ? {} : { authorization: `JWT ${accessToken}` }
      const response = await app.request('GET', path, { headers })
      expect(response.status).toBe(200)
      expect(response.headers['content-type']).toBe(JSON_TYPE)
      expect(response.json()).toEqual(body)
    })
  })
})

/**
 * The same request gets the same bytes from every adapter: status, body and the headers the
 * contract decides, compared with the first app's, row by row (issue 18: the fetch handler joins).
 */
describe('the same answer on every adapter', () => {
  const apps: { name: string; app: TestApp; token: string }[] = []
  beforeAll(async () => {
    for (const { name, create } of APPS) {
      const app = await create()
      const response = await app.request('POST', '/auth', {
        headers: { 'content-type': 'application/json' },
        body: SEED_LOGIN,
      })
      apps.push({ name, app, token: (response.json() as { access_token: string }).access_token })
    }
  })
  afterAll(async () => {
    for (const { app } of apps) await app.close()
  })

  const ROWS: [string, string, string, Record<string, string>?, string?][] = [
    ['no token', 'GET', '/api/v1/private'],
    ['another scheme', 'GET', '/api/v1/private', { authorization: 'Bearer abc' }],
    [
      'a bad signature',
      'GET',
      '/api/v1/me',
      { authorization: `JWT ${mint(flaskPayload(nowSeconds()), { secret: 'x'.repeat(40) })}` },
    ],
    ['the seed token', 'GET', '/api/v1/me', { authorization: 'JWT {token}' }],
    ['HEAD without a token', 'HEAD', '/api/v1/private'],
    ['GET /auth', 'GET', '/auth'],
    ['an unknown route', 'GET', '/nope'],
    [
      'wrong credentials',
      'POST',
      '/auth',
      { 'content-type': 'application/json' },
      '{"username":"masnun","password":"no"}',
    ],
    ['malformed JSON', 'POST', '/auth', { 'content-type': 'application/json' }, '{"username":'],
    ['not JSON', 'POST', '/auth', { 'content-type': 'text/plain' }, 'hello'],
    ['revoke without a token', 'POST', '/auth/revoke', { 'content-type': 'application/json' }, '{}'],
    [
      'a spent refresh token',
      'POST',
      '/auth/refresh',
      { 'content-type': 'application/json' },
      '{"refresh_token":"x.y.z"}',
    ],
  ]

  it.each(ROWS)('%s', async (_name, method, path, headers = {}, body = undefined) => {
    const answers = await Promise.all(
      apps.map(async ({ name, app, token }) => {
        const sent = Object.fromEntries(
          Object.entries(headers).map(([header, value]) => [header, value.replace('{token}', token)]),
        )
        const response = await app.request(method, path, {
          headers: sent,
          ...(body === undefined ? {} : { body }),
        })
        const { 'content-type': type, 'www-authenticate': challenge, allow } = response.headers
        return { name, answer: { status: response.status, type, challenge, allow, text: response.text } }
      }),
    )
    expect(answers.length).toBe(APPS.length)
    const [first] = answers
    for (const { name, answer } of answers) expect({ name, ...answer }).toEqual({ name, ...first?.answer })
  })
})
