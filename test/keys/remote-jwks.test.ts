/**
 * Resource-server mode against a real JWKS endpoint (node:http on 127.0.0.1): cached key set,
 * synchronous verification of known kids, one shared refresh on an unknown kid, cooldown,
 * stale-while-revalidate, timeouts, pinned issuer and audience, and rotation on the issuer side.
 */
import {
  type AsymmetricKey,
  createJwtGuard,
  createKeyStore,
  createRemoteJwks,
  createRemoteVerifier,
  createVerifier,
  generateAsymmetricKey,
  type RemoteJwksOptions,
  signToken,
  toJwks,
} from 'jwtguard'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { asyncCodeOf, claims, codeOf, NOW, pairFor } from './helpers.js'
import { type JwksServer, startJwksServer } from './jwks-server.js'

const ISSUER = 'https://issuer.test'
const AUDIENCE = 'orders-api'
const T0 = NOW * 1000

function tokenFor(key: AsymmetricKey, extra: Record<string, unknown> = {}): string {
  return signToken(claims(NOW, { iss: ISSUER, aud: AUDIENCE, ...extra }), key)
}

let server: JwksServer
let k1: AsymmetricKey
let clock: { ms: number }

beforeEach(async () => {
  k1 = generateAsymmetricKey('ES256', { kid: 'k1' })
  server = await startJwksServer(toJwks([k1]))
  clock = { ms: T0 }
})

afterEach(async () => {
  await server.close()
})

function remote(options: Partial<RemoteJwksOptions> = {}) {
  const errors: Error[] = []
  const jwks = createRemoteJwks({
    url: server.url,
    issuer: ISSUER,
    audience: AUDIENCE,
    cooldownMs: 1000,
    maxAgeMs: 60_000,
    now: () => clock.ms,
    onError: (error) => errors.push(error),
    ...options,
  })
  const verify = createRemoteVerifier({ jwks, now: () => NOW })
  return { jwks, verify, errors }
}

describe('cached key set', () => {
  it('fetches once, then verifies known kids synchronously without I/O', async () => {
    const { jwks, verify } = remote()
    await jwks.ready()
    expect(server.requests).toBe(1)
    expect(jwks.status()).toMatchObject({ keys: 1, skipped: 0, fetchedAt: T0 })
    for (let i = 0; i < 50; i++) expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
    // The same set through the plain, synchronous verifier: no promise, no fetch.
    const sync = createVerifier({ keys: jwks, now: () => NOW })
    expect(sync(tokenFor(k1))).toMatchObject({ aud: AUDIENCE })
    expect(server.requests).toBe(1)
  })

  it('loads lazily on the first token, with one fetch for many concurrent requests', async () => {
    const { verify } = remote()
    server.delayMs = 100
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(tokenFor(k1))))
    expect(results).toHaveLength(20)
    expect(server.requests).toBe(1)
  })
})

describe('unknown kid', () => {
  it('triggers one refresh shared by all waiting requests, then verifies', async () => {
    const { jwks, verify } = remote()
    await jwks.ready()
    const k2 = generateAsymmetricKey('EdDSA', { kid: 'k2' })
    server.serve(toJwks([k2, k1]))
    server.delayMs = 100
    clock.ms += 1000
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(tokenFor(k2))))
    expect(results.every((payload) => payload.iss === ISSUER)).toBe(true)
    expect(server.requests).toBe(2)
    expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
    expect(server.requests).toBe(2)
  })

  it('fails without fetching during the cooldown, and fetches again after it', async () => {
    const { jwks, verify } = remote({ cooldownMs: 30_000 })
    await jwks.ready()
    const k2 = generateAsymmetricKey('ES256', { kid: 'k2' })
    server.serve(toJwks([k1, k2]))
    clock.ms += 10_000
    expect(await asyncCodeOf(verify(tokenFor(k2)))).toBe('ERR_KEY_NOT_FOUND')
    const random = generateAsymmetricKey('ES256', { kid: 'random' })
    for (let i = 0; i < 20; i++) expect(await asyncCodeOf(verify(tokenFor(random)))).toBe('ERR_KEY_NOT_FOUND')
    expect(server.requests).toBe(1)
    clock.ms += 20_000
    expect(await verify(tokenFor(k2))).toMatchObject({ iss: ISSUER })
    expect(server.requests).toBe(2)
    // An unknown kid right after that refresh: refused, no fetch.
    expect(await asyncCodeOf(verify(tokenFor(random)))).toBe('ERR_KEY_NOT_FOUND')
    expect(server.requests).toBe(2)
  })

  it('refuses a token whose kid is in no key set after the refresh', async () => {
    const { verify } = remote()
    const stranger = generateAsymmetricKey('ES256', { kid: 'stranger' })
    expect(await asyncCodeOf(verify(tokenFor(stranger)))).toBe('ERR_KEY_NOT_FOUND')
    expect(server.requests).toBe(1)
  })
})

