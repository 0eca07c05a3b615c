/**
 * Revoked tokens stay revoked: by `jti`, by "log out everywhere", and for tokens without a `jti`
 * (Flask-JWT's shape) by a hash of the token. No other spelling of a revoked token gets through:
 * non-canonical base64url is malformed before the revocation check is reached.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createAsymmetricKey, createJwtGuard, type JwtGuard, type JwtPayload } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { describe, expect, it } from 'vitest'
import {
  asyncCodeOf,
  describeHttp,
  expectRefused,
  HS256,
  hs,
  INVALID_TOKEN,
  JSON_HEADERS,
  SEED_LOGIN,
  seedClaims,
  T0,
  TEST_SECRET,
} from './support.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Another spelling of the same signature bytes (unused low bits set), when its length has any. */
function respelled(token: string): string | undefined {
  const signature = token.slice(token.lastIndexOf('.') + 1)
  const unused = signature.length % 4 === 2 ? 0x0f : signature.length % 4 === 3 ? 0x03 : 0
  if (unused === 0) return undefined
  const last = ALPHABET.indexOf(signature.at(-1) as string)
  return `${token.slice(0, -1)}${ALPHABET[last | 1]}`
}

function guardWithStore(options: Partial<Parameters<typeof createJwtGuard>[0]> = {}): JwtGuard<unknown> {
  return createJwtGuard<unknown>({
    secret: TEST_SECRET,
    now: () => T0,
    store: createMemoryStore({ now: () => T0, pruneInterval: 0 }),
    authenticate: () => null,
    identity: (payload) => payload,
    ...options,
  } as Parameters<typeof createJwtGuard<unknown>>[0])
}
const authenticate = (guard: JwtGuard<unknown>, token: string) =>
  guard.protect().authenticate({ authorization: `JWT ${token}` })
async function revokeRoute(guard: JwtGuard<unknown>, token: string): Promise<number> {
  const route = guard.routes.find((candidate) => candidate.path === '/auth/revoke')
  if (route === undefined) throw new Error('no revoke route')
  return (
    await route.handle({
      headers: { authorization: `JWT ${token}` },
      contentType: undefined,
      body: undefined,
    })
  ).status
}

describe('revoked tokens (OWASP JWT cheat sheet, "token revocation"): refused in every spelling', () => {
  it('by jti: an issued token, revoked through the store', async () => {
    const guard = guardWithStore()
    const token = guard.createAccessToken({ id: 123 })
    expect(await asyncCodeOf(authenticate(guard, token))).toBe('OK')
    const { jti, exp } = guard.verify(token) as JwtPayload
    await guard.store?.revoke(jti as string, (exp as number) + 10)
    expect(await asyncCodeOf(authenticate(guard, token))).toBe('ERR_TOKEN_REVOKED')
    const other = respelled(token)
    if (other !== undefined) expect(await asyncCodeOf(authenticate(guard, other))).toBe('ERR_TOKEN_MALFORMED')
  })

  it('without jti (Flask-JWT shape): revoked by the hash of the token', async () => {
    const guard = guardWithStore()
    const token = hs(HS256, seedClaims())
    expect(await revokeRoute(guard, token)).toBe(204)
    expect(await asyncCodeOf(authenticate(guard, token))).toBe('ERR_TOKEN_REVOKED')
    const other = respelled(token)
    if (other !== undefined) expect(await asyncCodeOf(authenticate(guard, other))).toBe('ERR_TOKEN_MALFORMED')
    // Another token of the same user is not affected.
    expect(await asyncCodeOf(authenticate(guard, hs(HS256, seedClaims({ x: 1 }))))).toBe('OK')
  })

  it('log out everywhere: every token issued before the cut-off, whatever its jti', async () => {
    const guard = guardWithStore()
    const before = [
      hs(HS256, seedClaims()),
      hs(HS256, seedClaims({ jti: 'a' })),
      guard.createAccessToken({ id: 123 }),
    ]
    await guard.revokeAllFor(123, T0 + 1)
    for (const token of before)
      expect(await asyncCodeOf(authenticate(guard, token))).toBe('ERR_TOKEN_REVOKED')
    // An identity spelled as a string is the same identity.
    expect(await asyncCodeOf(authenticate(guard, hs(HS256, seedClaims({ identity: '123' }))))).toBe(
      'ERR_TOKEN_REVOKED',
    )
    // A token without iat cannot escape a cut-off (it is required anyway).
    const noIat = hs(HS256, { exp: T0 + 300, nbf: T0, identity: 123 })
    expect(await asyncCodeOf(authenticate(guard, noIat))).toBe('ERR_CLAIM_INVALID')
  })

  // ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does (RFC 7518 does not
  // forbid it, and OpenSSL accepts both). A token without jti is revoked by a hash: of the signing
  // input (header.payload), which the signature cannot change, so the twin is revoked too.
  it('an ES256 token without jti, revoked: its high-S twin is refused too', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    const key = createAsymmetricKey(privateKey, { kid: null })
    const guard = guardWithStore({
      key,
      secret: undefined,
      refreshSecret: 'refresh-tokens-have-their-own-secret-of-32-bytes',
      payloadHandler: (_user: unknown, defaults: JwtPayload) => {
        const { jti: _jti, ...rest } = defaults
        return rest
      },
      lookupUser: (id: string | number) => ({ id }),
    } as never)
    const token = guard.createAccessToken({ id: 123 })
    expect(guard.verify(token).jti).toBeUndefined()
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
    const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
    const s = BigInt(`0x${signature.subarray(32).toString('hex')}`)
    const twinSignature = Buffer.concat([
      signature.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ])
    const twin = `${token.slice(0, token.lastIndexOf('.'))}.${twinSignature.toString('base64url')}`
    expect(guard.verify(twin)).toEqual(guard.verify(token))
    expect(await revokeRoute(guard, token)).toBe(204)
    expect(await asyncCodeOf(authenticate(guard, token))).toBe('ERR_TOKEN_REVOKED')
    expect(await asyncCodeOf(authenticate(guard, twin))).toBe('ERR_TOKEN_REVOKED')
  })

  describeHttp((app) => {
    async function login(): Promise<string> {
      const response = await app().request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
      return (response.json() as { access_token: string }).access_token
    }
    const revoke = (token: string) =>
      app().request('POST', '/auth/revoke', { headers: { authorization: `JWT ${token}` } })

    it('a token revoked through /auth/revoke is refused, in every spelling', async () => {
      const token = await login()
      expect(
        (await app().request('GET', '/api/v1/private', { headers: { authorization: `JWT ${token}` } }))
          .status,
      ).toBe(200)
      expect([200, 204]).toContain((await revoke(token)).status)
      await expectRefused(app(), `JWT ${token}`, INVALID_TOKEN('Token has been revoked'))
      const other = respelled(token)
      if (other !== undefined)
        await expectRefused(app(), `JWT ${other}`, INVALID_TOKEN('Token is not canonical base64url'))
    })

    it('a Flask-JWT token (no jti) revoked through /auth/revoke is refused', async () => {
      const now = Math.floor(Date.now() / 1000)
      const token = hs(HS256, { exp: now + 300, iat: now, nbf: now, identity: 123, nonce: Math.random() })
      expect([200, 204]).toContain((await revoke(token)).status)
      await expectRefused(app(), `JWT ${token}`, INVALID_TOKEN('Token has been revoked'))
    })
  })
})
