/**
 * The verified-token cache (issue 8): a property-based differential test proves that cached and
 * uncached verification give the same answer for every input, over time and across key rotation.
 * @see GHSA-rp9m-7r4c-75qg (fast-jwt: colliding cache keys returned another token's claims)
 */
import fc from 'fast-check'
import {
  createHmacKey,
  createKeyStore,
  createVerifier,
  generateAsymmetricKey,
  isJwtGuardError,
  type JwtPayload,
  signToken,
  type TokenType,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { b64url, mint } from '../support/tokens.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const SECRET = 'cache-test-secret-of-at-least-32-bytes!'
const START = 1_700_000_000

type Outcome = { ok: JwtPayload } | { code: string }

function outcome(
  verify: (token: string, type: TokenType) => JwtPayload,
  token: string,
  type: TokenType,
): Outcome {
  try {
    return { ok: structuredClone(verify(token, type)) }
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
    return { code: error.code }
  }
}

describe('verified-token cache', () => {
  it('answers exactly as the uncached verifier, for any sequence of tokens, clock moves and rotations', () => {
    const keyA = generateAsymmetricKey('ES256', { kid: 'a' })
    const keyB = generateAsymmetricKey('ES256', { kid: 'b' })
    const hmac = createHmacKey(SECRET)
    // Tokens around START: valid for a while, already expired, not yet valid, refresh-typed,
    // forged, re-signed with another key, malformed.
    const claims = (offset: number, lifetime: number, extra: JwtPayload = {}): JwtPayload => ({
      exp: START + offset + lifetime,
      iat: START + offset,
      nbf: START + offset,
      identity: offset,
      ...extra,
    })
    const tokens = [
      signToken(claims(0, 300), keyA),
      signToken(claims(0, 30), keyA),
      signToken(claims(-400, 300), keyA),
      signToken(claims(60, 300), keyA),
      signToken(claims(0, 300, { type: 'refresh' }), keyA),
      signToken(claims(0, 300), keyB),
      signToken(claims(5, 300), hmac),
      `${signToken(claims(0, 300), keyA).slice(0, -4)}AAAA`,
      `${b64url({ alg: 'ES256', kid: 'a' })}.${b64url(claims(0, 300))}.`,
      mint(claims(0, 300), { secret: SECRET, header: { alg: 'HS256', kid: 'a' } }),
      'not.a.token',
    ]
    const action = fc.oneof(
      fc.record({
        kind: fc.constant('verify' as const),
        token: fc.nat(tokens.length - 1),
        refresh: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ kind: fc.constant('rotate' as const) }),
      fc.record({ kind: fc.constant('retire' as const) }),
    )
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        let now = START
        const store = createKeyStore({ active: keyA, maxTokenLifetime: 3600, now: () => now })
        const options = { keys: store, now: () => now, leeway: 10 }
        const uncached = createVerifier(options)
        const cached = createVerifier({ ...options, cache: { maxEntries: 4 } })
        for (const step of actions) {
          if (step.kind === 'tick') now += step.seconds
          else if (step.kind === 'rotate') store.rotate(store.activeKey === keyA ? keyB : keyA)
          else if (step.kind === 'retire') store.retire(store.activeKey === keyA ? 'b' : 'a')
          else {
            const token = tokens[step.token] as string
            const type: TokenType = step.refresh ? 'refresh' : 'access'
            expect(outcome(cached, token, type)).toEqual(outcome(uncached, token, type))
          }
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('forgets every verification when the key set changes (a retired key verifies nothing)', () => {
    const keyA = generateAsymmetricKey('ES256', { kid: 'a' })
    const keyB = generateAsymmetricKey('ES256', { kid: 'b' })
    const now = START
    const store = createKeyStore({ active: keyA, maxTokenLifetime: 3600, now: () => now })
    const verify = createVerifier({ keys: store, now: () => now, cache: {} })
    const underB = signToken({ exp: START + 300, iat: START, nbf: START, identity: 'b' }, keyB)
    store.rotate(keyB)
    expect(verify(underB).identity).toBe('b')
    store.rotate(keyA)
    expect(store.retire('b')).toBe(true)
    expect(outcome(verify, underB, 'access')).toEqual({ code: 'ERR_KEY_NOT_FOUND' })
  })

  it('never returns the claims of another token, however alike the strings', () => {
    const key = createHmacKey(SECRET)
    const verify = createVerifier({ keys: [key], now: () => START, cache: { maxEntries: 100 } })
    const first = signToken(claims(1), key)
    const second = signToken(claims(2), key)
    expect(verify(first).identity).toBe(1)
    // Same header and same length; differs only inside the payload and signature.
    expect(second.length).toBe(first.length)
    expect(verify(second).identity).toBe(2)
    expect(verify(first).identity).toBe(1)

    function claims(identity: number): JwtPayload {
      return { exp: START + 300, iat: START, nbf: START, identity }
    }
  })

  it('hands out frozen payloads, so one request cannot change what the next one sees', () => {
    const key = createHmacKey(SECRET)
    const verify = createVerifier({ keys: [key], now: () => START, cache: {} })
    const token = signToken({ exp: START + 300, iat: START, nbf: START, roles: ['user'] }, key)
    const payload = verify(token)
    expect(() => {
      ;(payload.roles as string[]).push('admin')
    }).toThrow(TypeError)
    expect(verify(token).roles).toEqual(['user'])
  })

  it('stays bounded', () => {
    const { verify, token, calls } = countingVerifier(2)
    // Each token is cached on its second verification (the doorkeeper), then hits.
    for (const identity of [1, 1, 2, 2]) verify(token(identity))
    expect(calls()).toBe(4)
    verify(token(1))
    verify(token(2))
    expect(calls()).toBe(4)
    // 3 enters (second sighting) and evicts the least recently used, 1; 2 still hits.
    verify(token(3))
    verify(token(3))
    expect(calls()).toBe(6)
    verify(token(2))
    expect(calls()).toBe(6)
    verify(token(1))
    expect(calls()).toBe(7)
  })

  it('admits a token on its second verification: tokens seen once never churn the cache', () => {
    const { verify, token, calls } = countingVerifier(2)
    const kept = token(0)
    verify(kept)
    verify(kept)
    expect(calls()).toBe(2)
    // A stream of tokens each seen once: all verified, none cached, so `kept` is never evicted.
    for (let identity = 1; identity <= 50; identity++) verify(token(identity))
    expect(calls()).toBe(52)
    expect(verify(kept).identity).toBe(0)
    expect(calls()).toBe(52)
  })
})

/** A cached HMAC verifier that counts signature checks, and tokens by identity. */
function countingVerifier(maxEntries: number) {
  const key = createHmacKey(SECRET)
  let checks = 0
  const counting = {
    ...key,
    verify: (input: string, signature: Uint8Array) => {
      checks += 1
      return key.verify(input, signature)
    },
  }
  return {
    verify: createVerifier({ keys: [counting], now: () => START, cache: { maxEntries } }),
    token: (identity: number) => signToken({ exp: START + 300, iat: START, nbf: START, identity }, key),
    calls: () => checks,
  }
}