describe('rotation on the issuer, no restart of the resource server', () => {
  it('accepts new tokens after the rotation, old ones until their key leaves the set', async () => {
    let seconds = NOW
    const issuerStore = createKeyStore({ active: k1, maxTokenLifetime: 600, now: () => seconds })
    server.serve(toJwks(issuerStore))
    const { jwks, verify } = remote({ cooldownMs: 0, maxAgeMs: 300_000 })
    await jwks.ready()
    const oldToken = signToken(claims(NOW, { iss: ISSUER, aud: AUDIENCE, exp: NOW + 900 }), issuerStore)
    expect(await verify(oldToken)).toMatchObject({ iss: ISSUER })

    issuerStore.rotate(generateAsymmetricKey('ES256', { kid: 'k2' }))
    server.serve(toJwks(issuerStore))
    const newToken = signToken(claims(NOW, { iss: ISSUER, aud: AUDIENCE, exp: NOW + 900 }), issuerStore)
    expect(await verify(newToken)).toMatchObject({ iss: ISSUER })
    expect(await verify(oldToken)).toMatchObject({ iss: ISSUER })

    // k1 retires on the issuer; the resource server drops it at its next refresh (max age).
    seconds += 600
    server.serve(toJwks(issuerStore))
    expect(toJwks(issuerStore).keys.map((jwk) => jwk.kid)).toEqual(['k2'])
    clock.ms += 300_001
    jwks.current() // stale: serves the old set and revalidates in the background
    await jwks.refresh()
    expect(await asyncCodeOf(verify(oldToken))).toBe('ERR_KEY_NOT_FOUND')
    expect(await verify(newToken)).toMatchObject({ iss: ISSUER })
  })
})

describe('the verified-token cache over a remote key set', () => {
  it('forgets a cached token when a refresh drops its key', async () => {
    let seconds = NOW
    const issuerStore = createKeyStore({ active: k1, maxTokenLifetime: 600, now: () => seconds })
    server.serve(toJwks(issuerStore))
    const jwks = createRemoteJwks({
      url: server.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      cooldownMs: 0,
      maxAgeMs: 300_000,
      now: () => clock.ms,
    })
    const guard = createJwtGuard({
      jwks,
      cache: true,
      now: () => NOW,
      identity: (payload) => payload,
    })
    await jwks.ready()
    const token = signToken(claims(NOW, { iss: ISSUER, aud: AUDIENCE, exp: NOW + 900 }), issuerStore)
    const headers = { authorization: `JWT ${token}` }
    // Verified twice (the second admits it to the cache), then answered from the cache.
    for (let i = 0; i < 3; i++) expect((await guard.authenticateRequest(headers)).payload.iss).toBe(ISSUER)

    issuerStore.rotate(generateAsymmetricKey('ES256', { kid: 'k2' }))
    seconds += 600
    server.serve(toJwks(issuerStore))
    clock.ms += 300_001
    await jwks.refresh()
    expect(await asyncCodeOf(guard.authenticateRequest(headers))).toBe('ERR_KEY_NOT_FOUND')
  })
})

