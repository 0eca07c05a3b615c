/**
 * DPoP (RFC 9449) in the core: the `dpop` option's validation, the URI normalisation of §4.3,
 * `required` mode per guard and per route, the token routes in `required` mode, server nonces
 * (`use_dpop_nonce`) and the bounded in-memory replay cache. Proofs come from panva's `dpop`.
 */
import { generateKeyPair, generateProof, type KeyPair } from 'dpop'
import { createJwtGuard, type JwtGuard, type JwtGuardOptions } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { normaliseHtu } from '../../src/core/dpop/htu.js'
import { memoryReplayCheck } from '../../src/core/dpop/replay.js'
import { rejectionCode } from '../support/errors.js'
import { TEST_SECRET } from '../support/http.js'

const ORIGIN = 'http://api.test'
const LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

function guardWith(options: Partial<JwtGuardOptions<unknown>> = {}): JwtGuard<unknown> {
  return createJwtGuard<unknown>({
    secret: TEST_SECRET,
    store: createMemoryStore({ pruneInterval: 0 }),
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: (payload) => payload,
    ...options,
  } as JwtGuardOptions<unknown>)
}

async function login(guard: JwtGuard<unknown>, dpop?: string) {
  const route = guard.routes.find((candidate) => candidate.name === 'login')
  if (route === undefined) throw new Error('no login route')
  const headers: Record<string, string> = { host: 'api.test' }
  if (dpop !== undefined) headers.dpop = dpop
  return route.handle({ contentType: 'application/json', body: LOGIN, headers })
}

let key: KeyPair
beforeAll(async () => {
  key = await generateKeyPair('ES256')
})

