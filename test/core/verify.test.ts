import { Buffer } from 'node:buffer'
import { createHmacKey, createVerifier, type ErrorCode, isJwtGuardError, signToken } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { b64url, flaskPayload, mint } from '../support/tokens.js'
import seed from '../vectors/flask-jwt-seed.json' with { type: 'json' }
import rfc7515 from '../vectors/rfc7515-a1.json' with { type: 'json' }

const SECRET = 'unit-test-secret-of-at-least-32-bytes!'
const NOW = 1_700_000_000
const key = createHmacKey(SECRET)
const verify = createVerifier({ keys: [key], now: () => NOW })

function codeOf(action: () => unknown): ErrorCode | 'no error' {
  try {
    action()
    return 'no error'
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
    return error.code
  }
}

describe('test vectors', () => {
  it('verifies RFC 7515 Appendix A.1 (HS256) at a time before its exp', () => {
    const rfcKey = createHmacKey(Buffer.from(rfc7515.jwk.k, 'base64url'))
    const rfcVerify = createVerifier({ keys: [rfcKey], requiredClaims: ['exp'], now: () => 1300819370 })
    expect(rfcVerify(rfc7515.token)).toEqual(rfc7515.payload)
  })

  it('refuses RFC 7515 Appendix A.1 after its exp', () => {
    const rfcKey = createHmacKey(Buffer.from(rfc7515.jwk.k, 'base64url'))
    const rfcVerify = createVerifier({ keys: [rfcKey], requiredClaims: ['exp'], now: () => 1300819380 + 10 })
    expect(codeOf(() => rfcVerify(rfc7515.token))).toBe('ERR_TOKEN_EXPIRED')
  })

  it("verifies the Flask-JWT token printed in the seed tutorial, with the seed's secret", () => {
    const seedKey = createHmacKey(seed.secret, { allowShortSecret: true })
    const seedVerify = createVerifier({ keys: [seedKey], now: () => seed.payload.iat + 60 })
    expect(seedVerify(seed.token)).toEqual(seed.payload)
  })
})

