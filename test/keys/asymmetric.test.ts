/**
 * Asymmetric keys: every algorithm signs and verifies, keys load from every encoding, the key
 * decides the algorithm, and what does not fit is refused at construction.
 */
import {
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { calculateJwkThumbprint, type JWK } from 'jose'
import {
  type AsymmetricAlgorithm,
  createAsymmetricKey,
  createVerifier,
  generateAsymmetricKey,
  isAsymmetricKey,
  signToken,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { ALL_ASYMMETRIC, claims, codeOf, mintAsymmetric, NOW, pairFor, rawSign, rsaPair } from './helpers.js'

const CERT_PEM = readFileSync(new URL('./fixtures/rsa-cert.pem', import.meta.url), 'utf8')

describe('every asymmetric algorithm', () => {
  it.each(ALL_ASYMMETRIC)(
    '%s: signs, verifies its own and node:crypto tokens, refuses a tampered one',
    (alg) => {
      const pair = pairFor(alg)
      const key = createAsymmetricKey(pair.privateKey, { alg, kid: 'k1' })
      expect(key.alg).toBe(alg)
      expect(key.canSign).toBe(true)
      const verify = createVerifier({
        keys: [createAsymmetricKey(pair.publicKey, { alg, kid: 'k1' })],
        now: () => NOW,
      })
      const token = signToken(claims(), key)
      expect(verify(token)).toMatchObject({ identity: 1 })
      const minted = mintAsymmetric(claims(), alg, pair.privateKey, { alg, typ: 'JWT', kid: 'k1' })
      expect(verify(minted)).toMatchObject({ identity: 1 })
      const [h, , s] = token.split('.') as [string, string, string]
      const tamperedPayload = Buffer.from(JSON.stringify({ ...claims(), identity: 2 })).toString('base64url')
      expect(codeOf(() => verify(`${h}.${tamperedPayload}.${s}`))).toBe('ERR_SIGNATURE_INVALID')
    },
  )

  it.each(ALL_ASYMMETRIC)('%s: a public-only key verifies but cannot sign', (alg) => {
    const pair = pairFor(alg)
    for (const key of [
      createAsymmetricKey(pair.publicKey, { alg }),
      createAsymmetricKey(pair.privateKey, { alg, publicOnly: true }),
    ]) {
      expect(key.canSign).toBe(false)
      expect(() => signToken(claims(), key)).toThrow(TypeError)
      expect(() => key.sign('a.b')).toThrow(/cannot sign/)
      const input = 'eyJhbGciOiJub25lIn0.e30'
      expect(key.verify(input, rawSign(alg, input, pair.privateKey))).toBe(true)
    }
  })

  it('generateAsymmetricKey makes a signing key for each algorithm', () => {
    for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA'] as const) {
      const key = generateAsymmetricKey(alg, { kid: alg })
      expect([key.alg, key.kid, key.canSign, isAsymmetricKey(key)]).toEqual([alg, alg, true, true])
    }
  })
})

describe('key encodings', () => {
  const rsa = rsaPair()
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const der = (key: KeyObject, type: 'spki' | 'pkcs1' | 'pkcs8' | 'sec1') =>
    key.export({ format: 'der', type } as never) as Buffer
  const pem = (key: KeyObject, type: 'spki' | 'pkcs1' | 'pkcs8' | 'sec1') =>
    key.export({ format: 'pem', type } as never) as string

  const cases: Array<
    [string, Parameters<typeof createAsymmetricKey>[0], AsymmetricAlgorithm | undefined, boolean]
  > = [
    ['RSA PKCS#8 PEM', pem(rsa.privateKey, 'pkcs8'), 'RS256', true],
    ['RSA PKCS#1 private PEM', pem(rsa.privateKey, 'pkcs1'), 'PS256', true],
    ['RSA SPKI PEM', pem(rsa.publicKey, 'spki'), 'RS384', false],
    ['RSA PKCS#1 public PEM', pem(rsa.publicKey, 'pkcs1'), 'RS256', false],
    ['RSA PEM with leading whitespace', `\n\t  ${pem(rsa.publicKey, 'spki')}`, 'RS256', false],
    ['RSA PKCS#8 DER bytes', der(rsa.privateKey, 'pkcs8'), 'RS512', true],
    ['RSA PKCS#1 DER bytes', der(rsa.publicKey, 'pkcs1'), 'RS256', false],
    ['RSA SPKI DER bytes', der(rsa.publicKey, 'spki'), 'PS512', false],
    ['RSA PEM bytes', Buffer.from(pem(rsa.privateKey, 'pkcs8')), 'RS256', true],
    ['RSA private JWK', rsa.privateKey.export({ format: 'jwk' }), 'RS256', true],
    [
      'RSA public JWK JSON text',
      JSON.stringify({ ...rsa.publicKey.export({ format: 'jwk' }), alg: 'PS384' }),
      undefined,
      false,
    ],
    ['EC SEC1 PEM', pem(ec.privateKey, 'sec1'), undefined, true],
    ['EC SEC1 DER', der(ec.privateKey, 'sec1'), 'ES256', true],
    ['EC SPKI PEM', pem(ec.publicKey, 'spki'), undefined, false],
    ['EC public JWK', ec.publicKey.export({ format: 'jwk' }), undefined, false],
    ['Ed25519 PKCS#8 PEM', pem(ed.privateKey, 'pkcs8'), undefined, true],
    ['Ed25519 public JWK', ed.publicKey.export({ format: 'jwk' }), 'EdDSA', false],
    ['KeyObject (private)', ed.privateKey, undefined, true],
    ['KeyObject (public)', ec.publicKey, undefined, false],
    ['X.509 certificate PEM', CERT_PEM, 'RS256', false],
    ['X.509 certificate DER', new X509Certificate(CERT_PEM).raw, 'RS256', false],
  ]

  it.each(cases)('reads %s', (_name, material, alg, canSign) => {
    const key = createAsymmetricKey(material, { alg })
    expect(key.canSign).toBe(canSign)
    expect(key.publicKey.type).toBe('public')
  })

  it('takes alg and kid from a JWK, and checks that options agree', () => {
    const jwk = { ...ec.publicKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'from-jwk', use: 'sig' }
    const key = createAsymmetricKey(jwk)
    expect([key.alg, key.kid]).toEqual(['ES256', 'from-jwk'])
    expect(createAsymmetricKey(jwk, { kid: 'override' }).kid).toBe('override')
    expect(createAsymmetricKey(jwk, { kid: null }).kid).toBeUndefined()
    const rsaJwk = { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'PS256' }
    expect(createAsymmetricKey(rsaJwk).alg).toBe('PS256')
    expect(() => createAsymmetricKey(rsaJwk, { alg: 'RS256' })).toThrow(/contradicts/)
  })

  it('rsaAlgorithm applies to RSA keys without alg only', () => {
    expect(createAsymmetricKey(rsa.publicKey, { rsaAlgorithm: 'PS384' }).alg).toBe('PS384')
    expect(createAsymmetricKey(rsa.publicKey, { rsaAlgorithm: 'PS384', alg: 'RS256' }).alg).toBe('RS256')
    expect(
      createAsymmetricKey(
        { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'RS512' },
        { rsaAlgorithm: 'PS384' },
      ).alg,
    ).toBe('RS512')
    expect(createAsymmetricKey(ec.publicKey, { rsaAlgorithm: 'PS384' }).alg).toBe('ES256')
    expect(() => createAsymmetricKey(ec.publicKey, { rsaAlgorithm: 'ES256' })).toThrow(/rsaAlgorithm/)
  })

  it('defaults kid to the RFC 7638 thumbprint, as jose computes it', async () => {
    for (const publicKey of [rsa.publicKey, ec.publicKey, ed.publicKey]) {
      const key = createAsymmetricKey(publicKey, {
        alg: publicKey.asymmetricKeyType === 'rsa' ? 'RS256' : undefined,
      })
      expect(key.kid).toBe(await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK))
    }
  })
})

