/**
 * Cache-key collisions, against a guard without the verified-token cache and one with it, and
 * over HTTP against the reference server (which runs with the cache): tokens sharing a long prefix
 * or a suffix with a verified token never get its claims, however they are interleaved, and a
 * forged token never becomes valid because a real one was verified (and cached) just before.
 */
import { describe, expect, it } from 'vitest'
import {
  API,
  apiGuard,
  codeOf,
  describeHttp,
  expectRefused,
  HS256,
  hs,
  INVALID_TOKEN,
  seedClaims,
} from './support.js'

/** Two valid tokens whose payloads differ in one character in the middle: a long shared prefix. */
const A = hs(HS256, seedClaims({ role: 'user', note: 'x'.repeat(60), tenant: 'aaaa' }))
const B = hs(HS256, seedClaims({ role: 'user', note: 'x'.repeat(60), tenant: 'aaab' }))
const split = (token: string) => token.split('.') as [string, string, string]
const [headerA, payloadA, signatureA] = split(A)
const [, payloadB, signatureB] = split(B)
/** Hybrids: A's text with B's pieces (and the other way round), each a forgery. */
const HYBRIDS: Array<[string, string]> = [
  ["B's payload with A's signature (A's prefix and suffix)", `${headerA}.${payloadB}.${signatureA}`],
  ["A's payload with B's signature", `${headerA}.${payloadA}.${signatureB}`],
  ['A with its last 16 signature characters from B', `${A.slice(0, -16)}${B.slice(-16)}`],
  [
    "B with its first 100 characters from A and A's signature",
    `${A.slice(0, 100)}${B.slice(100, B.lastIndexOf('.'))}.${signatureA}`,
  ],
  [
    'A with one middle character of the signature changed',
    `${A.slice(0, -20)}${A.at(-20) === 'A' ? 'B' : 'A'}${A.slice(-19)}`,
  ],
]

function sharedPrefix(x: string, y: string): number {
  let i = 0
  while (i < x.length && x[i] === y[i]) i++
  return i
}

describe('GHSA-rp9m-7r4c-75qg (fast-jwt): cacheKeyBuilder collisions returned claims from a different token', () => {
  // @see https://github.com/nearform/fast-jwt/security/advisories/GHSA-rp9m-7r4c-75qg
  it('the two valid tokens share a long prefix and differ only near the end of the payload', () => {
    expect(sharedPrefix(A, B)).toBeGreaterThan(120)
    expect(A.length).toBe(B.length)
  })

  describe.each([
    ['without the cache', API],
    ['with the verified-token cache', apiGuard({ cache: true })],
  ])('%s', (_name, API) => {
    it('interleaved 2000 times, each valid token returns its own claims and each hybrid is refused', () => {
      for (let round = 0; round < 400; round++) {
        expect(API.verify(A).tenant).toBe('aaaa')
        expect(API.verify(B).tenant).toBe('aaab')
        for (const [, hybrid] of HYBRIDS)
          expect(codeOf(() => API.verify(hybrid))).toBe('ERR_SIGNATURE_INVALID')
        expect(API.verify(round % 2 === 0 ? A : B).tenant).toBe(round % 2 === 0 ? 'aaaa' : 'aaab')
      }
    })

    it.each(HYBRIDS)('%s, right after A verified: ERR_SIGNATURE_INVALID', (_name, hybrid) => {
      API.verify(A)
      API.verify(B)
      expect(codeOf(() => API.verify(hybrid))).toBe('ERR_SIGNATURE_INVALID')
    })

    it('an expired token stays expired after a valid token with the same prefix verified', () => {
      const expiredA = hs(HS256, seedClaims({ exp: 1, role: 'user', note: 'x'.repeat(60), tenant: 'aaaa' }))
      API.verify(A)
      expect(codeOf(() => API.verify(expiredA))).toBe('ERR_TOKEN_EXPIRED')
    })
  })

  describeHttp((app) => {
    it('interleaved over HTTP: A and B answer 200, each hybrid 401, in any order', async () => {
      for (let round = 0; round < 5; round++) {
        for (const token of [A, B]) {
          const response = await app().request('GET', '/api/v1/me', {
            headers: { authorization: `JWT ${token}` },
          })
          expect(response.status).toBe(200)
        }
        for (const [, hybrid] of HYBRIDS) {
          await expectRefused(app(), `JWT ${hybrid}`, INVALID_TOKEN('Signature verification failed'))
        }
      }
    })
  })
})
