/**
 * Issue 19: the attack corpus of a resource server verifying the tokens of OAuth 2.0 authorization
 * servers (RFC 9068 profile). Tokens are minted by node:crypto alone with keys whose public halves
 * the resource server fetches from real JWKS endpoints on 127.0.0.1.
 *   - Token-type confusion (RFC 8725 §3.11, RFC 9068 §4): an ID token, a refresh token, a logout
 *     token or a DPoP proof signed by the same key, presented as an access token.
 *   - `alg` outside the pinned list (`algorithms` of the key set), `none`, HMAC with the public key.
 *   - Issuer mix-up in a multi-tenant resource server: a token naming issuer A signed by issuer B's
 *     key (B's kid, or A's kid reused), B's token for A's audience, an `iss` that is a list.
 * Every row asserts the error code; the accepted rows show each refusal is the attack's own.
 */
import type { KeyObject } from 'node:crypto'
import { type AsymmetricAlgorithm, createJwtGuard, createRemoteJwks, type JwtGuard } from 'jwtguard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asyncCodeOf, mintAsymmetric, mintHmac, pairFor } from '../keys/helpers.js'
import { type JwksServer, startJwksServer } from '../keys/jwks-server.js'

const NOW = 1_700_000_000
const A = 'https://tenant-a.idp.test'
const B = 'https://tenant-b.idp.test'
const API_A = 'https://orders.api.test'
const API_B = 'https://billing.api.test'

interface Signer {
  alg: AsymmetricAlgorithm
  kid: string
  privateKey: KeyObject
  publicJwk: Record<string, unknown>
  publicPem: string
}
function signer(alg: AsymmetricAlgorithm, kid: string, index = 0): Signer {
  const { privateKey, publicKey } = pairFor(alg, index)
  return {
    alg,
    kid,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  }
}
function mint(by: Signer, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  return mintAsymmetric(payload, by.alg, by.privateKey, {
    alg: by.alg,
    typ: 'at+jwt',
    kid: by.kid,
    ...header,
  })
}
const access = (iss: string, aud: string | string[], extra: Record<string, unknown> = {}) => ({
  iss,
  aud,
  sub: 'user-7',
  client_id: 'web',
  scope: 'orders:read',
  jti: 'j-1',
  iat: NOW,
  exp: NOW + 300,
  ...extra,
})

const a1 = signer('ES256', 'a-1')
const aRsa = signer('RS256', 'a-rsa', 0)
const b1 = signer('ES256', 'b-1')
const servers: JwksServer[] = []
let jwksA: JwksServer
let jwksB: JwksServer

beforeAll(async () => {
  jwksA = await startJwksServer({ keys: [a1.publicJwk, aRsa.publicJwk] })
  jwksB = await startJwksServer({ keys: [b1.publicJwk] })
  servers.push(jwksA, jwksB)
})
afterAll(async () => {
  for (const server of servers) await server.close()
})

/** A resource server of tenant A alone, ES256 only, typed access tokens required or not. */
function tenantA(requireAccessTokenType: boolean): JwtGuard<unknown> {
  return createJwtGuard({
    jwks: createRemoteJwks({
      url: jwksA.url,
      issuer: A,
      audience: API_A,
      algorithms: ['ES256'],
      cooldownMs: 0,
    }),
    profile: 'rfc9068',
    requireAccessTokenType,
    now: () => NOW,
  })
}
const codeFor = (guard: JwtGuard<unknown>, token: string) =>
  asyncCodeOf(guard.authenticateRequest({ authorization: `JWT ${token}` }))