describe('stale-while-revalidate', () => {
  it('serves a stale set at once and refreshes it in the background', async () => {
    const { jwks, verify } = remote({ maxAgeMs: 1000, cooldownMs: 0 })
    await jwks.ready()
    server.delayMs = 1000
    clock.ms += 1001
    const started = performance.now()
    expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
    // Well under the endpoint's 1 s: the answer did not wait for it (room for a loaded machine).
    expect(performance.now() - started).toBeLessThan(500)
    expect(jwks.status().refreshing).toBe(true) // the background revalidation went out
    await jwks.refresh() // waits for the one in flight
    expect(jwks.status().fetchedAt).toBe(clock.ms)
    expect(server.requests).toBe(2)
  })

  it('keeps serving while refreshes fail, until maxStaleMs, then drops the set', async () => {
    const { jwks, verify, errors } = remote({ maxAgeMs: 1000, maxStaleMs: 5000, cooldownMs: 0 })
    await jwks.ready()
    server.status = 500
    clock.ms += 3000
    expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
    await jwks.refresh()
    expect(errors.at(-1)?.message).toMatch(/HTTP 500/)
    clock.ms += 3001
    expect(await asyncCodeOf(verify(tokenFor(k1)))).toBe('ERR_KEY_NOT_FOUND')
    server.status = 200
    clock.ms += 1
    expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
  })
})

describe('fetch failures', () => {
  it('times out a hanging endpoint and keeps the previous keys', async () => {
    const { jwks, verify, errors } = remote({ timeoutMs: 100, cooldownMs: 0 })
    await jwks.ready()
    server.delayMs = Number.POSITIVE_INFINITY
    const stranger = generateAsymmetricKey('ES256', { kid: 'stranger' })
    const started = performance.now()
    expect(await asyncCodeOf(verify(tokenFor(stranger)))).toBe('ERR_KEY_NOT_FOUND')
    expect(performance.now() - started).toBeLessThan(1000)
    expect(errors.at(-1)?.message).toMatch(/timed out after 100 ms/)
    expect(jwks.status().lastError?.message).toMatch(/timed out/)
    expect(await verify(tokenFor(k1))).toMatchObject({ iss: ISSUER })
  })

  it.each([
    ['an HTTP error', (s: JwksServer) => (s.status = 404), /HTTP 404/],
    ['invalid JSON', (s: JwksServer) => s.serve('{"keys": ['), /not valid JSON/],
    ['a document without keys', (s: JwksServer) => s.serve({ jwks: [] }), /"keys" array/],
    [
      'a body over maxBytes',
      (s: JwksServer) => s.serve({ keys: [], pad: 'x'.repeat(5000) }),
      /larger than 4096/,
    ],
    ['a hanging server', (s: JwksServer) => (s.delayMs = Number.POSITIVE_INFINITY), /timed out/],
  ])('ready() rejects on %s', async (_name, breakIt, message) => {
    breakIt(server)
    const { jwks, errors } = remote({ maxBytes: 4096, timeoutMs: 200 })
    await expect(jwks.ready()).rejects.toThrow(message)
    expect(errors).toHaveLength(1)
  })
})

