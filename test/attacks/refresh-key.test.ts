/**
 * Issue 15 item 5 (RFC 8725 §3.11): a refresh token opens nothing but `POST /auth/refresh` of its
 * own issuer. It is signed under a key of its own (derived from the secret by HKDF, or a
 * `refreshSecret`), never under the access key, and typed `refresh+jwt`. Checked with the real
 * libraries that would otherwise accept it: PyJWT itself (Debian's python3-jwt, what Flask-JWT
 * verifies with: HS256, the shared secret, exp/iat/nbf required, as Flask-JWT's `_default_jwt_decode_handler`),
 * jsonwebtoken doing the same in JS, and jose verifying against the issuer's JWKS with issuer,
 * audience, algorithms and `typ` pinned.
 */
import { execFileSync } from 'node:child_process'

import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createJwtGuard, generateAsymmetricKey, type JwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { afterAll, describe, expect, it } from 'vitest'
import { findPyJwtPython } from '../../scripts/test-setup.js'

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

// Flask-JWT's decode handler, on the real PyJWT: jwt.decode(token, secret, algorithms=[...],
// options) with exp, iat and nbf verified and required. Tokens go in on stdin, never in argv.
const PYJWT_DECODE = `
import json, sys, jwt
given = json.load(sys.stdin)
out = {}
for name, token in given["tokens"].items():
    try:
        payload = jwt.decode(token, given["secret"], algorithms=["HS256"],
                             options={"require": ["exp", "iat", "nbf"]})
        out[name] = {"ok": True, "identity": payload.get("identity")}
    except jwt.InvalidTokenError as error:
        out[name] = {"ok": False, "error": type(error).__name__}
print(json.dumps(out))
`

function pyJwtDecode(tokens: Record<string, string>): unknown {
  const python = findPyJwtPython()
  if (python === undefined) {
    throw new Error(
      'PyJWT not found: npm test installs python3-jwt (scripts/test-setup.ts), or set PYJWT_PYTHON',
    )
  }
  const output = execFileSync(python, ['-c', PYJWT_DECODE], {
    input: JSON.stringify({ tokens, secret: SECRET }),
    encoding: 'utf8',
  })
  return JSON.parse(output)
}

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

  it('PyJWT (HS256, the secret, as Flask-JWT decodes) accepts the access token and refuses the refresh token', async () => {
    const pair = await login(guard)
    expect(pyJwtDecode({ access: pair.access_token, refresh: pair.refresh_token })).toEqual({
      access: { ok: true, identity: 123 },
      refresh: { ok: false, error: 'InvalidSignatureError' },
    })
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