describe('the key decides the algorithm (CVE-2022-23539: insecure key types)', () => {
  const rsa = rsaPair()
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pss = generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm: 'sha256',
    mgf1HashAlgorithm: 'sha256',
  })
  const refused: Array<[string, () => unknown, RegExp]> = [
    ['an RSA key without alg', () => createAsymmetricKey(rsa.publicKey), /RSA key serves one algorithm/],
    [
      'an RSA key for ES256',
      () => createAsymmetricKey(rsa.publicKey, { alg: 'ES256' }),
      /cannot be used for ES256/,
    ],
    ['an RSA key for EdDSA', () => createAsymmetricKey(rsa.privateKey, { alg: 'EdDSA' }), /cannot be used/],
    [
      'an RSA 1024 key',
      () =>
        createAsymmetricKey(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, { alg: 'RS256' }),
      /at least 2048/,
    ],
    [
      'a P-256 key for ES384',
      () => createAsymmetricKey(p256.publicKey, { alg: 'ES384' }),
      /serves ES256 only/,
    ],
    [
      'a P-384 key for ES256',
      () =>
        createAsymmetricKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, { alg: 'ES256' }),
      /serves ES384 only/,
    ],
    [
      'an EC key for RS256',
      () => createAsymmetricKey(p256.privateKey, { alg: 'RS256' }),
      /serves ES256 only/,
    ],
    [
      'a secp256k1 key',
      () => createAsymmetricKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey),
      /not supported/,
    ],
    [
      'an Ed25519 key for ES256',
      () => createAsymmetricKey(generateKeyPairSync('ed25519').publicKey, { alg: 'ES256' }),
      /EdDSA only/,
    ],
    ['an Ed448 key', () => createAsymmetricKey(generateKeyPairSync('ed448').publicKey), /not supported/],
    ['an X25519 key', () => createAsymmetricKey(generateKeyPairSync('x25519').publicKey), /not supported/],
    [
      'a DSA key',
      () =>
        createAsymmetricKey(
          generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).publicKey,
        ),
      /not supported/,
    ],
    [
      'an RSA-PSS-restricted key for RS256',
      () => createAsymmetricKey(pss.publicKey, { alg: 'RS256' }),
      /RSA-PSS-restricted keys/,
    ],
    [
      'an RSA-PSS-restricted key for PS256',
      () => createAsymmetricKey(pss.privateKey, { alg: 'PS256' }),
      /RSA-PSS-restricted keys/,
    ],
    ['random bytes', () => createAsymmetricKey(Buffer.alloc(32)), /neither PEM nor a DER/],
    ['an oct JWK', () => createAsymmetricKey({ kty: 'oct', k: 'AAAA' }), /symmetric \(oct\)/],
    [
      'an encryption JWK',
      () => createAsymmetricKey({ ...p256.publicKey.export({ format: 'jwk' }), use: 'enc' }),
      /only "sig"/,
    ],
    [
      'a JWK for encryption only',
      () => createAsymmetricKey({ ...p256.publicKey.export({ format: 'jwk' }), key_ops: ['encrypt'] }),
      /key_ops/,
    ],
    [
      'a JWK with alg none',
      () => createAsymmetricKey({ ...p256.publicKey.export({ format: 'jwk' }), alg: 'none' }),
      /JWK "alg"/,
    ],
    [
      'a JWK with alg HS256',
      () => createAsymmetricKey({ ...p256.publicKey.export({ format: 'jwk' }), alg: 'HS256' }),
      /JWK "alg"/,
    ],
    ['alg none', () => createAsymmetricKey(p256.publicKey, { alg: 'none' as never }), /alg must be one of/],
    [
      'an HMAC secret string',
      () => createAsymmetricKey('a-shared-secret-of-more-than-32-bytes!!'),
      /createHmacKey/,
    ],
    [
      'an encrypted private key',
      () =>
        createAsymmetricKey(
          rsa.privateKey.export({
            format: 'pem',
            type: 'pkcs8',
            cipher: 'aes-256-cbc',
            passphrase: 'x',
          }) as string,
          { alg: 'RS256' },
        ),
      /encrypted/,
    ],
    ['an empty kid', () => createAsymmetricKey(p256.publicKey, { kid: '' }), /kid/],
  ]
  it.each(refused)('refuses %s', (_name, create, message) => {
    expect(create).toThrow(message)
  })

  it('serves PS256/384/512 from a plain RSA key', () => {
    for (const alg of ['PS256', 'PS384', 'PS512'] as const) {
      const key = createAsymmetricKey(rsa.privateKey, { alg })
      const verify = createVerifier({ keys: [key], now: () => NOW })
      expect(verify(signToken(claims(), key))).toMatchObject({ identity: 1 })
    }
  })

  it('refuses a secret KeyObject', () => {
    expect(() => createAsymmetricKey(createSecretKey(Buffer.alloc(32, 1)))).toThrow(/createHmacKey/)
  })
})

