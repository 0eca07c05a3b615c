/**
 * Algorithm confusion: an HS256 token whose HMAC key is the server's public key (any encoding,
 * with any prefix). Two walls, each tested: a verifier over an asymmetric key refuses every HS*
 * header (the key pins its algorithm), and no HMAC key can be built from public material at all,
 * so an HMAC verifier can never hold a public key by mistake.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  createAsymmetricKey,
  createHmacKey,
  createJwtGuard,
  createRemoteJwks,
  createRemoteVerifier,
  createVerifier,
  type JwtKey,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import {
  API,
  type AttackRow,
  asyncCodeOf,
  b64url,
  codeOf,
  describeHttp,
  expectRefused,
  hs,
  INVALID_TOKEN,
  runAttackTable,
  seedClaims,
  seedIdentity,
  T0,
} from './support.js'

const CERT_PEM = readFileSync(new URL('../keys/fixtures/rsa-cert.pem', import.meta.url), 'utf8')
const payload = seedClaims()
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pem = (key: KeyObject, type: 'spki' | 'pkcs1') => key.export({ format: 'pem', type }) as string
const SPKI = pem(rsa.publicKey, 'spki')
const PKCS1 = pem(rsa.publicKey, 'pkcs1')
const DER = rsa.publicKey.export({ format: 'der', type: 'spki' })
const JWK_TEXT = JSON.stringify(rsa.publicKey.export({ format: 'jwk' }))

/** The server: RS256, verification only, as a resource server holds it. */
const serverKey: JwtKey = createAsymmetricKey(rsa.publicKey, { alg: 'RS256', kid: null })
const certKey: JwtKey = createAsymmetricKey(CERT_PEM, { alg: 'RS256', kid: null })
const verifyRs = createVerifier({ keys: [serverKey], now: () => T0 })
const verifyCert = createVerifier({ keys: [certKey], now: () => T0 })

/** What an attacker may hold of a public key, each used as the HMAC secret. */
const MATERIALS: Array<[string, string | Uint8Array]> = [
  ['SPKI PEM', SPKI],
  ['PKCS#1 PEM', PKCS1],
  ['SPKI PEM with a leading newline', `\n${SPKI}`],
  ['SPKI PEM with leading spaces and a tab', `  \t${SPKI}`],
  ['PKCS#1 PEM after a byte-order mark', `\uFEFF${PKCS1}`],
  ['SPKI PEM without its trailing newline', SPKI.trimEnd()],
  ['SPKI PEM with CRLF line ends', SPKI.replace(/\n/g, '\r\n')],
  ['SPKI PEM after a non-whitespace prefix "x"', `x${SPKI}`],
  ['SPKI PEM after a comment line', `# key\n${SPKI}`],
  ['SPKI DER bytes', DER],
  ['SPKI DER as base64', DER.toString('base64')],
  ['the public JWK as JSON text', JWK_TEXT],
]
const forged = (secret: string | Uint8Array, alg = 'HS256') => hs({ alg, typ: 'JWT' }, payload, secret)

/** The reference routes around a guard holding `key` (real clock, real users). */
const guardFor = (key: JwtKey) => (context: Parameters<typeof seedIdentity>[0]) =>
  createJwtGuard({ key, authenticate: () => null, identity: seedIdentity(context) })
const rsaGuard = guardFor(serverKey)

