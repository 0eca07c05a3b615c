/**
 * A JSON Web Key (or a whole JWKS document) given as an HMAC secret: its text is public, so any
 * HS* token keyed with it is a forgery. No HMAC key can be built from JWK text or objects, and
 * a verifier over asymmetric keys refuses HS* headers whatever secret they were keyed with.
 */
import { generateKeyPairSync } from 'node:crypto'
import {
  createAsymmetricKey,
  createHmacKey,
  createJwtGuard,
  createRemoteJwks,
  createRemoteVerifier,
  createVerifier,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { type AttackRow, asyncCodeOf, hs, runAttackTable, seedClaims, seedIdentity, T0 } from './support.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const rsaJwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256', use: 'sig' }
const JWKS = {
  keys: [rsaJwk, ec.publicKey.export({ format: 'jwk' }), ed.publicKey.export({ format: 'jwk' })],
}

/** JWK and JWKS texts as they appear in configuration: compact, pretty, reordered, padded. */
const JWK_TEXTS: Array<[string, string]> = [
  ['compact RSA JWK', JSON.stringify(rsaJwk)],
  ['pretty-printed RSA JWK', JSON.stringify(rsaJwk, null, 2)],
  ['RSA JWK with members reordered', JSON.stringify({ n: rsaJwk.n, e: rsaJwk.e, kty: 'RSA' })],
  ['RSA JWK after a newline', `\n${JSON.stringify(rsaJwk)}`],
  ['RSA JWK after a byte-order mark', `\uFEFF${JSON.stringify(rsaJwk)}`],
  ['EC P-256 JWK', JSON.stringify(ec.publicKey.export({ format: 'jwk' }))],
  ['Ed25519 JWK', JSON.stringify(ed.publicKey.export({ format: 'jwk' }))],
  ['JWKS document', JSON.stringify(JWKS)],
  ['a JWKS array', JSON.stringify(JWKS.keys)],
]

const payload = seedClaims()
const verifyRs = createVerifier({ keys: [createAsymmetricKey(rsaJwk)], now: () => T0 })

describe('GHSA-g3jj-5cmm-3hxx / CVE-2026-107724 (fast-jwt 6.2.4): raw public JWK JSON classified as an HMAC secret', () => {
  // @see https://osv.dev/vulnerability/GHSA-g3jj-5cmm-3hxx
  it.each(JWK_TEXTS)('createHmacKey refuses the %s (TypeError, at construction)', (_name, text) => {
    expect(() => createHmacKey(text)).toThrow(TypeError)
    expect(() => createHmacKey(Buffer.from(text))).toThrow(TypeError)
  })
  it.each([
    ['a JWK object', rsaJwk],
    ['a JWKS object', JWKS],
  ])('createHmacKey and createJwtGuard refuse %s', (_name, value) => {
    expect(() => createHmacKey(value as never)).toThrow(TypeError)
    expect(() =>
      createJwtGuard({ secret: value as never, authenticate: () => null, identity: () => null }),
    ).toThrow(TypeError)
  })

  const rows: AttackRow[] = JWK_TEXTS.map(([name, text]) => ({
    name: `HS256 keyed with the ${name}`,
    token: hs({ alg: 'HS256', typ: 'JWT' }, payload, text),
    code: 'ERR_ALG_NOT_ALLOWED',
  }))
  runAttackTable(rows, {
    verify: verifyRs,
    makeGuard: (context) =>
      createJwtGuard({
        key: createAsymmetricKey(rsaJwk, { kid: null }),
        authenticate: () => null,
        identity: seedIdentity(context),
      }),
  })
})

describe('CVE-2026-48526 (PyJWT) and CVE-2026-22818 (hono): a remote JWKS never yields an HMAC key', () => {
  // @see https://github.com/honojs/hono/security/advisories/GHSA-3vhc-576x-3qv4
  const octJwk = {
    kty: 'oct',
    kid: 'h1',
    k: Buffer.from('attacker-known-secret-of-32-bytes!!').toString('base64url'),
  }
  const document = JSON.stringify({ keys: [rsaJwk, octJwk] })
  const jwks = createRemoteJwks({
    url: 'https://issuer.test/jwks.json',
    issuer: 'https://issuer.test',
    audience: 'api',
    now: () => T0 * 1000,
    fetch: async () => new Response(document, { status: 200 }),
  })
  const verify = createRemoteVerifier({ jwks, now: () => T0 })
  const claims = { ...payload, iss: 'https://issuer.test', aud: 'api' }

  it('skips the oct JWK of the set', async () => {
    await jwks.ready()
    expect(jwks.status()).toMatchObject({ keys: 1, skipped: 1 })
  })
  it.each([
    [
      'HS256 with the oct JWK kid, keyed with its bytes',
      hs({ alg: 'HS256', kid: 'h1' }, claims, Buffer.from(octJwk.k, 'base64url')),
      'ERR_KEY_NOT_FOUND',
    ],
    [
      'HS256 with the RSA kid, keyed with the JWKS document text',
      hs({ alg: 'HS256', kid: 'r1' }, claims, document),
      'ERR_ALG_NOT_ALLOWED',
    ],
    [
      'HS256 with the RSA kid, keyed with the RSA JWK text',
      hs({ alg: 'HS256', kid: 'r1' }, claims, JSON.stringify(rsaJwk)),
      'ERR_ALG_NOT_ALLOWED',
    ],
  ])('%s: %s', async (_name, token, code) => {
    await jwks.ready()
    expect(await asyncCodeOf(verify(token))).toBe(code)
  })
})