describe('token-type confusion (RFC 8725 §3.11, RFC 9068 §4)', () => {
  // An ID token of the same issuer and key: typed JWT (or untyped), for the client as audience.
  const idToken = access(A, 'web', { nonce: 'n-1', azp: 'web', auth_time: NOW - 5, scope: undefined })
  const rows: [string, string, boolean, string][] = [
    ['an ID token (typ JWT, aud the client)', mint(a1, idToken, { typ: 'JWT' }), false, 'ERR_CLAIM_INVALID'],
    [
      'an ID token (typ JWT, aud the client), typed tokens required',
      mint(a1, idToken, { typ: 'JWT' }),
      true,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'an ID token for the API audience too, typed tokens required',
      mint(a1, access(A, API_A, { nonce: 'n-1' }), { typ: 'JWT' }),
      true,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'an untyped token, typed tokens required',
      mint(a1, access(A, API_A), { typ: undefined }),
      true,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'a refresh+jwt token',
      mint(a1, access(A, API_A), { typ: 'refresh+jwt' }),
      false,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'a logout token (logout+jwt)',
      mint(a1, access(A, API_A), { typ: 'logout+jwt' }),
      false,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'a DPoP proof (dpop+jwt)',
      mint(a1, access(A, API_A), { typ: 'dpop+jwt' }),
      false,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'typ "at+jwt " (trailing space)',
      mint(a1, access(A, API_A), { typ: 'at+jwt ' }),
      true,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'typ "at+jwt" as a list',
      mint(a1, access(A, API_A), { typ: ['at+jwt'] }),
      true,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    [
      'a jwtguard refresh token shape (type: "refresh")',
      mint(a1, access(A, API_A, { type: 'refresh' })),
      false,
      'ERR_TOKEN_TYPE_INVALID',
    ],
    ['the genuine access token', mint(a1, access(A, API_A)), true, 'OK'],
    [
      'the genuine token typed application/at+jwt',
      mint(a1, access(A, API_A), { typ: 'application/at+jwt' }),
      true,
      'OK',
    ],
    [
      'the genuine token typed JWT, typed tokens not required',
      mint(a1, access(A, API_A), { typ: 'JWT' }),
      false,
      'OK',
    ],
  ]
  it.each(rows)('%s', async (_name, token, required, code) => {
    expect(await codeFor(tenantA(required), token)).toBe(code)
  })
})

describe('alg outside the pinned list', () => {
  const payload = access(A, API_A)
  const rows: [string, () => string, string][] = [
    // The RS256 key of A's set is skipped (algorithms: ['ES256']): its kid is unknown.
    ['RS256 by a key the set publishes but the pin excludes', () => mint(aRsa, payload), 'ERR_KEY_NOT_FOUND'],
    [
      'the ES256 kid with alg RS256 (signed by the RSA key)',
      () => mint(aRsa, payload, { kid: a1.kid }),
      'ERR_ALG_NOT_ALLOWED',
    ],
    [
      'the ES256 kid with alg ES384',
      () =>
        mintAsymmetric(payload, 'ES384', pairFor('ES384').privateKey, {
          alg: 'ES384',
          typ: 'at+jwt',
          kid: a1.kid,
        }),
      'ERR_ALG_NOT_ALLOWED',
    ],
    [
      'alg none',
      () =>
        `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: a1.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`,
      'ERR_ALG_NOT_ALLOWED',
    ],
    [
      'HS256 keyed with the published JWK',
      () => mintHmac(payload, JSON.stringify(a1.publicJwk), { alg: 'HS256', typ: 'at+jwt', kid: a1.kid }),
      'ERR_ALG_NOT_ALLOWED',
    ],
    [
      'HS256 keyed with the public key PEM',
      () => mintHmac(payload, a1.publicPem, { alg: 'HS256', typ: 'at+jwt', kid: a1.kid }),
      'ERR_ALG_NOT_ALLOWED',
    ],
    ['the genuine ES256 token', () => mint(a1, payload), 'OK'],
  ]
  it.each(rows)('%s', async (_name, token, code) => {
    expect(await codeFor(tenantA(false), token())).toBe(code)
  })
})

describe('issuer mix-up in a multi-tenant resource server', () => {
  let guard: JwtGuard<unknown>
  beforeAll(() => {
    guard = createJwtGuard({
      jwks: [
        createRemoteJwks({
          url: jwksA.url,
          issuer: A,
          audience: API_A,
          algorithms: ['ES256'],
          cooldownMs: 0,
        }),
        createRemoteJwks({
          url: jwksB.url,
          issuer: B,
          audience: API_B,
          algorithms: ['ES256'],
          cooldownMs: 0,
        }),
      ],
      profile: 'rfc9068',
      now: () => NOW,
    })
  })
  const rows: [string, () => string, string][] = [
    ["issuer A's name, B's key and kid", () => mint(b1, access(A, API_A)), 'ERR_KEY_NOT_FOUND'],
    [
      "issuer A's name, B's key under A's kid",
      () => mint(b1, access(A, API_A), { kid: a1.kid }),
      'ERR_SIGNATURE_INVALID',
    ],
    ["B's own token for A's audience", () => mint(b1, access(B, API_A)), 'ERR_CLAIM_INVALID'],
    [
      "B's own token for both audiences, A's kid",
      () => mint(b1, access(B, [API_A, API_B]), { kid: a1.kid }),
      'ERR_KEY_NOT_FOUND',
    ],
    ['iss as a list naming A', () => mint(a1, access([A] as never, API_A)), 'ERR_CLAIM_INVALID'],
    ['no iss', () => mint(a1, access(undefined as never, API_A)), 'ERR_CLAIM_INVALID'],
    ['iss A with a trailing slash', () => mint(a1, access(`${A}/`, API_A)), 'ERR_CLAIM_INVALID'],
    [
      "A's token, then its iss swapped for B in the payload (signature broken)",
      () => swapIssuer(mint(a1, access(A, API_B)), B),
      'ERR_KEY_NOT_FOUND',
    ],
    ["A's genuine token", () => mint(a1, access(A, API_A)), 'OK'],
    ["B's genuine token", () => mint(b1, access(B, API_B)), 'OK'],
  ]
  it.each(rows)('%s', async (_name, token, code) => {
    expect(await codeFor(guard, token())).toBe(code)
  })

  it('an unknown issuer costs no JWKS fetch, whatever its kid', async () => {
    const before = jwksA.requests + jwksB.requests
    for (let index = 0; index < 20; index += 1) {
      const token = mint(b1, access(`https://tenant-${index}.idp.test`, API_A), { kid: `k-${index}` })
      expect(await codeFor(guard, token)).toBe('ERR_CLAIM_INVALID')
    }
    expect(jwksA.requests + jwksB.requests).toBe(before)
  })
})

/** The token with its payload's `iss` replaced, the signature kept (now invalid). */
function swapIssuer(token: string, iss: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  return `${header}.${Buffer.from(JSON.stringify({ ...claims, iss })).toString('base64url')}.${signature}`
}