describe('CVE-2023-48223 (fast-jwt), GHSA-mvf2-f6gm-w987 / CVE-2026-34950 (whitespace-prefixed key), GHSA-ww5h-9m49-7xx4 / CVE-2026-107722 (other prefixes), CVE-2026-22817 / GHSA-f67f-6cw9-8mq4 (hono default HS256): HS256 signed with the RS256 public key', () => {
  // @see https://github.com/nearform/fast-jwt/security/advisories/GHSA-mvf2-f6gm-w987
  const rows: AttackRow[] = MATERIALS.flatMap(([name, secret]) =>
    ['HS256', 'HS384', 'HS512'].map(
      (alg): AttackRow => ({
        name: `${alg} keyed with the ${name}`,
        token: forged(secret, alg),
        code: 'ERR_ALG_NOT_ALLOWED',
      }),
    ),
  )

  it('control: the server accepts its own RS256 token on every path below', () => {
    const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload)}`
    const token = `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`
    expect(verifyRs(token)).toEqual(payload)
  })

  runAttackTable(rows, { verify: verifyRs, makeGuard: rsaGuard })
})

describe('CVE-2023-48223 (fast-jwt): HS256 signed with the server certificate', () => {
  // @see https://nvd.nist.gov/vuln/detail/CVE-2023-48223
  const rows: AttackRow[] = [
    ['certificate PEM', CERT_PEM],
    ['certificate PEM with a leading newline', `\n${CERT_PEM}`],
    ['the certificate public key as SPKI PEM', pem(createPublicKey(CERT_PEM), 'spki')],
  ].map(([name, secret]) => ({
    name: `HS256 keyed with the ${name}`,
    token: forged(secret as string),
    code: 'ERR_ALG_NOT_ALLOWED',
  }))
  runAttackTable(rows, { verify: verifyCert, makeGuard: guardFor(certKey) })
  it.each(rows)('$name against the reference server (HS256): refused by signature', ({ token }) => {
    expect(codeOf(() => API.verify(token))).toBe('ERR_SIGNATURE_INVALID')
  })
})

describe('CVE-2022-23541 (jsonwebtoken <= 8.5.1): one key used for both HMAC and RSA', () => {
  // @see https://nvd.nist.gov/vuln/detail/CVE-2022-23541
  it.each(MATERIALS)(
    'createHmacKey refuses the %s as a secret (TypeError, at construction)',
    (_name, material) => {
      expect(() => createHmacKey(material)).toThrow(TypeError)
    },
  )
  it.each([
    ['PKCS#8 private PEM', rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
    ['certificate PEM', CERT_PEM],
    ['a public KeyObject', rsa.publicKey],
    ['a private KeyObject', createPrivateKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }))],
  ] as const)('createJwtGuard refuses the %s as its secret', (_name, secret) => {
    expect(() =>
      createJwtGuard({ secret: secret as never, authenticate: () => null, identity: () => null }),
    ).toThrow(TypeError)
  })
})

describe('CVE-2026-22818 / GHSA-3vhc-576x-3qv4 (hono JWK middleware): a JWK without "alg" takes the token header\'s', () => {
  // @see https://github.com/honojs/hono/security/advisories/GHSA-3vhc-576x-3qv4
  const jwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', use: 'sig' } // no "alg"
  const requests: string[] = []
  const jwks = createRemoteJwks({
    url: 'https://issuer.test/jwks.json',
    issuer: 'https://issuer.test',
    audience: 'api',
    now: () => T0 * 1000,
    fetch: async (url) => {
      requests.push(url)
      return new Response(JSON.stringify({ keys: [jwk] }), { status: 200 })
    },
  })
  const verify = createRemoteVerifier({ jwks, now: () => T0 })
  const claims = { ...payload, iss: 'https://issuer.test', aud: 'api' }
  const rsSigned = (alg: string, hash: string, options: object = {}) => {
    const input = `${b64url({ alg, kid: 'r1' })}.${b64url(claims)}`
    const signature = sign(hash, Buffer.from(input), { key: rsa.privateKey, ...options })
    return `${input}.${signature.toString('base64url')}`
  }

  it('control: RS256 (the default for an RSA JWK without alg) verifies', async () => {
    await jwks.ready()
    expect(await verify(rsSigned('RS256', 'sha256'))).toEqual(claims)
  })
  const forgeries: Array<[string, string]> = [
    ['HS256 keyed with the JWK as JSON text', hs({ alg: 'HS256', kid: 'r1' }, claims, JSON.stringify(jwk))],
    ['HS256 keyed with the SPKI PEM', hs({ alg: 'HS256', kid: 'r1' }, claims, SPKI)],
    ['RS512 signed by the right private key', rsSigned('RS512', 'sha512')],
    ['PS256 signed by the right private key', rsSigned('PS256', 'sha256', { padding: 6, saltLength: 32 })],
    ['alg none', `${b64url({ alg: 'none', kid: 'r1' })}.${b64url(claims)}.`],
  ]
  it.each(forgeries)('%s: ERR_ALG_NOT_ALLOWED', async (_name, token) => {
    await jwks.ready()
    expect(await asyncCodeOf(verify(token))).toBe('ERR_ALG_NOT_ALLOWED')
  })

  // The reference routes as a resource server over that JWKS (the guard's `jwks` option).
  describeHttp(
    (app) => {
      it('control: RS256 signed by the JWKS key is accepted', async () => {
        const response = await app().request('GET', '/api/v1/me', {
          headers: { authorization: `JWT ${rsSigned('RS256', 'sha256')}` },
        })
        expect(response.status).toBe(200)
        expect(response.json()).toEqual({ user_id: 123 })
      })
      it.each(forgeries)('%s: 401 "Token algorithm is not allowed"', async (_name, token) => {
        await expectRefused(app(), `JWT ${token}`, INVALID_TOKEN('Token algorithm is not allowed'))
      })
    },
    (context) => createJwtGuard({ jwks, identity: seedIdentity(context) }),
  )
})

describe('HS256 keyed with the public key, sent to the RS256 server: refused on every framework', () => {
  describeHttp((app) => {
    it('control: a token the RS256 key signed is accepted', async () => {
      const now = Math.floor(Date.now() / 1000)
      const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ exp: now + 60, iat: now, nbf: now, identity: 123 })}`
      const token = `${input}.${sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`
      const response = await app().request('GET', '/api/v1/me', {
        headers: { authorization: `JWT ${token}` },
      })
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ user_id: 123 })
    })
    it('even with the server JWK or PEM at hand', async () => {
      for (const [, material] of MATERIALS) {
        await expectRefused(app(), `JWT ${forged(material)}`, INVALID_TOKEN('Token algorithm is not allowed'))
      }
    })
  }, rsaGuard)
})
