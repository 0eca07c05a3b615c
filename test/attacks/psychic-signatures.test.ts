/**
 * Signatures of the wrong shape: ECDSA with r = 0 or s = 0 ("psychic signatures"), r or s equal
 * to the curve order, DER instead of JOSE's fixed-length r||s, and signatures one byte too short
 * or too long for every key type. Each key knows the exact length of its signatures and refuses
 * any other before any arithmetic; ECDSA r = 0 and s = 0 are refused outright.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { createAsymmetricKey, createJwtGuard, createVerifier, type JwtKey, signToken } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { API, type AttackRow, HS256, hs, runAttackTable, seedClaims, seedIdentity, T0 } from './support.js'

const CURVES = {
  ES256: {
    curve: 'prime256v1',
    size: 32,
    order: 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  },
  ES384: {
    curve: 'secp384r1',
    size: 48,
    order: 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  },
  ES512: {
    curve: 'secp521r1',
    size: 66,
    order:
      '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  },
} as const
const payload = seedClaims()

/** A token signed by `key`, and the same signing input with `signature` in place of its own. */
function tamper(key: JwtKey): {
  valid: string
  withSignature(signature: Buffer): string
  signature: Buffer
  input: string
} {
  const valid = signToken(payload, key)
  const input = valid.slice(0, valid.lastIndexOf('.'))
  return {
    valid,
    input,
    signature: Buffer.from(valid.slice(valid.lastIndexOf('.') + 1), 'base64url'),
    withSignature: (signature) => `${input}.${signature.toString('base64url')}`,
  }
}

function lengthRows(label: string, key: JwtKey): AttackRow[] {
  const { withSignature, signature, input } = tamper(key)
  return [
    {
      name: `${label}: one byte short`,
      token: withSignature(signature.subarray(1)),
      code: 'ERR_SIGNATURE_INVALID',
    },
    {
      name: `${label}: a zero byte in front`,
      token: withSignature(Buffer.concat([Buffer.alloc(1), signature])),
      code: 'ERR_SIGNATURE_INVALID',
    },
    {
      name: `${label}: a byte appended`,
      token: withSignature(Buffer.concat([signature, Buffer.alloc(1)])),
      code: 'ERR_SIGNATURE_INVALID',
    },
    {
      name: `${label}: all zero, right length`,
      token: withSignature(Buffer.alloc(signature.length)),
      code: 'ERR_SIGNATURE_INVALID',
    },
    { name: `${label}: empty`, token: `${input}.`, code: 'ERR_SIGNATURE_INVALID' },
  ]
}

describe('CVE-2022-21449 (Java 15-18 "psychic signatures"): ECDSA r = 0, s = 0 verified any message', () => {
  // @see https://nvd.nist.gov/vuln/detail/CVE-2022-21449
  for (const [alg, { curve, size, order }] of Object.entries(CURVES)) {
    describe(alg, () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve })
      const key = createAsymmetricKey(privateKey, { kid: null })
      const verify = createVerifier({ keys: [key], now: () => T0 })
      const { valid, withSignature, signature, input } = tamper(key)
      const r = signature.subarray(0, size)
      const s = signature.subarray(size)
      const zero = Buffer.alloc(size)
      const n = Buffer.from(order, 'hex')
      const der = sign(`sha${alg.slice(2)}`, Buffer.from(input), privateKey as KeyObject)

      it('control: its own signature verifies', () => {
        expect(verify(valid)).toEqual(payload)
      })
      const rows: AttackRow[] = [
        { name: 'r = 0, s = 0', token: withSignature(Buffer.alloc(2 * size)), code: 'ERR_SIGNATURE_INVALID' },
        {
          name: 'r = 0, s kept',
          token: withSignature(Buffer.concat([zero, s])),
          code: 'ERR_SIGNATURE_INVALID',
        },
        {
          name: 'r kept, s = 0',
          token: withSignature(Buffer.concat([r, zero])),
          code: 'ERR_SIGNATURE_INVALID',
        },
        {
          name: 'r = n, s = n (the curve order)',
          token: withSignature(Buffer.concat([n, n])),
          code: 'ERR_SIGNATURE_INVALID',
        },
        { name: 'r = n, s kept', token: withSignature(Buffer.concat([n, s])), code: 'ERR_SIGNATURE_INVALID' },
        {
          name: 'r and s swapped',
          token: withSignature(Buffer.concat([s, r])),
          code: 'ERR_SIGNATURE_INVALID',
        },
        {
          name: 'all bytes 0xff',
          token: withSignature(Buffer.alloc(2 * size, 0xff)),
          code: 'ERR_SIGNATURE_INVALID',
        },
        {
          name: 'the DER encoding of a valid signature of this input',
          token: withSignature(der),
          code: 'ERR_SIGNATURE_INVALID',
        },
        { name: 'r alone', token: withSignature(Buffer.from(r)), code: 'ERR_SIGNATURE_INVALID' },
        ...lengthRows(alg, key),
      ]
      // Over HTTP once, on ES256: the reference routes around an ES256 guard.
      runAttackTable(rows, {
        verify,
        http: alg === 'ES256',
        makeGuard: (context) =>
          createJwtGuard({ key, authenticate: () => null, identity: seedIdentity(context) }),
      })
    })
  }
})

describe('wrong-length signatures for every other key type (RFC 7518 §3.3, §3.5, RFC 8037)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  for (const [label, key] of [
    ['RS256', createAsymmetricKey(rsa, { alg: 'RS256', kid: null })],
    ['PS256', createAsymmetricKey(rsa, { alg: 'PS256', kid: null })],
    ['EdDSA', createAsymmetricKey(generateKeyPairSync('ed25519').privateKey, { kid: null })],
  ] as const) {
    describe(label, () => {
      const verify = createVerifier({ keys: [key], now: () => T0 })
      it('control: its own signature verifies', () => {
        expect(verify(signToken(payload, key))).toEqual(payload)
      })
      runAttackTable(lengthRows(label, key), { verify, http: false })
    })
  }
  describe('HS256 (the reference server)', () => {
    const valid = hs(HS256, payload)
    const input = valid.slice(0, valid.lastIndexOf('.'))
    const signature = Buffer.from(valid.slice(valid.lastIndexOf('.') + 1), 'base64url')
    it('control: its own signature verifies', () => {
      expect(API.verify(valid)).toEqual(payload)
    })
    runAttackTable([
      {
        name: 'HS256: truncated to 16 bytes',
        token: `${input}.${signature.subarray(0, 16).toString('base64url')}`,
        code: 'ERR_SIGNATURE_INVALID',
      },
      {
        name: 'HS256: one byte short',
        token: `${input}.${signature.subarray(1).toString('base64url')}`,
        code: 'ERR_SIGNATURE_INVALID',
      },
      {
        name: 'HS256: extended with its own first byte',
        token: `${input}.${Buffer.concat([signature, signature.subarray(0, 1)]).toString('base64url')}`,
        code: 'ERR_SIGNATURE_INVALID',
      },
      {
        name: 'HS256: all zero',
        token: `${input}.${Buffer.alloc(32).toString('base64url')}`,
        code: 'ERR_SIGNATURE_INVALID',
      },
      {
        name: 'HS256: a 64-byte signature',
        token: hs({ ...HS256 }, payload).replace(/\.[^.]*$/, `.${Buffer.alloc(64, 1).toString('base64url')}`),
        code: 'ERR_SIGNATURE_INVALID',
      },
    ])
  })
})
