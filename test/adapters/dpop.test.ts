/**
 * DPoP (RFC 9449, issue 19 item 3) over HTTP on every adapter: a login with a proof binds the
 * session (`cnf.jkt`), a bound token opens a protected route only with the `DPoP` scheme and a
 * fresh proof of its key for this request and this token, and every other case is 401 with the
 * `WWW-Authenticate: DPoP` challenge of RFC 9449 §7.1. Proofs are made by panva's `dpop` client,
 * the one browsers and Node clients use. Replays are refused across two guards on one Redis.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449
 */
import { generateKeyPair, generateProof, type KeyPair } from 'dpop'
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createRedisStore } from 'jwtguard/stores/redis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { TEST_SECRET, type TestResponse } from '../support/http.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'
import { decodeSegment } from '../support/tokens.js'
import { FRAMEWORKS, type TestServer, type Who } from './fixtures.js'

/** Every in-process client reaches the app as `localhost` on port 80. */
const ORIGIN = 'http://localhost'
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512'
const JSON_HEADERS = { 'content-type': 'application/json' }
const LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

interface Pair {
  access_token: string
  refresh_token: string
}

function dpopGuard(store = createMemoryStore({ pruneInterval: 0 })): JwtGuard<Who> {
  return createJwtGuard<Who>({
    secret: TEST_SECRET,
    store,
    dpop: 'allowed',
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: (payload) => (typeof payload.identity === 'number' ? { user_id: payload.identity } : null),
  })
}

const start = (framework: (typeof FRAMEWORKS)[number], guard: JwtGuard<Who>) =>
  framework.start(guard as JwtGuard<unknown>, async (identity) => identity ?? null)

/** A proof made `secondsAgo` seconds in the past, by the client library itself (its own clock). */
async function oldProof(key: KeyPair, htu: string, htm: string, token: string, secondsAgo: number) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(Date.now() - secondsAgo * 1000)
  try {
    return await generateProof(key, htu, htm, undefined, token)
  } finally {
    vi.useRealTimers()
  }
}

function expectChallenge(response: TestResponse, error: string, description: string): void {
  expect(response.status).toBe(401)
  expect(response.headers['www-authenticate']).toBe(
    `DPoP realm="Login Required", error="${error}", error_description="${description}", algs="${ALGS}"`,
  )
  expect(response.json()).toMatchObject({ status_code: 401, description })
}

let key: KeyPair
let otherKey: KeyPair
beforeAll(async () => {
  key = await generateKeyPair('ES256')
  otherKey = await generateKeyPair('ES256')
})

