/**
 * Differential test against jose (HS256): what we sign, jose verifies; what jose signs, we verify;
 * and malformed variants are refused by both.
 */
import { jwtVerify, SignJWT } from 'jose'
import { createHmacKey, createVerifier, signToken } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { accepts } from '../support/errors.js'
import { b64url, flaskPayload } from '../support/tokens.js'

const SECRET = 'differential-secret-with-32-bytes-or-more'
const secretBytes = new TextEncoder().encode(SECRET)
const NOW = 1_700_000_000
const key = createHmacKey(SECRET)
const ours = createVerifier({ keys: [key], now: () => NOW })

async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, secretBytes, {
      algorithms: ['HS256'],
      currentDate: new Date(NOW * 1000),
      clockTolerance: 10,
      requiredClaims: ['exp', 'iat', 'nbf'],
    })
    return true
  } catch {
    return false
  }
}

const oursAccepts = (token: string) => accepts(ours, token)

describe('differential against jose (HS256)', () => {
  const payload = { ...flaskPayload(NOW), jti: 'j-1' }

  it('jose verifies a token we sign, with the same payload', async () => {
    const token = signToken(payload, key)
    const { payload: decoded, protectedHeader } = await jwtVerify(token, secretBytes, {
      algorithms: ['HS256'],
      currentDate: new Date(NOW * 1000),
    })
    expect(decoded).toEqual(payload)
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
  })

  it('we verify a token jose signs, with the same payload', async () => {
    const token = await new SignJWT({ identity: 123 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(NOW)
      .setNotBefore(NOW)
      .setExpirationTime(NOW + 300)
      .sign(secretBytes)
    expect(ours(token)).toEqual(flaskPayload(NOW))
  })

  const valid = signToken(payload, key)
  const [h, p, s] = valid.split('.') as [string, string, string]
  const variants: [string, string][] = [
    ['truncated', valid.slice(0, -5)],
    ['re-padded payload', `${h}.${p}==.${s}`],
    ['re-encoded as standard base64', `${h}.${Buffer.from(p, 'base64url').toString('base64')}.${s}`],
    ['wrong alg header', `${b64url({ alg: 'HS384', typ: 'JWT' })}.${p}.${s}`],
    ['alg none without signature', `${b64url({ alg: 'none' })}.${p}.`],
    ['tampered payload', `${h}.${b64url({ ...payload, identity: 1 })}.${s}`],
    ['tampered signature', `${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`],
    ['whitespace inside', `${h} .${p}.${s}`],
    ['empty', ''],
  ]

  it.each(variants)('both refuse a %s token', async (_name, token) => {
    expect(oursAccepts(token)).toBe(false)
    expect(await joseAccepts(token)).toBe(false)
  })

  it('refuses a re-padded signature, which jose tolerates (RFC 7515 §2 forbids padding)', async () => {
    expect(oursAccepts(`${valid}=`)).toBe(false)
    expect(await joseAccepts(`${valid}=`)).toBe(true)
  })

  it('agrees with jose on the exp boundary under the same leeway', async () => {
    for (const offset of [-20, -11, -10, -9, 0, 9, 10, 11, 20]) {
      const token = signToken({ ...payload, exp: NOW + offset }, key)
      expect([offset, oursAccepts(token)]).toEqual([offset, await joseAccepts(token)])
    }
  })
})