describe('the dpop option', () => {
  it.each([
    ['an unknown mode', 'sometimes'],
    ['an empty algorithm list', { algorithms: [] }],
    ['an HMAC algorithm', { algorithms: ['HS256'] }],
    ['none', { algorithms: ['none'] }],
    ['a maxAge of 0', { maxAge: 0 }],
    ['a maxAge over an hour', { maxAge: '2h' }],
    ['an origin with a path', { origin: 'https://api.example.com/v1' }],
    ['an origin that is not http(s)', { origin: 'ftp://api.example.com' }],
    ['a replay cache of 0', { replayCacheSize: 0 }],
    ['a short nonce secret', { nonce: { secret: 'short' } }],
    ['a nonce lifetime of 1 s', { nonce: { secret: TEST_SECRET, lifetime: 1 } }],
  ])('refuses %s at construction', (_what, dpop) => {
    expect(() => guardWith({ dpop: dpop as never })).toThrow()
  })

  it('refuses protect({ dpop }) on a guard without the dpop option, and a bad route mode', () => {
    expect(() => guardWith().protect({ dpop: 'required' })).toThrow(/needs the guard's dpop option/)
    expect(() => guardWith({ dpop: 'allowed' }).protect({ dpop: 'always' as never })).toThrow(TypeError)
  })
})

describe('htu normalisation (RFC 9449 §4.3, RFC 3986 §6.2.2 and §6.2.3)', () => {
  it.each([
    ['HTTPS://API.Example.COM:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80/a', 'http://api.example.com/a'],
    ['http://api.example.com:8080/a', 'http://api.example.com:8080/a'],
    ['https://api.example.com/a?x=1#y', 'https://api.example.com/a'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/%7euser', 'https://api.example.com/%7Euser'],
    ['https://api.example.com', 'https://api.example.com/'],
  ])('%s is %s', (given, expected) => {
    expect(normaliseHtu(given)).toBe(expected)
  })

  it.each(['/relative', 'ftp://api.example.com/a', 'https://user:pw@api.example.com/a', 'not a url'])(
    'refuses %s',
    (given) => {
      expect(normaliseHtu(given)).toBeUndefined()
    },
  )
})

describe("dpop: 'required'", () => {
  const guard = guardWith({ dpop: { mode: 'required', origin: ORIGIN } })

  it('refuses a login without a proof, binds one with a proof', async () => {
    expect(await rejectionCode(login(guard))).toBe('ERR_DPOP_PROOF_INVALID')
    const response = await login(guard, await generateProof(key, `${ORIGIN}/auth`, 'POST'))
    expect(response.status).toBe(200)
  })

  it('refuses an unbound token on every route, with or without a proof', async () => {
    const unbound = guardWith().createAccessToken({ id: 123 })
    const meta = { method: 'GET', url: '/api' }
    expect(
      await rejectionCode(guard.protect().authenticate({ authorization: `JWT ${unbound}` }, undefined, meta)),
    ).toBe('ERR_DPOP_BINDING_INVALID')
  })
})

describe("protect({ dpop: 'required' }) on a guard that allows DPoP", () => {
  const guard = guardWith({ dpop: 'allowed' })

  it('refuses an unbound token on that route only', async () => {
    const token = guard.createAccessToken({ id: 123 })
    const headers = { authorization: `JWT ${token}` }
    const meta = { method: 'GET', url: '/x' }
    expect(await rejectionCode(guard.protect().authenticate(headers, undefined, meta))).toBe('no error')
    expect(
      await rejectionCode(guard.protect({ dpop: 'required' }).authenticate(headers, undefined, meta)),
    ).toBe('ERR_DPOP_BINDING_INVALID')
  })
})

describe('server nonces (use_dpop_nonce)', () => {
  let clock = 1_800_000_000
  const guard = guardWith({
    now: () => clock,
    dpop: { origin: ORIGIN, nonce: { secret: TEST_SECRET, lifetime: 60 } },
  })
  /** A proof made at the guard's clock: the client library's clock is frozen there too. */
  async function proofAt(nonce?: string) {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(clock * 1000)
    try {
      return await generateProof(key, `${ORIGIN}/auth`, 'POST', nonce)
    } finally {
      vi.useRealTimers()
    }
  }

  it('answers a proof without a nonce with one, takes it, and refuses it two lifetimes later', async () => {
    let nonce = ''
    try {
      await login(guard, await proofAt())
      expect.unreachable('a proof without a nonce was accepted')
    } catch (error) {
      expect((error as { code: string }).code).toBe('ERR_DPOP_NONCE_REQUIRED')
      nonce = (error as { dpopNonce: string }).dpopNonce
      const response = guard.errorResponse(error)
      expect(response.status).toBe(401)
      expect(response.headers['dpop-nonce']).toBe(nonce)
      expect(response.headers['www-authenticate']).toContain('error="use_dpop_nonce"')
    }
    expect(nonce).toMatch(/^[0-9a-z]+\.[\w-]+$/)
    expect((await login(guard, await proofAt(nonce))).status).toBe(200)
    const forged = `${nonce.split('.')[0]}.${'A'.repeat(22)}`
    expect(await rejectionCode(login(guard, await proofAt(forged)))).toBe('ERR_DPOP_NONCE_REQUIRED')
    clock += 60 // the next slot: the previous slot's nonce is still taken
    expect((await login(guard, await proofAt(nonce))).status).toBe(200)
    clock += 60
    expect(await rejectionCode(login(guard, await proofAt(nonce)))).toBe('ERR_DPOP_NONCE_REQUIRED')
  })
})

describe('the in-memory replay cache', () => {
  it('refuses a key while it lives, and forgets the oldest past its size', () => {
    let now = 1000
    const claim = memoryReplayCheck(3, () => now)
    expect(claim('a', 1060)).toBe(true)
    expect(claim('a', 1060)).toBe(false)
    expect(claim('b', 1061)).toBe(true)
    expect(claim('c', 1062)).toBe(true)
    expect(claim('d', 1063)).toBe(true) // full: 'a', the oldest, is forgotten
    expect(claim('a', 1064)).toBe(true)
    expect(claim('d', 1063)).toBe(false)
    now = 1070
    expect(claim('d', 1130)).toBe(true) // expired: claimable again
  })
})
