import {
  createJwtGuard,
  currentIdentity,
  ERROR_CODES,
  type ErrorCode,
  isJwtGuardError,
  JwtGuardError,
  type JwtGuardOptions,
  type JwtKey,
} from 'jwtguard'
import { errorResponse, statusOf, tokenFromAuthorization, toSeconds } from 'jwtguard/adapter'
import { describe, expect, it } from 'vitest'
import { rejectionCode } from '../support/errors.js'
import type { GuardOverrides } from '../support/guard-options.js'
import { decodeSegment, flaskPayload, mint } from '../support/tokens.js'

const SECRET = 'guard-test-secret-of-at-least-32-bytes'
const NOW = 1_700_000_000

interface Identity {
  user_id: number
}

function makeGuard(overrides: GuardOverrides<Identity> = {}) {
  return createJwtGuard<Identity>({
    secret: SECRET,
    now: () => NOW,
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: (payload) => (payload.identity === 123 ? { user_id: 123 } : null),
    ...overrides,
  })
}

describe('createJwtGuard options', () => {
  const required = {
    authenticate: () => null,
    identity: () => null,
  }
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no secret', {}, /secret is required/],
    ['an empty secret', { secret: '' }, /secret/],
    ['a short secret', { secret: 'super-secret' }, /at least 32.*allowShortSecret/],
    [
      'a PEM public key as secret',
      { secret: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----' },
      /public\/private key/,
    ],
    ['a JWK as secret', { secret: '{"kty":"RSA","n":"abc","e":"AQAB"} padding to reach 32 bytes' }, /JWK/],
    ['an unknown algorithm', { secret: SECRET, algorithm: 'none' }, /alg must be one of/],
    ['a non-positive expiresIn', { secret: SECRET, expiresIn: 0 }, /expiresIn/],
    ['a malformed duration', { secret: SECRET, expiresIn: '5 fortnights' }, /expiresIn must be/],
    ['a prefix with a space', { secret: SECRET, headerPrefix: 'J W T' }, /headerPrefix/],
    ['a realm with a newline', { secret: SECRET, realm: 'a\nb' }, /realm/],
    ['a relative authPath', { secret: SECRET, authPath: 'auth' }, /authPath/],
    ['equal field names', { secret: SECRET, usernameKey: 'u', passwordKey: 'u' }, /differ/],
    ['a tiny body limit', { secret: SECRET, bodyLimit: 1 }, /bodyLimit/],
  ])('refuses %s with a message saying how to fix it', (_name, options, message) => {
    expect(() => createJwtGuard({ ...required, ...options } as unknown as JwtGuardOptions<unknown>)).toThrow(
      message,
    )
  })

  it('refuses a missing authenticate or identity callback', () => {
    expect(() => createJwtGuard({ secret: SECRET, identity: () => null } as never)).toThrow(/authenticate/)
    expect(() => createJwtGuard({ secret: SECRET, authenticate: () => null } as never)).toThrow(/identity/)
  })

  it("applies Flask-JWT's defaults", () => {
    const { options } = makeGuard()
    expect(options).toMatchObject({
      expiresIn: 300,
      notBefore: 0,
      leeway: 10,
      headerPrefix: 'JWT',
      realm: 'Login Required',
      authPath: '/auth',
      usernameKey: 'username',
      passwordKey: 'password',
      requiredClaims: ['exp', 'iat', 'nbf'],
      maxTokenSize: 8192,
      bodyLimit: 16384,
    })
    expect(options.mode === 'issuer' && (options.key as JwtKey).alg).toBe('HS256')
  })

  it('mounts no route when authPath is false', () => {
    expect(makeGuard({ authPath: false }).routes).toEqual([])
  })
})

describe('durations', () => {
  it.each<[number | string, number]>([
    [300, 300],
    ['300', 300],
    ['15m', 900],
    ['2h', 7200],
    ['14d', 1_209_600],
    ['1.5h', 5400],
    ['90 seconds', 90],
  ])('%s is %i seconds', (value, seconds) => {
    expect(toSeconds(value, 'x')).toBe(seconds)
  })
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '', '15y', 'm'])('refuses %s', (value) => {
    expect(() => toSeconds(value, 'expiresIn')).toThrow(/expiresIn/)
  })
})