describe('createVerifier', () => {
  it('round-trips a token signed by signToken', () => {
    const payload = { ...flaskPayload(NOW), jti: 'abc' }
    expect(verify(signToken(payload, key))).toEqual(payload)
  })

  it('accepts a token whose header is written differently from ours', () => {
    const token = mint(flaskPayload(NOW), { secret: SECRET, header: { typ: 'JWT', alg: 'HS256' } })
    expect(verify(token)).toEqual(flaskPayload(NOW))
  })

  const valid = mint(flaskPayload(NOW), { secret: SECRET })
  const [header, payload, signature] = valid.split('.') as [string, string, string]

  it.each<[string, string, ErrorCode]>([
    ['an empty string', '', 'ERR_TOKEN_MALFORMED'],
    ['two segments', `${header}.${payload}`, 'ERR_TOKEN_MALFORMED'],
    ['four segments', `${valid}.x`, 'ERR_TOKEN_MALFORMED'],
    ['a padded header', `${header}=.${payload}.${signature}`, 'ERR_TOKEN_MALFORMED'],
    [
      'standard base64 characters',
      `${header}.${payload.replace(/-/g, '+')}+.${signature}`,
      'ERR_TOKEN_MALFORMED',
    ],
    ['a tampered signature', `${header}.${payload}.${signature.slice(0, -2)}AA`, 'ERR_SIGNATURE_INVALID'],
    ['a truncated signature', `${header}.${payload}.${signature.slice(0, 20)}`, 'ERR_SIGNATURE_INVALID'],
    ['an empty signature', `${header}.${payload}.`, 'ERR_SIGNATURE_INVALID'],
    [
      'a tampered payload',
      `${header}.${b64url({ ...flaskPayload(NOW), identity: 1 })}.${signature}`,
      'ERR_SIGNATURE_INVALID',
    ],
    ['a header that is not JSON', `${b64url('not json')}.${payload}.${signature}`, 'ERR_TOKEN_MALFORMED'],
    ['a header that is an array', `${b64url('[]')}.${payload}.${signature}`, 'ERR_TOKEN_MALFORMED'],
    ['a token over the size limit', `${header}.${'A'.repeat(9000)}.${signature}`, 'ERR_TOKEN_TOO_LARGE'],
  ])('refuses %s', (_name, token, code) => {
    expect(codeOf(() => verify(token))).toBe(code)
  })

  it('refuses a non-canonical last base64url character (unused bits set)', () => {
    // "e30" is `{}`; "e31" decodes to the same bytes but is not the canonical encoding.
    const canonical = mint({}, { secret: SECRET })
    const [h, , s] = canonical.split('.')
    expect(codeOf(() => verify(`${h}.e31.${s}`))).toBe('ERR_TOKEN_MALFORMED')
  })

  it.each<[string, Record<string, unknown>, ErrorCode]>([
    ['alg none', { alg: 'none', typ: 'JWT' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg None', { alg: 'None' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg NONE', { alg: 'NONE' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg HS512', { alg: 'HS512' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg RS256', { alg: 'RS256' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg missing', { typ: 'JWT' }, 'ERR_ALG_NOT_ALLOWED'],
    ['alg as an array', { alg: ['HS256'] }, 'ERR_ALG_NOT_ALLOWED'],
    ['an unknown crit', { alg: 'HS256', crit: ['exp'], exp: 1 }, 'ERR_CRIT_UNSUPPORTED'],
    ['an empty crit', { alg: 'HS256', crit: [] }, 'ERR_CRIT_UNSUPPORTED'],
    ['b64 false', { alg: 'HS256', b64: false }, 'ERR_CRIT_UNSUPPORTED'],
    ['an unknown kid', { alg: 'HS256', kid: 'other' }, 'ERR_KEY_NOT_FOUND'],
    ['a non-string kid', { alg: 'HS256', kid: 7 }, 'ERR_KEY_NOT_FOUND'],
  ])('refuses a header with %s, even when correctly signed', (_name, jwtHeader, code) => {
    const token = mint(flaskPayload(NOW), { secret: SECRET, header: jwtHeader })
    expect(codeOf(() => verify(token))).toBe(code)
  })

  it('checks the signature before the claims', () => {
    const expiredAndForged = mint(flaskPayload(NOW - 1000), {
      secret: 'a-different-secret-of-32-bytes-or-more',
    })
    expect(codeOf(() => verify(expiredAndForged))).toBe('ERR_SIGNATURE_INVALID')
  })

  it.each<[string, unknown, ErrorCode]>([
    ['an array payload', [1, 2], 'ERR_TOKEN_MALFORMED'],
    ['a string payload', 'text', 'ERR_TOKEN_MALFORMED'],
    ['a null payload', null, 'ERR_TOKEN_MALFORMED'],
    ['a number payload', 42, 'ERR_TOKEN_MALFORMED'],
  ])('refuses %s after a valid signature', (_name, body, code) => {
    const token = mint(JSON.stringify(body), { secret: SECRET })
    expect(codeOf(() => verify(token))).toBe(code)
  })

  it('refuses invalid JSON in the payload', () => {
    expect(codeOf(() => verify(mint('{"exp":', { secret: SECRET })))).toBe('ERR_TOKEN_MALFORMED')
  })
})

describe('claims', () => {
  const verifyClaims = (claims: Record<string, unknown>) =>
    codeOf(() => verify(mint(claims, { secret: SECRET })))
  const base = flaskPayload(NOW)

  it.each<[string, Record<string, unknown>, ErrorCode | 'no error']>([
    ['a valid token', base, 'no error'],
    ['exp exactly now', { ...base, exp: NOW }, 'no error'],
    ['exp 10 s ago (inside the leeway)', { ...base, exp: NOW - 9 }, 'no error'],
    ['exp at the leeway boundary', { ...base, exp: NOW - 10 }, 'ERR_TOKEN_EXPIRED'],
    ['exp long ago', { ...base, exp: NOW - 3600 }, 'ERR_TOKEN_EXPIRED'],
    ['nbf in 10 s (inside the leeway)', { ...base, nbf: NOW + 10 }, 'no error'],
    ['nbf in 11 s', { ...base, nbf: NOW + 11 }, 'ERR_TOKEN_NOT_YET_VALID'],
    ['iat in the future', { ...base, iat: NOW + 60 }, 'ERR_TOKEN_NOT_YET_VALID'],
    ['no exp', { iat: NOW, nbf: NOW }, 'ERR_CLAIM_INVALID'],
    ['no iat', { exp: NOW + 1, nbf: NOW }, 'ERR_CLAIM_INVALID'],
    ['no nbf', { exp: NOW + 1, iat: NOW }, 'ERR_CLAIM_INVALID'],
    ['exp null', { ...base, exp: null }, 'ERR_CLAIM_INVALID'],
    ['exp as a string', { ...base, exp: String(NOW + 300) }, 'ERR_CLAIM_INVALID'],
    ['exp as a boolean', { ...base, exp: true }, 'ERR_CLAIM_INVALID'],
    ['exp as an array', { ...base, exp: [NOW + 300] }, 'ERR_CLAIM_INVALID'],
    ['iat as a string', { ...base, iat: String(NOW) }, 'ERR_CLAIM_INVALID'],
    ['nbf as an object', { ...base, nbf: {} }, 'ERR_CLAIM_INVALID'],
    ['a negative exp', { ...base, exp: -1 }, 'ERR_TOKEN_EXPIRED'],
    ['a refresh token', { ...base, type: 'refresh' }, 'ERR_TOKEN_TYPE_INVALID'],
    ['an unknown type marker', { ...base, type: 'id' }, 'ERR_TOKEN_TYPE_INVALID'],
    ['an explicit access marker', { ...base, type: 'access' }, 'no error'],
  ])('%s → %s', (_name, claims, code) => {
    expect(verifyClaims(claims)).toBe(code)
  })

  it('refuses an exp written in exponent notation that overflows to Infinity', () => {
    const raw = `{"exp":1e400,"iat":${NOW},"nbf":${NOW}}`
    expect(codeOf(() => verify(mint(raw, { secret: SECRET })))).toBe('ERR_CLAIM_INVALID')
  })

  it('accepts exponent notation that is a finite number', () => {
    const raw = `{"exp":1.7e9,"iat":${NOW},"nbf":${NOW}}`
    expect(codeOf(() => verify(mint(raw, { secret: SECRET })))).toBe('no error')
  })

  it('reports the claim name, never its value', () => {
    try {
      verify(mint({ ...base, exp: 'secret-value' }, { secret: SECRET }))
      expect.unreachable()
    } catch (error) {
      expect(isJwtGuardError(error) && error.claim).toBe('exp')
      expect(String((error as Error).message)).not.toContain('secret-value')
    }
  })

  it('expects a refresh marker when verifying a refresh token', () => {
    expect(codeOf(() => verify(mint(base, { secret: SECRET }), 'refresh'))).toBe('ERR_TOKEN_TYPE_INVALID')
    expect(codeOf(() => verify(mint({ ...base, type: 'refresh' }, { secret: SECRET }), 'refresh'))).toBe(
      'no error',
    )
  })

  it('makes claims optional only when requiredClaims says so', () => {
    const lenient = createVerifier({ keys: [key], requiredClaims: ['exp'], now: () => NOW })
    expect(codeOf(() => lenient(mint({ exp: NOW + 5 }, { secret: SECRET })))).toBe('no error')
  })
})

describe('createVerifier options', () => {
  it.each([
    ['no keys', { keys: [] }],
    ['a negative leeway', { keys: [key], leeway: -1 }],
    ['a tiny maxTokenSize', { keys: [key], maxTokenSize: 10 }],
  ])('refuses %s at construction', (_name, options) => {
    expect(() => createVerifier(options)).toThrow(/keys|leeway|maxTokenSize/)
  })
})