describe('signature shape checks', () => {
  const lengths: Array<[AsymmetricAlgorithm, number]> = [
    ['ES256', 64],
    ['ES384', 96],
    ['ES512', 132],
    ['EdDSA', 64],
    ['RS256', 256],
    ['PS256', 256],
  ]
  it.each(lengths)('%s accepts exactly %i signature bytes', (alg, length) => {
    const pair = pairFor(alg)
    const key = createAsymmetricKey(pair.publicKey, { alg })
    const input = 'eyJhbGciOiJFUzI1NiJ9.e30'
    const signature = rawSign(alg, input, pair.privateKey)
    expect(signature.length).toBe(length)
    expect(key.verify(input, signature)).toBe(true)
    expect(key.verify(input, signature.subarray(1))).toBe(false)
    expect(key.verify(input, Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false)
    expect(key.verify(input, Buffer.concat([Buffer.alloc(1), signature]))).toBe(false)
    expect(key.verify(input, Buffer.alloc(0))).toBe(false)
  })

  it.each(['ES256', 'ES384', 'ES512'] as const)('%s refuses DER signatures and r = 0 / s = 0', (alg) => {
    const pair = pairFor(alg)
    const key = createAsymmetricKey(pair.publicKey)
    const input = 'eyJhbGciOiJFUzI1NiJ9.e30'
    const signature = rawSign(alg, input, pair.privateKey)
    const half = signature.length / 2
    const der = cryptoSign(`sha${alg.slice(2)}`, Buffer.from(input), pair.privateKey)
    expect(key.verify(input, der)).toBe(false)
    expect(key.verify(input, Buffer.alloc(signature.length))).toBe(false)
    expect(key.verify(input, Buffer.concat([Buffer.alloc(half), signature.subarray(half)]))).toBe(false)
    expect(key.verify(input, Buffer.concat([signature.subarray(0, half), Buffer.alloc(half)]))).toBe(false)
  })

  it('a public key read from a certificate verifies', () => {
    const publicKey = createPublicKey(CERT_PEM)
    expect(createAsymmetricKey(publicKey, { alg: 'RS256' }).canSign).toBe(false)
  })
})
