/**
 * An empty, null or missing key: HMAC with a zero-length key is computable by anyone. No key can
 * be empty (refused at construction), and a key source that yields no key makes every token fail
 * with ERR_KEY_NOT_FOUND, never fall back to a default or an empty secret. (That the reference
 * server never starts on an empty secret is test/server/empty-secret.test.ts.)
 */
import { createSecretKey } from 'node:crypto'
import {
  createHmacKey,
  createJwtGuard,
  createRemoteJwks,
  createRemoteVerifier,
  createVerifier,
  type KeySet,
  type KeySource,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import {
  type AttackRow,
  asyncCodeOf,
  b64url,
  codeOf,
  HS256,
  hs,
  runAttackTable,
  seedClaims,
  T0,
} from './support.js'

const payload = seedClaims()
const EMPTY_SECRETS: Array<[string, unknown]> = [
  ['an empty string', ''],
  ['an empty Buffer', Buffer.alloc(0)],
  ['an empty Uint8Array', new Uint8Array(0)],
  ['null', null],
  ['undefined', undefined],
]
const emptyKeyed = (header: Record<string, unknown> = HS256) => hs(header, payload, '')

describe('GHSA-gmvf-9v4p-v8jc (fast-jwt <= 6.2.3): an empty secret from an async key resolver', () => {
  // @see https://github.com/nearform/fast-jwt/pull/610
  it.each(EMPTY_SECRETS)('createHmacKey refuses %s (TypeError, at construction)', (_name, secret) => {
    expect(() => createHmacKey(secret as never)).toThrow(TypeError)
  })
  it('createHmacKey refuses a zero-length secret KeyObject, even with allowShortSecret', () => {
    let empty: ReturnType<typeof createSecretKey> | undefined
    try {
      empty = createSecretKey(Buffer.alloc(0))
    } catch {
      return // this Node refuses to build it at all
    }
    expect(() => createHmacKey(empty, { allowShortSecret: true })).toThrow(TypeError)
  })
  it.each(EMPTY_SECRETS)('createJwtGuard refuses %s as its secret', (_name, secret) => {
    expect(() =>
      createJwtGuard({ secret: secret as never, authenticate: () => null, identity: () => null }),
    ).toThrow(TypeError)
  })
  it('createVerifier refuses an empty key list', () => {
    expect(() => createVerifier({ keys: [] })).toThrow(TypeError)
  })

  // A resolver that comes back empty-handed, as `keys[kid] || ''` does for an unknown kid.
  let current: KeySet = Object.freeze({ version: 1, keys: Object.freeze([]), defaultKey: undefined })
  const resolver: KeySource = { current: () => current }
  const verifyFromResolver = createVerifier({ keys: resolver, now: () => T0 })
  it.each([
    ['without kid', emptyKeyed()],
    ['with an unknown kid', emptyKeyed({ ...HS256, kid: 'missing' })],
    ['with an empty kid', emptyKeyed({ ...HS256, kid: '' })],
  ])('an empty key source refuses an empty-key token %s: ERR_KEY_NOT_FOUND', (_name, token) => {
    expect(codeOf(() => verifyFromResolver(token))).toBe('ERR_KEY_NOT_FOUND')
  })
  it('and still refuses it once the source has a real key', () => {
    const key = createHmacKey('a-real-secret-of-at-least-32-bytes!!', { kid: 'k1' })
    current = Object.freeze({ version: 2, keys: Object.freeze([key]), defaultKey: key })
    expect(codeOf(() => verifyFromResolver(emptyKeyed()))).toBe('ERR_SIGNATURE_INVALID')
    expect(codeOf(() => verifyFromResolver(emptyKeyed({ ...HS256, kid: 'k1' })))).toBe(
      'ERR_SIGNATURE_INVALID',
    )
  })

  it.each([
    ['an empty key set', JSON.stringify({ keys: [] })],
    ['a set of unusable keys', JSON.stringify({ keys: [{ kty: 'oct', k: '' }, { kty: 'RSA' }, null, 'x'] })],
    ['a failing endpoint', null],
  ])('a remote JWKS serving %s refuses empty-key tokens: ERR_KEY_NOT_FOUND', async (_name, body) => {
    const jwks = createRemoteJwks({
      url: 'https://issuer.test/jwks.json',
      issuer: 'https://issuer.test',
      audience: 'api',
      now: () => T0 * 1000,
      fetch: async () =>
        body === null ? new Response('', { status: 503 }) : new Response(body, { status: 200 }),
    })
    await jwks.refresh()
    const verify = createRemoteVerifier({ jwks, now: () => T0 })
    const claims = { ...payload, iss: 'https://issuer.test', aud: 'api' }
    expect(await asyncCodeOf(verify(hs(HS256, claims, '')))).toBe('ERR_KEY_NOT_FOUND')
    expect(await asyncCodeOf(verify(hs({ ...HS256, kid: 'x' }, claims, '')))).toBe('ERR_KEY_NOT_FOUND')
  })
})

describe('CVE-2022-23540 (jsonwebtoken): a falsy secret meant "none"; CVE-2026-45363 / GHSA-c32j-vqhx-rx3x (ruby-jwt): an empty HMAC key', () => {
  // @see https://github.com/advisories/GHSA-c32j-vqhx-rx3x
  const rows: AttackRow[] = [
    { name: 'HS256 keyed with an empty string', token: emptyKeyed(), code: 'ERR_SIGNATURE_INVALID' },
    {
      name: 'HS512 keyed with an empty string',
      token: emptyKeyed({ alg: 'HS512', typ: 'JWT' }),
      code: 'ERR_ALG_NOT_ALLOWED',
    },
    {
      name: 'HS256 with an empty signature',
      token: `${b64url(HS256)}.${b64url(payload)}.`,
      code: 'ERR_SIGNATURE_INVALID',
    },
    {
      name: 'HS256 keyed with a single zero byte',
      token: hs(HS256, payload, Buffer.alloc(1)),
      code: 'ERR_SIGNATURE_INVALID',
    },
  ]
  runAttackTable(rows)
})