describe('what is taken from the key set', () => {
  it('skips oct, encryption, weak, duplicate and disallowed keys', async () => {
    const weakRsa = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 1024 })
    const ed = generateAsymmetricKey('EdDSA', { kid: 'ed' })
    const ec = pairFor('ES256').publicKey.export({ format: 'jwk' })
    server.serve({
      keys: [
        { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' },
        { ...ec, kid: 'enc', use: 'enc' },
        { ...weakRsa.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256' },
        { ...ec, kid: 'wrong-alg', alg: 'ES384' },
        k1.toPublicJwk(),
        { ...ec, kid: 'k1' },
        ed.toPublicJwk(),
        'not an object',
        { ...ec, kid: 'ok' },
      ],
    })
    const { jwks } = remote({ algorithms: ['ES256'] })
    await jwks.ready()
    expect(jwks.current().keys.map((key) => key.kid)).toEqual(['k1', 'ok'])
    expect(jwks.status().skipped).toBe(7)
  })

  it('a token without kid is verified only when the set holds a single key', async () => {
    const pair = pairFor('ES256')
    const { mintAsymmetric } = await import('./helpers.js')
    const payload = claims(NOW, { iss: ISSUER, aud: AUDIENCE })
    const { jwks, verify } = remote()
    server.serve({ keys: [pair.publicKey.export({ format: 'jwk' })] })
    await jwks.ready()
    expect(await verify(mintAsymmetric(payload, 'ES256', pair.privateKey))).toMatchObject({ iss: ISSUER })
    server.serve({ keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: 'a' }, k1.toPublicJwk()] })
    clock.ms += 1000
    await jwks.refresh()
    expect(await asyncCodeOf(verify(mintAsymmetric(payload, 'ES256', pair.privateKey)))).toBe(
      'ERR_KEY_NOT_FOUND',
    )
  })
})

describe('issuer and audience are pinned', () => {
  it.each([
    ['another issuer', { iss: 'https://evil.test' }, 'ERR_CLAIM_INVALID'],
    ['no issuer', { iss: undefined }, 'ERR_CLAIM_INVALID'],
    ['an issuer list', { iss: [ISSUER] }, 'ERR_CLAIM_INVALID'],
    ['another audience', { aud: 'billing-api' }, 'ERR_CLAIM_INVALID'],
    ['no audience', { aud: undefined }, 'ERR_CLAIM_INVALID'],
    ['an audience list containing ours', { aud: ['billing-api', AUDIENCE] }, 'OK'],
  ])('%s', async (_name, extra, expected) => {
    const { jwks, verify } = remote()
    await jwks.ready()
    expect(await asyncCodeOf(verify(tokenFor(k1, extra)))).toBe(expected)
    // The plain verifier over the same set pins them too.
    expect(codeOf(() => createVerifier({ keys: jwks, now: () => NOW })(tokenFor(k1, extra)))).toBe(expected)
  })

  it('refuses a token forged with another key under a known kid', async () => {
    const { jwks, verify } = remote()
    await jwks.ready()
    const forger = generateAsymmetricKey('ES256', { kid: 'k1' })
    expect(await asyncCodeOf(verify(tokenFor(forger)))).toBe('ERR_SIGNATURE_INVALID')
  })
})

describe('options', () => {
  it.each([
    ['an http URL to a remote host', { url: 'http://issuer.test/jwks.json' }, /https/],
    ['a relative URL', { url: '/jwks.json' }, /absolute URL/],
    ['no issuer', { issuer: undefined }, /issuer is required/],
    ['no audience', { audience: undefined }, /audience is required/],
    ['an empty audience list', { audience: [] }, /audience/],
    ['an HMAC algorithm', { algorithms: ['HS256'] }, /not an asymmetric algorithm/],
    ['a negative cooldown', { cooldownMs: -1 }, /cooldownMs/],
    ['an EC rsaAlgorithm', { rsaAlgorithm: 'ES256' }, /rsaAlgorithm/],
  ])('refuses %s', (_name, options, message) => {
    expect(() =>
      createRemoteJwks({
        url: server.url,
        issuer: ISSUER,
        audience: AUDIENCE,
        ...options,
      } as RemoteJwksOptions),
    ).toThrow(message)
  })

  it('accepts http to a non-loopback host only with allowInsecureHttp', () => {
    expect(() =>
      createRemoteJwks({
        url: 'http://issuer.internal/jwks',
        issuer: ISSUER,
        audience: AUDIENCE,
        allowInsecureHttp: true,
      }),
    ).not.toThrow()
  })
})
