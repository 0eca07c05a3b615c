/**
 * Differential tests against jose for every asymmetric algorithm: tokens we sign verify with
 * jose, tokens jose signs verify with ours, and malformed variants are refused by both. The few
 * variants jose accepts and we refuse (non-canonical or padded base64url: the same signature
 * under a second spelling) are marked in the table; there is no variant we accept and jose refuses.
 */
import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'
import { type AsymmetricAlgorithm, createAsymmetricKey, createVerifier, signToken } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { accepts } from '../support/errors.js'
import { ALL_ASYMMETRIC, b64url, claims, mintAsymmetric, NOW, pairFor, rawSign } from './helpers.js'

const OPTIONS = { clockTolerance: 10, requiredClaims: ['exp', 'iat', 'nbf'] }

// Group orders, for the high-s (malleated) ECDSA signature both libraries accept.
const ORDER: Record<string, bigint> = {
  ES256: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  ES384: BigInt(
    '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
  ),
  ES512: BigInt(
    '0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  ),
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function parts(token: string): [string, string, string] {
  return token.split('.') as [string, string, string]
}

function withSignature(token: string, signature: Uint8Array): string {
  const [h, p] = parts(token)
  return `${h}.${p}.${Buffer.from(signature).toString('base64url')}`
}

function signatureOf(token: string): Buffer {
  return Buffer.from(parts(token)[2], 'base64url')
}

/** The same bytes with the unused low bits of the last character set: a second spelling. */
function nonCanonical(segment: string): string | undefined {
  const unused = segment.length % 4 === 2 ? 0x0f : segment.length % 4 === 3 ? 0x03 : 0
  if (unused === 0) return undefined
  const last = ALPHABET.indexOf(segment[segment.length - 1] as string)
  return segment.slice(0, -1) + ALPHABET[last | 1]
}

interface Variant {
  name: string
  token: string | undefined
  /** jose's verdict where it differs from ours (ours always refuses). */
  joseAccepts?: boolean
}

function variants(
  alg: AsymmetricAlgorithm,
  valid: string,
  privateKey: KeyObject,
  publicKey: KeyObject,
): Variant[] {
  const [h, p, s] = parts(valid)
  const sig = signatureOf(valid)
  const other = pairFor(alg, 1)
  const headerOf = (header: Record<string, unknown>) => `${b64url(header)}.${p}.${s}`
  const resigned = (header: Record<string, unknown>, payload: unknown = claims()) =>
    mintAsymmetric(payload, alg, privateKey, header)
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string
  const hsInput = `${b64url({ alg: 'HS256', kid: 'k' })}.${p}`
  const flipped = Buffer.from(sig)
  flipped[0] = (flipped[0] as number) ^ 0x80
  const list: Variant[] = [
    { name: 'truncated token', token: valid.slice(0, -2) },
    { name: 'signature cut in half', token: `${h}.${p}.${s.slice(0, Math.floor(s.length / 2))}` },
    { name: 'empty signature', token: `${h}.${p}.` },
    { name: 'two segments', token: `${h}.${p}` },
    { name: 'four segments', token: `${valid}.${s}` },
    {
      name: 'signature re-padded with =',
      token: `${valid}${'='.repeat((4 - (s.length % 4)) % 4 || 4)}`,
      joseAccepts: (4 - (s.length % 4)) % 4 !== 0,
    },
    {
      name: 'signature in standard base64 (+ /)',
      // A random signature may hold no - or _ at all: then both spellings are the same token.
      token: /[-_]/.test(s) ? `${h}.${p}.${sig.toString('base64').replace(/=+$/, '')}` : undefined,
    },
    {
      name: 'signature with non-canonical trailing bits',
      token: nonCanonical(s) === undefined ? undefined : `${h}.${p}.${nonCanonical(s)}`,
      joseAccepts: true,
    },
    {
      name: 'payload with non-canonical trailing bits',
      token: nonCanonical(p) === undefined ? undefined : `${h}.${nonCanonical(p)}.${s}`,
    },
    {
      name: 'header re-encoded with whitespace (signature now wrong)',
      token: `${b64url(` ${Buffer.from(h, 'base64url').toString()}`)}.${p}.${s}`,
    },
    { name: 'tampered payload', token: `${h}.${b64url({ ...claims(), identity: 2 })}.${s}` },
    { name: 'tampered signature', token: withSignature(valid, flipped) },
    {
      name: 'signed by another key',
      token: mintAsymmetric(claims(), alg, other.privateKey, { alg, kid: 'k' }),
    },
    { name: 'alg none, no signature', token: `${b64url({ alg: 'none' })}.${p}.` },
    { name: 'alg none, original signature', token: headerOf({ alg: 'none', kid: 'k' }) },
    {
      name: 'alg HS256 with the public key PEM as secret',
      token: `${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`,
    },
    {
      name: 'alg of another family, original signature',
      token: headerOf({ alg: alg === 'EdDSA' ? 'ES256' : 'EdDSA', kid: 'k' }),
    },
    { name: 'alg missing', token: headerOf({ kid: 'k' }) },
    { name: 'crit header', token: resigned({ alg, kid: 'k', crit: ['exp'], exp: 1 }) },
    { name: 'payload not JSON', token: resigned({ alg, kid: 'k' }, 'not json') },
    { name: 'payload a JSON array', token: resigned({ alg, kid: 'k' }, [1, 2]) },
    { name: 'expired', token: resigned({ alg, kid: 'k' }, claims(NOW - 1000)) },
    {
      name: 'signature with a leading zero byte',
      token: withSignature(valid, Buffer.concat([Buffer.alloc(1), sig])),
    },
    {
      name: 'signature with a trailing zero byte',
      token: withSignature(valid, Buffer.concat([sig, Buffer.alloc(1)])),
    },
  ]
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const same = alg.startsWith('RS') ? `PS${alg.slice(2)}` : `RS${alg.slice(2)}`
    list.push({
      name: `alg ${same} (same key type), original signature`,
      token: headerOf({ alg: same, kid: 'k' }),
    })
    list.push({
      name: `alg ${same}, re-signed as ${same}`,
      token: mintAsymmetric(claims(), same as never, privateKey, { alg: same, kid: 'k' }),
    })
  }
  if (alg.startsWith('ES')) {
    const half = sig.length / 2
    const n = ORDER[alg] as bigint
    const p1363 = rawSign(alg, `${h}.${p}`, privateKey)
    // node:crypto's default ECDSA encoding is DER.
    const der = cryptoSign(`sha${alg.slice(2)}`, Buffer.from(`${h}.${p}`), privateKey)
    list.push({ name: 'DER-encoded signature', token: withSignature(valid, der) })
    list.push({
      name: 'r = 0',
      token: withSignature(valid, Buffer.concat([Buffer.alloc(half), sig.subarray(half)])),
    })
    list.push({
      name: 's = 0',
      token: withSignature(valid, Buffer.concat([sig.subarray(0, half), Buffer.alloc(half)])),
    })
    list.push({
      name: 'r = s = 0 (psychic signature)',
      token: withSignature(valid, Buffer.alloc(sig.length)),
    })
    list.push({
      name: 'r = n, s = n',
      token: withSignature(valid, Buffer.concat([toBytes(n, half), toBytes(n, half)])),
    })
    list.push({ name: 'r||s one byte short', token: withSignature(valid, p1363.subarray(1)) })
    const other256 = alg === 'ES256' ? 'ES384' : 'ES256'
    list.push({
      name: `alg ${other256} (another curve), original signature`,
      token: headerOf({ alg: other256, kid: 'k' }),
    })
  }
  return list
}

function toBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex')
}

