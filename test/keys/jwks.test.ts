/**
 * JWKS publishing: public parts only (never private or symmetric material), kid/alg/use on each
 * key, usable by jose to verify our tokens, and an HTTP response with Cache-Control.
 */
import { createLocalJWKSet, jwtVerify } from 'jose'
import {
  createAsymmetricKey,
  createHmacKey,
  createKeyStore,
  generateAsymmetricKey,
  signToken,
  toJwks,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { jwksResponse } from '../../src/core/jwks.js'
import { ALL_ASYMMETRIC, claims, NOW, pairFor } from './helpers.js'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'r', 't']

function everyKeyOf(value: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) everyKeyOf(item, visit)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      visit(key, inner)
      everyKeyOf(inner, visit)
    }
  }
}

describe('toJwks', () => {
  const signing = ALL_ASYMMETRIC.map((alg, index) =>
    createAsymmetricKey(pairFor(alg, alg.startsWith('PS') ? 1 : 0).privateKey, { alg, kid: `kid-${index}` }),
  )
  const hmac = createHmacKey('a-shared-secret-that-must-never-be-published', { kid: 'hs' })
  const store = createKeyStore({ active: signing[0] as never, verifyOnly: [...signing.slice(1), hmac] })

  it('publishes the public part of every asymmetric key, and never a private or symmetric member', () => {
    const jwks = toJwks(store)
    expect(jwks.keys.map((jwk) => jwk.kid)).toEqual(signing.map((key) => key.kid))
    const serialised = JSON.stringify(jwks)
    expect(serialised).not.toContain('a-shared-secret')
    expect(serialised).not.toContain(
      Buffer.from('a-shared-secret-that-must-never-be-published').toString('base64url'),
    )
    everyKeyOf(jwks, (member) => expect(PRIVATE_MEMBERS).not.toContain(member))
    for (const jwk of jwks.keys) {
      expect(jwk.use).toBe('sig')
      expect(Object.keys(jwk).sort()).toEqual(
        {
          RSA: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
          EC: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
          OKP: ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
        }[jwk.kty],
      )
    }
  })

  it('each published key verifies our tokens with jose, under its own algorithm only', async () => {
    const keySet = createLocalJWKSet(toJwks(store) as never)
    for (const key of signing) {
      const token = signToken(claims(), key)
      const { payload, protectedHeader } = await jwtVerify(token, keySet, {
        currentDate: new Date(NOW * 1000),
      })
      expect([payload.identity, protectedHeader.kid]).toEqual([1, key.kid])
    }
  })

  it('publishes nothing for a store of HMAC keys, and follows rotation', () => {
    expect(toJwks(createKeyStore({ active: hmac }))).toEqual({ keys: [] })
    const time = { now: NOW }
    const rotating = createKeyStore({
      active: generateAsymmetricKey('EdDSA', { kid: 'one' }),
      now: () => time.now,
    })
    rotating.rotate(generateAsymmetricKey('EdDSA', { kid: 'two' }), { retireAfter: 60 })
    expect(toJwks(rotating).keys.map((jwk) => jwk.kid)).toEqual(['two', 'one'])
    time.now += 60
    expect(toJwks(rotating).keys.map((jwk) => jwk.kid)).toEqual(['two'])
  })

  it('accepts a plain list of keys', () => {
    expect(toJwks([signing[8] as never, hmac]).keys.map((jwk) => jwk.alg)).toEqual(['ES512'])
  })
})

describe('jwksResponse', () => {
  it('is a 200 JSON response with Cache-Control, serialised once per key set', () => {
    const time = { now: NOW }
    const store = createKeyStore({
      active: generateAsymmetricKey('ES256', { kid: 'a' }),
      now: () => time.now,
    })
    const first = jwksResponse(store)
    expect(first.status).toBe(200)
    expect(first.headers['cache-control']).toBe('public, max-age=300')
    expect(first.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(first.body ?? '')).toEqual(toJwks(store))
    expect(jwksResponse(store).body).toBe(first.body)
    store.rotate(generateAsymmetricKey('ES256', { kid: 'b' }), { retireAfter: 10 })
    const rotated = JSON.parse(jwksResponse(store, { maxAge: 60 }).body ?? '')
    expect(rotated.keys.map((jwk: { kid: string }) => jwk.kid)).toEqual(['b', 'a'])
    expect(jwksResponse(store, { maxAge: 60 }).headers['cache-control']).toBe('public, max-age=60')
    expect(() => jwksResponse(store, { maxAge: -1 })).toThrow(/maxAge/)
  })
})