describe.each(FRAMEWORKS)('DPoP on $name', (framework) => {
  let server: TestServer
  let bound: Pair
  beforeAll(async () => {
    server = await start(framework, dpopGuard())
    const response = await server.request('POST', '/auth', {
      headers: { ...JSON_HEADERS, dpop: await generateProof(key, `${ORIGIN}/auth`, 'POST') },
      body: LOGIN,
    })
    expect(response.status).toBe(200)
    bound = response.json() as Pair
  })
  afterAll(async () => {
    await server?.close()
  })

  const me = (authorization: string, proof?: string) =>
    server.request('GET', '/api/v1/me', {
      headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) },
    })
  const proofFor = (token: string, htu = `${ORIGIN}/api/v1/me`, htm = 'GET', pair = key) =>
    generateProof(pair, htu, htm, undefined, token)

  it('binds the tokens of a login that sends a proof to its key (cnf.jkt)', async () => {
    const { calculateThumbprint } = await import('dpop')
    const jkt = await calculateThumbprint(key.publicKey)
    expect(decodeSegment(bound.access_token, 1)).toMatchObject({ cnf: { jkt } })
    expect(decodeSegment(bound.refresh_token, 1)).toMatchObject({ cnf: { jkt } })
  })

  it('opens a protected route with the DPoP scheme and a valid proof: 200', async () => {
    const response = await me(`DPoP ${bound.access_token}`, await proofFor(bound.access_token))
    expect(response.status).toBe(200)
    expect(response.json()).toEqual({ user_id: 123 })
  })

  it('takes a proof for POST on a POST route', async () => {
    const proof = await proofFor(bound.access_token, `${ORIGIN}/protected`, 'POST')
    const response = await server.request('POST', '/protected', {
      headers: { authorization: `DPoP ${bound.access_token}`, dpop: proof },
    })
    expect(response.status).toBe(200)
  })

  it('refuses a bound token sent as JWT (cnf stripping by scheme): 401 invalid_token', async () => {
    const response = await me(`JWT ${bound.access_token}`, await proofFor(bound.access_token))
    expectChallenge(
      response,
      'invalid_token',
      'Token is bound to a DPoP key: send it with the DPoP scheme and a proof',
    )
  })

  it('refuses the DPoP scheme without a proof: 401 invalid_dpop_proof', async () => {
    expectChallenge(await me(`DPoP ${bound.access_token}`), 'invalid_dpop_proof', 'DPoP proof is missing')
  })

  it('refuses a proof made with another key: 401 invalid_token', async () => {
    const proof = await proofFor(bound.access_token, undefined, undefined, otherKey)
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_token',
      'Invalid DPoP key binding',
    )
  })

  it('refuses a proof for another URL: 401 invalid_dpop_proof', async () => {
    const proof = await proofFor(bound.access_token, `${ORIGIN}/api/v1/private`)
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_dpop_proof',
      'DPoP proof htu does not match the request',
    )
  })

  it('refuses a proof for another method: 401 invalid_dpop_proof', async () => {
    const proof = await proofFor(bound.access_token, undefined, 'POST')
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_dpop_proof',
      'DPoP proof htm does not match the request',
    )
  })

  it('refuses a proof made five minutes ago (stale iat): 401 invalid_dpop_proof', async () => {
    const proof = await oldProof(key, `${ORIGIN}/api/v1/me`, 'GET', bound.access_token, 300)
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_dpop_proof',
      'DPoP proof iat is outside the accepted window',
    )
  })

  it('refuses a proof sent twice (replayed jti): 401 invalid_dpop_proof', async () => {
    const proof = await proofFor(bound.access_token)
    expect((await me(`DPoP ${bound.access_token}`, proof)).status).toBe(200)
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_dpop_proof',
      'DPoP proof has been used before',
    )
  })

  it('refuses a proof without ath (not tied to the token): 401 invalid_dpop_proof', async () => {
    const proof = await generateProof(key, `${ORIGIN}/api/v1/me`, 'GET')
    expectChallenge(
      await me(`DPoP ${bound.access_token}`, proof),
      'invalid_dpop_proof',
      'DPoP proof ath does not match the access token',
    )
  })

  it('refreshes a bound session only with a proof of its key, and binds the new pair', async () => {
    const refresh = (proof?: string) =>
      server.request('POST', '/auth/refresh', {
        headers: { ...JSON_HEADERS, ...(proof === undefined ? {} : { dpop: proof }) },
        body: JSON.stringify({ refresh_token: bound.refresh_token }),
      })
    expectChallenge(await refresh(), 'invalid_dpop_proof', 'DPoP proof is missing')
    const foreign = await generateProof(otherKey, `${ORIGIN}/auth/refresh`, 'POST')
    expectChallenge(await refresh(foreign), 'invalid_token', 'Invalid DPoP key binding')
    // Neither refusal spent the token: the holder of the key still refreshes.
    const response = await refresh(await generateProof(key, `${ORIGIN}/auth/refresh`, 'POST'))
    expect(response.status).toBe(200)
    const next = response.json() as Pair
    const cnf = (decodeSegment(bound.access_token, 1) as { cnf: unknown }).cnf
    expect(decodeSegment(next.access_token, 1)).toMatchObject({ cnf })
    expect(decodeSegment(next.refresh_token, 1)).toMatchObject({ cnf })
  })

  it('still takes an unbound token as JWT (mode allowed), and refuses it with the DPoP scheme', async () => {
    const login = await server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
    const plain = login.json() as Pair
    expect(decodeSegment(plain.access_token, 1).cnf).toBeUndefined()
    expect((await me(`JWT ${plain.access_token}`)).status).toBe(200)
    const proof = await proofFor(plain.access_token)
    expectChallenge(
      await me(`DPoP ${plain.access_token}`, proof),
      'invalid_token',
      'Token is not bound to a DPoP key',
    )
  })
})

const redisPrefix = trackRedisPrefixes(afterAll)

describe.each(FRAMEWORKS)('DPoP replay across two instances on one Redis: $name', (framework) => {
  const prefix = redisPrefix()
  const servers: TestServer[] = []
  const stores: { close(): Promise<void> }[] = []
  let bound: Pair
  beforeAll(async () => {
    for (let index = 0; index < 2; index++) {
      const store = await createRedisStore({ url: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      servers.push(await start(framework, dpopGuard(store as never)))
    }
    const first = servers[0] as TestServer
    const response = await first.request('POST', '/auth', {
      headers: { ...JSON_HEADERS, dpop: await generateProof(key, `${ORIGIN}/auth`, 'POST') },
      body: LOGIN,
    })
    bound = response.json() as Pair
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    for (const store of stores) await store.close()
  })

  it('accepts a proof once on one instance and refuses it on the other', async () => {
    const [first, second] = servers as [TestServer, TestServer]
    const proof = await generateProof(key, `${ORIGIN}/api/v1/me`, 'GET', undefined, bound.access_token)
    const headers = { authorization: `DPoP ${bound.access_token}`, dpop: proof }
    expect((await first.request('GET', '/api/v1/me', { headers })).status).toBe(200)
    const replay = await second.request('GET', '/api/v1/me', { headers })
    expect(replay.status).toBe(401)
    expect(replay.headers['www-authenticate']).toContain('error="invalid_dpop_proof"')
    expect(replay.json()).toMatchObject({ description: 'DPoP proof has been used before' })
  })
})