describe.each(ALL_ASYMMETRIC)('differential against jose: %s', (alg) => {
  const pair = pairFor(alg)
  const signing = createAsymmetricKey(pair.privateKey, { alg, kid: 'k' })
  const ours = createVerifier({
    keys: [createAsymmetricKey(pair.publicKey, { alg, kid: 'k' })],
    now: () => NOW,
  })

  const oursAccepts = (token: string) => accepts(ours, token)

  async function joseAccepts(token: string): Promise<boolean> {
    try {
      await jwtVerify(token, pair.publicKey, {
        ...OPTIONS,
        algorithms: [alg],
        currentDate: new Date(NOW * 1000),
      })
      return true
    } catch {
      return false
    }
  }

  it('what we sign, jose verifies', async () => {
    const token = signToken(claims(), signing)
    expect(await joseAccepts(token)).toBe(true)
    const { payload } = await jwtVerify(token, pair.publicKey, {
      algorithms: [alg],
      currentDate: new Date(NOW * 1000),
    })
    expect(payload).toEqual(claims())
  })

  it('what jose signs, we verify (with and without kid)', async () => {
    for (const header of [{ alg, kid: 'k' }, { alg }, { alg, typ: 'JWT', kid: 'k' }]) {
      const token = await new SignJWT(claims()).setProtectedHeader(header).sign(pair.privateKey)
      expect(ours(token)).toEqual(claims())
    }
  })

  it('malformed variants: refused by ours, and by jose except where marked', async () => {
    const valid = await new SignJWT(claims()).setProtectedHeader({ alg, kid: 'k' }).sign(pair.privateKey)
    expect([oursAccepts(valid), await joseAccepts(valid)]).toEqual([true, true])
    for (const variant of variants(alg, valid, pair.privateKey, pair.publicKey)) {
      if (variant.token === undefined) continue
      expect({ variant: variant.name, ours: oursAccepts(variant.token) }).toEqual({
        variant: variant.name,
        ours: false,
      })
      expect({ variant: variant.name, jose: await joseAccepts(variant.token) }).toEqual({
        variant: variant.name,
        jose: variant.joseAccepts === true,
      })
    }
  })

  if (alg.startsWith('ES'))
    it('a malleated (r, n - s) signature: accepted by both, like OpenSSL', async () => {
      const valid = signToken(claims(), signing)
      const sig = signatureOf(valid)
      const half = sig.length / 2
      const n = ORDER[alg] as bigint
      const s = BigInt(`0x${sig.subarray(half).toString('hex')}`)
      const malleated = withSignature(valid, Buffer.concat([sig.subarray(0, half), toBytes(n - s, half)]))
      expect([oursAccepts(malleated), await joseAccepts(malleated)]).toEqual([true, true])
    })
})
