/**
 * The verified-token cache (issue 8): a property-based differential test proves that cached and
 * uncached verification give the same answer for every input, over time and across key rotation.
 * @see GHSA-rp9m-7r4c-75qg (fast-jwt: colliding cache keys returned another token's claims)
 */

import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import {
  createHmacKey,
  createJwtGuard,
  createKeyStore,
  createVerifier,
  generateAsymmetricKey,
  isJwtGuardError,
  type JwtGuard,
  type JwtPayload,
  type ProtectOptions,
  signToken,
  type TokenType,
} from 'jwtguard'
import type { ProtectedRoute } from 'jwtguard/adapter'
import { createMemoryStore } from 'jwtguard/stores/memory'
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
    // Mostly verifications, so that tokens are cached and then hit after the clock has moved;
    // a rotation empties the cache, so it must not come between every two of them.
    const action = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record({
          kind: fc.constant('verify' as const),
          // Mostly the tokens that verify at some point (valid, short-lived, not yet valid,
          // refresh, the other key's), so that many are cached and later hit.
          token: fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(0, 1, 3, 4, 5) },
            { weight: 1, arbitrary: fc.nat(tokens.length - 1) },
          ),
          refresh: fc.nat(3).map((draw) => draw === 0),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('tick' as const),
          seconds: fc.integer({ min: 0, max: 40 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('rotate' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('retire' as const) }) },
    )
    fc.assert(
      fc.property(fc.array(action, { minLength: 10, maxLength: 60, size: 'max' }), (actions) => {
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
    // Twice: the second verification admits it to the cache, the third is answered from it.
    for (let i = 0; i < 3; i++) expect(verify(underB).identity).toBe('b')
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

describe('verified-token cache behind the guard (issue 8)', () => {
  const SECRET_KEY = createHmacKey(SECRET)
  // Routes whose requirements differ: a cached verification made for one must never answer another.
  const ROUTES: readonly ProtectOptions[] = [
    {},
    { audience: 'billing' },
    { audience: ['orders', 'billing'] },
    { issuer: 'https://issuer.example' },
    { fresh: true },
    { roles: ['admin'] },
    { scopes: { anyOf: ['read', 'write'] }, audience: 'orders' },
  ]

  type Step =
    | { kind: 'request'; route: number; token: number }
    | { kind: 'tick'; seconds: number }
    | { kind: 'revoke'; token: number }
    | { kind: 'logoutEverywhere'; identity: number }

  it('answers every route exactly as the uncached guard does, over time, revocations and logouts', async () => {
    const claims = (identity: number, offset: number, lifetime: number, extra: JwtPayload = {}) => ({
      exp: START + offset + lifetime,
      iat: START + offset,
      nbf: START + offset,
      identity,
      jti: `jti-${identity}-${offset}-${lifetime}-${Object.keys(extra).join('-')}`,
      ...extra,
    })
    const tokens = [
      claims(1, 0, 300),
      claims(1, 0, 300, { aud: 'billing', fresh: true }),
      claims(2, 0, 30, { aud: ['orders', 'other'], scope: 'read' }),
      claims(2, 0, 300, { iss: 'https://issuer.example', roles: ['admin'] }),
      claims(3, 0, 300, { iss: 'https://elsewhere.example', aud: 'orders', roles: ['user'] }),
      claims(3, -400, 300, { aud: 'billing' }),
      claims(4, 60, 300, { fresh: true, roles: ['admin'], scope: 'write' }),
      claims(4, 0, 300, { aud: 'billing', type: 'refresh' }),
    ].map((payload) => signToken(payload, SECRET_KEY))
    tokens.push(`${tokens[1]?.slice(0, -4)}AAAA`)

    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('request' as const),
          route: fc.nat(ROUTES.length - 1),
          token: fc.nat(tokens.length - 1),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('tick' as const),
          seconds: fc.integer({ min: 0, max: 90 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant('revoke' as const), token: fc.nat(tokens.length - 1) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('logoutEverywhere' as const),
          identity: fc.integer({ min: 1, max: 4 }),
        }),
      },
    )

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), async (steps) => {
        let now = START
        const store = createMemoryStore({ now: () => now })
        const guardWith = (cache: boolean) =>
          createJwtGuard({
            secret: SECRET,
            cache,
            store,
            now: () => now,
            authenticate: () => null,
            identity: (payload) => ({ user_id: payload.identity }),
          })
        const uncached = guardWith(false)
        const cached = guardWith(true)
        const routesOf = (guard: JwtGuard<unknown>) => ROUTES.map((options) => guard.protect(options))
        const [plain, caching] = [routesOf(uncached), routesOf(cached)]
        for (const action of steps) {
          if (action.kind === 'tick') now += action.seconds
          else if (action.kind === 'revoke') {
            const jti = decodePayload(tokens[action.token] as string)?.jti
            if (typeof jti === 'string') await store.revoke(jti, now + 3600)
          } else if (action.kind === 'logoutEverywhere') await uncached.revokeAllFor(action.identity, now + 1)
          else {
            const headers = { authorization: `JWT ${tokens[action.token]}` }
            const expected = await routeOutcome(plain[action.route], headers)
            expect(await routeOutcome(caching[action.route], headers)).toEqual(expected)
          }
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('refuses a cached token once it is revoked, and a cached token on a route of another audience', async () => {
    const store = createMemoryStore({ now: () => START })
    const guard = createJwtGuard({
      secret: SECRET,
      cache: true,
      store,
      now: () => START,
      authenticate: () => null,
      identity: (payload) => ({ user_id: payload.identity }),
    })
    const open = guard.protect()
    const billing = guard.protect({ audience: 'billing' })
    const token = signToken(claimsAt(START, { jti: 'cached', aud: 'orders' }), SECRET_KEY)
    const headers = { authorization: `JWT ${token}` }
    // Twice to be admitted by the doorkeeper, a third time to be answered from the cache.
    for (let i = 0; i < 3; i++) expect(await routeOutcome(open, headers)).toEqual({ ok: 123 })
    expect(await routeOutcome(billing, headers)).toEqual({ code: 'ERR_CLAIM_INVALID' })
    await store.revoke('cached', START + 300)
    expect(await routeOutcome(open, headers)).toEqual({ code: 'ERR_TOKEN_REVOKED' })
  })
})

function claimsAt(at: number, extra: JwtPayload = {}): JwtPayload {
  return { exp: at + 300, iat: at, nbf: at, identity: 123, ...extra }
}

function decodePayload(token: string): JwtPayload | undefined {
  const segment = token.split('.')[1]
  return segment === undefined
    ? undefined
    : (JSON.parse(Buffer.from(segment, 'base64url').toString()) as JwtPayload)
}

/** What a route answers a request: the identity's user id, or the refusal's code. */
async function routeOutcome(
  route: ProtectedRoute<unknown, unknown> | undefined,
  headers: Record<string, string>,
): Promise<{ ok: unknown } | { code: string }> {
  if (route === undefined) throw new Error('no such route')
  try {
    const result = await route.authenticate(headers, undefined)
    return { ok: (result?.identity as { user_id: unknown } | undefined)?.user_id }
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
    return { code: error.code }
  }
}
