/**
 * Issue 15 item 5 (RFC 8725 §3.11): a refresh token opens nothing but `POST /auth/refresh` of its
 * own issuer. It is signed under a key of its own (derived from the secret by HKDF, or a
 * `refreshSecret`), never under the access key, and typed `refresh+jwt`. Checked with the real
 * libraries that would otherwise accept it: jsonwebtoken verifying HS256 with the shared secret
 * (what Flask-JWT's PyJWT does), and jose verifying against the issuer's JWKS with issuer,
 * audience, algorithms and `typ` pinned.
 */

import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createJwtGuard, generateAsymmetricKey, type JwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { afterAll, describe, expect, it } from 'vitest'

const SECRET = 'refresh-key-test-secret-of-at-least-32-bytes'
const ISSUER = 'https://auth.example'
const AUDIENCE = 'api'
const stores: { close(): Promise<void> }[] = []
afterAll(async () => {
  for (const store of stores) await store.close()
})

function store() {
  const created = createMemoryStore({ pruneInterval: 0 })
  stores.push(created)
  return created
}

async function login(guard: JwtGuard<unknown>) {
  const route = guard.routes.find((candidate) => candidate.name === 'login')
  const response = await route?.handle({
    contentType: 'application/json',
    body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
  })
  expect(response?.status).toBe(200)
  return JSON.parse(response?.body ?? '{}') as { access_token: string; refresh_token: string }
}

const authenticate = (username: string, password: string) =>
  username === 'masnun' && password === 'abc123' ? { id: 123 } : null

describe('HS256: the refresh token does not verify under the secret', () => {
  const guard = createJwtGuard({
    secret: SECRET,
    store: store(),
    authenticate,
    identity: (payload) => payload,
  })

  it('jsonwebtoken (HS256, the secret) accepts the access token and refuses the refresh token', async () => {
    const pair = await login(guard)
    expect(jsonwebtoken.verify(pair.access_token, SECRET, { algorithms: ['HS256'] })).toMatchObject({
      identity: 123,
    })
    expect(() => jsonwebtoken.verify(pair.refresh_token, SECRET, { algorithms: ['HS256'] })).toThrow(
      'invalid signature',
    )
  })

  it('is typed refresh+jwt, and refreshes', async () => {
    const pair = await login(guard)
    expect(decodeProtectedHeader(pair.refresh_token)).toEqual({ alg: 'HS256', typ: 'refresh+jwt' })
    expect(decodeProtectedHeader(pair.access_token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const route = guard.routes.find((candidate) => candidate.name === 'refresh')
    const response = await route?.handle({
      contentType: 'application/json',
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    })
    expect(response?.status).toBe(200)
  })

  it('a refreshSecret of its own works the same', async () => {
    const own = createJwtGuard({
      secret: SECRET,
      refreshSecret: 'another-secret-for-refresh-tokens-32-bytes',
      store: store(),
      authenticate,
      identity: (payload) => payload,
    })
    const pair = await login(own)
    expect(() => jsonwebtoken.verify(pair.refresh_token, SECRET, { algorithms: ['HS256'] })).toThrow(
      'invalid signature',
    )
  })
})

describe('ES256 keys: the refresh token does not verify against the JWKS', () => {
  const guard = createJwtGuard({
    key: generateAsymmetricKey('ES256', { kid: 'k-1' }),
    refreshSecret: 'refresh-tokens-have-a-secret-of-32-bytes!',
    issuer: ISSUER,
    audience: AUDIENCE,
    store: store(),
    authenticate,
    identity: (payload) => payload,
  })
  const jwks = createLocalJWKSet(JSON.parse(guard.jwks()?.body ?? '{}') as JSONWebKeySet)
  const pinned = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'] }

  it('jose (JWKS, issuer, audience, algorithms pinned) accepts the access token, refuses the refresh token', async () => {
    const pair = await login(guard)
    await expect(jwtVerify(pair.access_token, jwks, pinned)).resolves.toMatchObject({
      payload: { identity: 123 },
    })
    await expect(jwtVerify(pair.refresh_token, jwks, pinned)).rejects.toThrow()
    await expect(jwtVerify(pair.refresh_token, jwks, { ...pinned, typ: 'JWT' })).rejects.toThrow()
  })

  it('the JWKS publishes the signing key only', () => {
    const published = JSON.parse(guard.jwks()?.body ?? '{}') as { keys: { kid: string; kty: string }[] }
    expect(published.keys.map((key) => [key.kid, key.kty])).toEqual([['k-1', 'EC']])
  })

  it('without refreshSecret, a key and a store fail at start-up, saying what to give', () => {
    expect(() =>
      createJwtGuard({
        key: generateAsymmetricKey('ES256'),
        store: store(),
        authenticate,
        identity: (payload) => payload,
      }),
    ).toThrow(/refreshSecret is required with key and a store/)
  })
})

describe('accessTokenType: at+jwt (RFC 9068)', () => {
  it('types access tokens at+jwt; jose with typ pinned accepts them', async () => {
    const guard = createJwtGuard({
      key: generateAsymmetricKey('ES256', { kid: 'k-2' }),
      accessTokenType: 'at+jwt',
      issuer: ISSUER,
      audience: AUDIENCE,
      authenticate,
      identity: (payload) => payload,
    })
    const jwks = createLocalJWKSet(JSON.parse(guard.jwks()?.body ?? '{}') as JSONWebKeySet)
    const pair = await login(guard)
    expect(decodeProtectedHeader(pair.access_token).typ).toBe('at+jwt')
    await expect(
      jwtVerify(pair.access_token, jwks, { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt' }),
    ).resolves.toBeDefined()
    expect(await guard.authenticateRequest({ authorization: `JWT ${pair.access_token}` })).toMatchObject({
      payload: { identity: 123 },
    })
  })
})
