/**
 * RFC 7515 Appendix A.1-A.4 and RFC 7520 section 4.1-4.4 vectors (fixtures in test/vectors/).
 * Deterministic algorithms (RS256, HS256) must reproduce the published signature byte for byte;
 * randomized ones (PS384, ES256, ES512) must verify it. Payloads that are text rather than a JSON
 * object pass the signature and are then refused as malformed: the signature is checked first.
 */
import { readFileSync } from 'node:fs'
import { type Algorithm, createAsymmetricKey, createHmacKey, createVerifier, type JwtKey } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { codeOf } from './helpers.js'

interface Vector {
  description: string
  alg?: Algorithm
  jwk: Record<string, string>
  token: string
  payload?: Record<string, unknown>
  payloadText?: string
}

const load = (name: string): Vector =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as Vector

const VECTORS: Array<[string, boolean]> = [
  ['rfc7515-a1.json', true],
  ['rfc7515-a2.json', true],
  ['rfc7515-a3.json', false],
  ['rfc7515-a4.json', false],
  ['rfc7520-4.1.json', true],
  ['rfc7520-4.2.json', false],
  ['rfc7520-4.3.json', false],
  ['rfc7520-4.4.json', true],
]

// RFC 7515's examples expire at 1300819380 (2011-03-22T18:43:00Z).
const BEFORE_EXPIRY = 1_300_819_000

function keysOf(vector: Vector): { signer: JwtKey; verifier: JwtKey } {
  const { jwk } = vector
  const kid = jwk.kid ?? null
  if (jwk.kty === 'oct') {
    const secret = Buffer.from(jwk.k as string, 'base64url')
    const key = createHmacKey(secret, { alg: 'HS256', kid: jwk.kid })
    return { signer: key, verifier: key }
  }
  const alg = (vector.alg ?? 'HS256') as never
  return {
    signer: createAsymmetricKey(jwk, { alg, kid }),
    verifier: createAsymmetricKey(jwk, { alg, kid, publicOnly: true }),
  }
}

describe.each(VECTORS)('%s', (name, deterministic) => {
  const vector = load(name)
  const [header, payload, signature] = vector.token.split('.') as [string, string, string]
  const input = `${header}.${payload}`
  const { signer, verifier } = keysOf(vector)

  it('the key verifies the published signature, and no altered one', () => {
    const bytes = Buffer.from(signature, 'base64url')
    expect(verifier.verify(input, bytes)).toBe(true)
    const flipped = Buffer.from(bytes)
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1
    expect(verifier.verify(input, flipped)).toBe(false)
    expect(verifier.verify(`${input}x`, bytes)).toBe(false)
  })

  if (deterministic)
    it('signing reproduces the published signature', () => {
      expect(signer.sign(input).toString('base64url')).toBe(signature)
    })

  it('the verifier accepts the token (or, for a text payload, refuses it only after the signature)', () => {
    const verify = createVerifier({ keys: [verifier], requiredClaims: [], now: () => BEFORE_EXPIRY })
    if (vector.payload !== undefined) {
      expect(verify(vector.token)).toEqual(vector.payload)
    } else {
      expect(Buffer.from(payload, 'base64url').toString('utf8')).toBe(vector.payloadText)
      expect(codeOf(() => verify(vector.token))).toBe('ERR_TOKEN_MALFORMED')
    }
    const badSignature = `${input}.${Buffer.alloc(Buffer.from(signature, 'base64url').length, 1).toString('base64url')}`
    expect(codeOf(() => verify(badSignature))).toBe('ERR_SIGNATURE_INVALID')
  })
})