describe('tokens issued by the guard', () => {
  it("have Flask-JWT's claims, with a jti, under a frozen clock", () => {
    const token = makeGuard().createAccessToken({ id: 123 })
    expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const payload = decodeSegment(token, 1)
    expect(payload).toMatchObject({ exp: NOW + 300, iat: NOW, nbf: NOW, identity: 123 })
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('honour expiresIn, notBefore and a custom identity claim', () => {
    const guard = makeGuard({ expiresIn: '15m', notBefore: 5, identityClaim: 'sub' })
    expect(decodeSegment(guard.createAccessToken({ id: 'u-1' }), 1)).toMatchObject({
      exp: NOW + 900,
      nbf: NOW + 5,
      sub: 'u-1',
    })
  })

  it('go through the payload handler', () => {
    const guard = makeGuard({ payloadHandler: (user, defaults) => ({ ...defaults, tenant: `t-${user.id}` }) })
    expect(decodeSegment(guard.createAccessToken({ id: 7 }), 1).tenant).toBe('t-7')
  })

  it('refuse a user without an id', () => {
    expect(() => makeGuard().createAccessToken({} as never)).toThrow(/id/)
  })
})

describe('login', () => {
  const json = (value: unknown) => ({ contentType: 'application/json', body: JSON.stringify(value) })

  it('returns the access token', async () => {
    const guard = makeGuard()
    const route = guard.routes[0]
    expect(route).toMatchObject({ method: 'POST', path: '/auth' })
    const response = await route?.handle(json({ username: 'masnun', password: 'abc123' }))
    expect(response?.status).toBe(200)
    const { access_token } = JSON.parse(response?.body ?? '{}')
    expect(guard.verify(access_token).identity).toBe(123)
  })

  it('uses the configured field names and response handler', async () => {
    const guard = makeGuard({
      usernameKey: 'email',
      passwordKey: 'secret',
      authResponseHandler: (tokens, user) => ({ token: tokens.access_token, id: user.id }),
    })
    const response = await guard.routes[0]?.handle(json({ email: 'masnun', secret: 'abc123' }))
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({ id: 123, token: expect.any(String) })
  })

  it.each<[string, { contentType: string | undefined; body: string | undefined }, ErrorCode]>([
    ['wrong password', json({ username: 'masnun', password: 'x' }), 'ERR_INVALID_CREDENTIALS'],
    ['extra field', json({ username: 'masnun', password: 'abc123', x: 1 }), 'ERR_INVALID_CREDENTIALS'],
    ['no body', { contentType: 'application/json', body: undefined }, 'ERR_BODY_MALFORMED'],
    ['no content type', { contentType: undefined, body: '{}' }, 'ERR_MEDIA_TYPE_UNSUPPORTED'],
    ['a body over the limit', json({ username: 'a'.repeat(20000), password: 'b' }), 'ERR_BODY_TOO_LARGE'],
  ])('refuses %s', async (_name, raw, code) => {
    expect(await rejectionCode(makeGuard().routes[0]?.handle(raw) ?? Promise.resolve())).toBe(code)
  })
})

describe('authenticateRequest', () => {
  const guard = makeGuard()
  const token = mint(flaskPayload(NOW), { secret: SECRET })

  it('accepts a Web Headers object and Node headers alike', async () => {
    const web = await guard.authenticateRequest(new Headers({ authorization: `JWT ${token}` }))
    const node = await guard.authenticateRequest({ authorization: `JWT ${token}` })
    expect(web.identity).toEqual({ user_id: 123 })
    expect(node.identity).toEqual({ user_id: 123 })
  })

  it.each<[string, Record<string, string>, ErrorCode]>([
    ['no header', {}, 'ERR_TOKEN_MISSING'],
    ['another scheme', { authorization: `Bearer ${token}` }, 'ERR_AUTH_SCHEME_UNSUPPORTED'],
    [
      'an unknown user',
      { authorization: `JWT ${mint(flaskPayload(NOW, 9), { secret: SECRET })}` },
      'ERR_USER_NOT_FOUND',
    ],
  ])('refuses %s', async (_name, headers, code) => {
    expect(await rejectionCode(guard.authenticateRequest(headers))).toBe(code)
  })

  it('uses a custom prefix and token extractor', async () => {
    const bearer = makeGuard({ headerPrefix: 'Bearer' })
    expect((await bearer.authenticateRequest({ authorization: `bearer ${token}` })).identity.user_id).toBe(
      123,
    )
    const custom = makeGuard({ tokenExtractor: (headers) => (headers as Record<string, string>)['x-token'] })
    expect((await custom.authenticateRequest({ 'x-token': token })).identity.user_id).toBe(123)
  })

  it('runs code with the current identity', async () => {
    const withIdentity = makeGuard({ currentIdentity: true })
    const { identity } = await withIdentity.authenticateRequest({ authorization: `JWT ${token}` })
    const seen = await withIdentity.runWithIdentity(identity, async () => {
      await new Promise((resolve) => setImmediate(resolve))
      return currentIdentity<Identity>()
    })
    expect(seen).toEqual({ user_id: 123 })
    expect(currentIdentity()).toBeUndefined()
  })

  it.each([
    [true, { user_id: 123 }],
    [false, undefined],
  ])(
    'currentIdentity: %s → currentIdentity() gives %j; the callback runs either way',
    async (enabled, expected) => {
      const withOption = makeGuard({ currentIdentity: enabled })
      const { identity } = await withOption.authenticateRequest({ authorization: `JWT ${token}` })
      const seen = await withOption.runWithIdentity(identity, async () => {
        await new Promise((resolve) => setImmediate(resolve))
        return { current: currentIdentity<Identity>() }
      })
      expect(seen).toEqual({ current: expected })
    },
  )

  it('refuses a currentIdentity option that is not a boolean', () => {
    expect(() => makeGuard({ currentIdentity: 'no' as unknown as boolean })).toThrow(
      /currentIdentity must be true or false/,
    )
  })
})

describe('Authorization header parsing', () => {
  it.each<[string | undefined, string | undefined | ErrorCode]>([
    [undefined, undefined],
    ['', undefined],
    ['  \t ', undefined],
    ['JWT abc', 'abc'],
    ['jwt   abc  ', 'abc'],
    ['Bearer abc', 'ERR_AUTH_SCHEME_UNSUPPORTED'],
    ['JWTabc', 'ERR_AUTH_SCHEME_UNSUPPORTED'],
    ['JWT', 'ERR_AUTH_HEADER_MALFORMED'],
    ['JWT a b', 'ERR_AUTH_HEADER_MALFORMED'],
  ])('%j → %s', (header, expected) => {
    try {
      expect(tokenFromAuthorization(header, 'JWT')).toBe(expected)
    } catch (error) {
      expect(isJwtGuardError(error) && error.code).toBe(expected)
    }
  })
})

describe('error responses', () => {
  it('maps every code to a status', () => {
    for (const code of ERROR_CODES) expect(statusOf(code)).toBeGreaterThanOrEqual(400)
  })

  it('hides unknown errors behind a generic 500', () => {
    const response = errorResponse(new Error('database password is hunter2'), {
      scheme: 'JWT',
      realm: 'Login Required',
    })
    expect(response.status).toBe(500)
    expect(response.body).not.toContain('hunter2')
    expect(JSON.parse(response.body ?? '{}')).toEqual({
      status_code: 500,
      error: 'Internal Server Error',
      description: 'Internal server error',
    })
  })

  it('escapes the realm and description in the challenge', () => {
    const response = errorResponse(new JwtGuardError('ERR_TOKEN_MALFORMED', 'a "quoted" \\ value'), {
      scheme: 'JWT',
      realm: 'My "realm"',
    })
    expect(response.headers['www-authenticate']).toBe(
      'JWT realm="My \\"realm\\"", error="invalid_token", error_description="a \\"quoted\\" \\\\ value"',
    )
  })

  it("passes through the guard's errorHandler", () => {
    const guard = makeGuard({
      errorHandler: (response) => ({ ...response, headers: { ...response.headers, 'x-custom': '1' } }),
    })
    expect(guard.errorResponse(guard.notFound()).headers['x-custom']).toBe('1')
  })

  it('uses the route realm when given', () => {
    const response = makeGuard().errorResponse(new JwtGuardError('ERR_TOKEN_MISSING', 'x'), 'Admin')
    expect(response.headers['www-authenticate']).toBe('JWT realm="Admin"')
  })
})
