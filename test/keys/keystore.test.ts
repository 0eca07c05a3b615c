/**
 * The keystore: kid in every token, verification by kid, rotation without restart while old tokens
 * keep verifying until their key retires, and key-pointing headers (jku, x5u, jwk, x5c) never
 * followed.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createAsymmetricKey,
  createHmacKey,
  createKeyStore,
  createVerifier,
  generateAsymmetricKey,
  isKeyStore,
  signToken,
} from 'jwtguard'
import { errorResponse } from 'jwtguard/adapter'
import { describe, expect, it } from 'vitest'
import { claims, codeOf, mintAsymmetric, NOW, pairFor } from './helpers.js'

function clock(start = NOW) {
  let now = start
  return { now: () => now, advance: (seconds: number) => (now += seconds) }
}

function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8'))
}

describe('createKeyStore', () => {
  it('signs with the active key and puts its kid in the header', () => {
    const store = createKeyStore({ active: generateAsymmetricKey('ES256', { kid: 'k1' }) })
    expect(isKeyStore(store)).toBe(true)
    const token = signToken(claims(), store)
    expect(decodeHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' })
    expect(createVerifier({ keys: store, now: () => NOW })(token)).toMatchObject({ identity: 1 })
  })

  it('picks the verifying key by kid; an unknown kid is 401 Invalid token', () => {
    const a = generateAsymmetricKey('ES256', { kid: 'a' })
    const b = generateAsymmetricKey('EdDSA', { kid: 'b' })
    const store = createKeyStore({ active: a, verifyOnly: [b] })
    const verify = createVerifier({ keys: store, now: () => NOW })
    expect(verify(signToken(claims(), a))).toMatchObject({ identity: 1 })
    expect(verify(signToken(claims(), b))).toMatchObject({ identity: 1 })
    const stranger = generateAsymmetricKey('ES256', { kid: 'c' })
    const error = (() => {
      try {
        verify(signToken(claims(), stranger))
        return undefined
      } catch (caught) {
        return caught
      }
    })()
    expect(codeOf(() => verify(signToken(claims(), stranger)))).toBe('ERR_KEY_NOT_FOUND')
    const response = errorResponse(error, { scheme: 'JWT', realm: 'Login Required' })
    expect(response.status).toBe(401)
    expect(JSON.parse(response.body ?? '{}').error).toBe('Invalid token')
  })

  it('refuses a kid naming a key of another algorithm (the key decides)', () => {
    const a = generateAsymmetricKey('ES256', { kid: 'a' })
    const store = createKeyStore({ active: a })
    const verify = createVerifier({ keys: store, now: () => NOW })
    const other = pairFor('ES384')
    const forged = mintAsymmetric(claims(), 'ES384', other.privateKey, { alg: 'ES384', kid: 'a' })
    expect(codeOf(() => verify(forged))).toBe('ERR_ALG_NOT_ALLOWED')
  })

  it('verifies a token without kid with the active key only', () => {
    const pair = pairFor('ES256')
    const active = createAsymmetricKey(pair.privateKey, { kid: 'a' })
    const store = createKeyStore({ active, verifyOnly: [generateAsymmetricKey('ES256', { kid: 'b' })] })
    const verify = createVerifier({ keys: store, now: () => NOW })
    expect(verify(mintAsymmetric(claims(), 'ES256', pair.privateKey))).toMatchObject({ identity: 1 })
  })

  it.each([
    [
      'an active key without kid',
      () => createKeyStore({ active: createHmacKey('x'.repeat(32)) }),
      /needs a kid/,
    ],
    [
      'a public active key',
      () => createKeyStore({ active: createAsymmetricKey(pairFor('ES256').publicKey, { kid: 'p' }) }),
      /public key/,
    ],
    [
      'two keys with one kid',
      () =>
        createKeyStore({
          active: generateAsymmetricKey('ES256', { kid: 'x' }),
          verifyOnly: [generateAsymmetricKey('EdDSA', { kid: 'x' })],
        }),
      /used by two keys/,
    ],
    [
      'something that is not a key',
      () => createKeyStore({ active: { alg: 'none', kid: 'n' } as never }),
      /must be a key/,
    ],
    [
      'a bad maxTokenLifetime',
      () => createKeyStore({ active: generateAsymmetricKey('EdDSA'), maxTokenLifetime: 'forever' }),
      /maxTokenLifetime/,
    ],
  ])('refuses %s', (_name, create, message) => {
    expect(create).toThrow(message)
  })

  it('holds HMAC keys with a kid too', () => {
    const key = createHmacKey('s'.repeat(32), { kid: 'hs' })
    const store = createKeyStore({ active: key })
    expect(createVerifier({ keys: store, now: () => NOW })(signToken(claims(), store))).toMatchObject({
      identity: 1,
    })
  })
})

describe('rotation without restart', () => {
  it('new tokens use the new key, old tokens verify until the old key retires', () => {
    const time = clock()
    const k1 = generateAsymmetricKey('ES256', { kid: 'k1' })
    const k2 = generateAsymmetricKey('ES256', { kid: 'k2' })
    const store = createKeyStore({ active: k1, maxTokenLifetime: 600, now: time.now })
    // One verifier for the whole test: it must follow the store without being rebuilt.
    const verify = createVerifier({ keys: store, now: time.now, leeway: 0 })
    const old = signToken(claims(time.now(), { exp: time.now() + 600 }), store)
    const v1 = store.version

    expect(store.rotate(k2)).toBe(k1)
    expect(store.version).toBeGreaterThan(v1)
    expect(store.activeKey).toBe(k2)
    const fresh = signToken(claims(time.now(), { exp: time.now() + 600 }), store)
    expect(decodeHeader(fresh).kid).toBe('k2')
    expect(verify(fresh)).toMatchObject({ identity: 1 })
    expect(verify(old)).toMatchObject({ identity: 1 })
    expect(store.entries().map((entry) => [entry.key.kid, entry.active, entry.retireAt])).toEqual([
      ['k2', true, undefined],
      ['k1', false, NOW + 600],
    ])

    time.advance(599)
    expect(verify(old)).toMatchObject({ identity: 1 })
    time.advance(1)
    // The old key retired: a token it signed (even one claiming a later exp) is refused by kid.
    const lateForgery = signToken(claims(time.now(), { exp: time.now() + 600 }), k1)
    expect(codeOf(() => verify(lateForgery))).toBe('ERR_KEY_NOT_FOUND')
    expect(store.get('k1')).toBeUndefined()
    expect(store.get('k2')).toBe(k2)
  })

  it('honours retireAfter, promotes a pre-published key, and retire() removes a key at once', () => {
    const time = clock()
    const k1 = generateAsymmetricKey('EdDSA', { kid: 'k1' })
    const k2 = generateAsymmetricKey('EdDSA', { kid: 'k2' })
    const store = createKeyStore({ active: k1, now: time.now })
    store.add(k2)
    const verify = createVerifier({ keys: store, now: time.now })
    expect(verify(signToken(claims(), k2))).toMatchObject({ identity: 1 })
    store.rotate(k2, { retireAfter: '5m' })
    expect(store.entries()[1]?.retireAt).toBe(NOW + 300)
    const old = signToken(claims(), k1)
    expect(verify(old)).toMatchObject({ identity: 1 })
    expect(store.retire('k1')).toBe(true)
    expect(store.retire('k1')).toBe(false)
    expect(codeOf(() => verify(old))).toBe('ERR_KEY_NOT_FOUND')
    expect(() => store.retire('k2')).toThrow(/active key cannot be retired/)
    expect(() => store.rotate(k2)).toThrow(/already the active key/)
    expect(() => store.add(generateAsymmetricKey('EdDSA', { kid: 'k2' }))).toThrow(/already in the keystore/)
    expect(() => store.rotate(createAsymmetricKey(pairFor('EdDSA').publicKey, { kid: 'pub' }))).toThrow(
      /public key/,
    )
  })

  it('a verifier built before the rotation uses the new key and forgets one retired at once', () => {
    const time = clock()
    const k1 = createHmacKey('a'.repeat(32), { kid: 'k1' })
    const k2 = createHmacKey('b'.repeat(32), { kid: 'k2' })
    const store = createKeyStore({ active: k1, now: time.now })
    const verify = createVerifier({ keys: store, now: time.now })
    let calls = 0
    const counting = {
      ...k2,
      verify(input: string, sig: Uint8Array) {
        calls += 1
        return k2.verify(input, sig)
      },
    }
    store.rotate(counting, { retireAfter: 0 })
    expect(verify(signToken(claims(), store))).toMatchObject({ identity: 1 })
    expect(calls).toBe(1)
    // retireAfter 0: k1 is gone immediately.
    expect(codeOf(() => verify(signToken(claims(), k1)))).toBe('ERR_KEY_NOT_FOUND')
  })
})

describe('key-pointing headers are never followed', () => {
  it('ignores jku and x5u: no request reaches the URL, the token is refused', async () => {
    let requests = 0
    const server = createServer((_req, res) => {
      requests += 1
      res.end('{"keys":[]}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
    try {
      const store = createKeyStore({ active: generateAsymmetricKey('ES256', { kid: 'ours' }) })
      const verify = createVerifier({ keys: store, now: () => NOW })
      const attacker = pairFor('ES256')
      for (const header of [
        { alg: 'ES256', kid: 'attacker', jku: url },
        { alg: 'ES256', kid: 'ours', jku: url },
        { alg: 'ES256', x5u: url },
        { alg: 'ES256', kid: 'ours', x5u: url },
      ]) {
        const token = mintAsymmetric(claims(), 'ES256', attacker.privateKey, header)
        expect(['ERR_KEY_NOT_FOUND', 'ERR_SIGNATURE_INVALID']).toContain(codeOf(() => verify(token)))
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(requests).toBe(0)
    } finally {
      server.close()
    }
  })

  it('ignores an embedded jwk (and x5c): the attacker key inside the token is not used', () => {
    const ours = generateAsymmetricKey('ES256', { kid: 'ours' })
    const verify = createVerifier({ keys: createKeyStore({ active: ours }), now: () => NOW })
    const attacker = pairFor('ES256')
    const jwk = attacker.publicKey.export({ format: 'jwk' })
    for (const header of [
      { alg: 'ES256', jwk },
      { alg: 'ES256', kid: 'ours', jwk },
      { alg: 'ES256', kid: 'ours', jwk: { ...jwk, kid: 'ours' } },
      { alg: 'ES256', kid: 'ours', x5c: ['MIIB'] },
    ]) {
      const token = mintAsymmetric(claims(), 'ES256', attacker.privateKey, header)
      expect(codeOf(() => verify(token))).toBe('ERR_SIGNATURE_INVALID')
    }
  })
})
