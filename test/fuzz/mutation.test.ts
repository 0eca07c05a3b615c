/**
 * Property (a): no mutation of a valid token is ever accepted unless it is byte-identical to a
 * valid token. Valid tokens are generated with arbitrary extra claims, then mutated: characters
 * replaced, segments swapped, text inserted or deleted, segments re-encoded. On HS256 and Ed25519
 * (deterministic, non-malleable signatures) the only valid token with a given signing input is the
 * original, so an accepted mutation must equal it. (ECDSA is malleable: see the attack corpus.)
 */
import { generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import {
  createAsymmetricKey,
  createHmacKey,
  createVerifier,
  isJwtGuardError,
  type JwtKey,
  signToken,
  type VerifyFunction,
} from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { count, countAccepted, NOW, params, reportTotals, SECRET, timeout } from './support.js'

reportTotals('mutation')

const claimValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
)
const extraClaims = fc.dictionary(
  fc
    .string({ minLength: 1, maxLength: 8 })
    .filter((k) => !['exp', 'iat', 'nbf', 'type', 'iss', 'sub', 'aud', '__proto__'].includes(k)),
  claimValue,
  { maxKeys: 5 },
)
const claims = fc.record({
  lifetime: fc.integer({ min: 60, max: 100_000 }),
  identity: fc.oneof(fc.integer(), fc.string({ maxLength: 12 })),
  extra: extraClaims,
})

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/% \t\n\u0000é☃'
const anyChar = fc.oneof(fc.constantFrom(...CHARS), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))

type Mutation = (token: string) => string
/** Each mutation, drawn with its parameters; applied to a token of any length. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Replace one character.
  fc.tuple(fc.nat(), anyChar).map(
    ([at, char]): Mutation =>
      (t) => {
        const i = at % t.length
        return t.slice(0, i) + char + t.slice(i + 1)
      },
  ),
  // Flip one bit of one character's code.
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 6 })).map(
    ([at, bit]): Mutation =>
      (t) => {
        const i = at % t.length
        return t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ (1 << bit)) + t.slice(i + 1)
      },
  ),
  // Insert text.
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom(...CHARS) })).map(
    ([at, text]): Mutation =>
      (t) => {
        const i = at % (t.length + 1)
        return t.slice(0, i) + text + t.slice(i)
      },
  ),
  // Delete a range.
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(
    ([at, length]): Mutation =>
      (t) => {
        const i = at % t.length
        return t.slice(0, i) + t.slice(i + length)
      },
  ),
  // Swap, duplicate or drop segments.
  fc.constantFrom<Mutation>(
    (t) => t.split('.').reverse().join('.'),
    (t) => {
      const [h, p, s] = t.split('.')
      return [p, h, s].join('.')
    },
    (t) => {
      const [h, p, s] = t.split('.')
      return [h, p, p, s].join('.')
    },
    (t) => {
      const [h, , s] = t.split('.')
      return [h, h, s].join('.')
    },
    (t) => t.split('.').slice(0, 2).join('.'),
  ),
  // Re-encode one segment: standard base64, padding, dirty unused bits, percent-encoding, case.
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 5 })).map(
    ([index, how]): Mutation =>
      (t) => {
        const parts = t.split('.')
        const seg = parts[index] ?? ''
        const bytes = Buffer.from(seg, 'base64url')
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        const encodings = [
          bytes.toString('base64'),
          bytes.toString('base64').replace(/=+$/, ''),
          `${seg}${'='.repeat((4 - (seg.length % 4)) % 4 || 4)}`,
          seg.length % 4 >= 2
            ? seg.slice(0, -1) + alphabet[alphabet.indexOf(seg.at(-1) as string) | 1]
            : `${seg}A`,
          encodeURIComponent(bytes.toString('base64')),
          seg.toUpperCase(),
        ]
        parts[index] = encodings[how] as string
        return parts.join('.')
      },
  ),
  // Re-serialise the payload JSON (whitespace, order) without re-signing.
  fc.constantFrom<Mutation>((t) => {
    const [h, p = '', s] = t.split('.')
    try {
      const json: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
      return `${h}.${Buffer.from(JSON.stringify(json, null, 1)).toString('base64url')}.${s}`
    } catch {
      return `${t} ` // an earlier step broke the payload: a trailing space instead
    }
  }),
)

function checkMutations(label: string, key: JwtKey, weight: number): void {
  const verify: VerifyFunction = createVerifier({ keys: [key], now: () => NOW })
  it(
    `${label}: an accepted mutation is the original token, anything else is a coded error`,
    () => {
      fc.assert(
        fc.property(
          claims,
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          ({ lifetime, identity, extra }, steps) => {
            count()
            const payload = { ...extra, exp: NOW + lifetime, iat: NOW, nbf: NOW, identity }
            const token = signToken(payload, key)
            const mutated = steps.reduce((t, step) => step(t), token)
            try {
              verify(mutated)
            } catch (error) {
              if (isJwtGuardError(error)) return true
              throw error
            }
            countAccepted()
            return mutated === token
          },
        ),
        params(weight),
      )
    },
    timeout(weight),
  )
}

describe('property (a): mutations of valid tokens', () => {
  checkMutations('HS256', createHmacKey(SECRET), 1)
  checkMutations(
    'EdDSA (Ed25519)',
    createAsymmetricKey(generateKeyPairSync('ed25519').privateKey, { kid: 'ed' }),
    0.1,
  )

  it('control: unmutated tokens verify', () => {
    const key = createHmacKey(SECRET)
    const verify = createVerifier({ keys: [key], now: () => NOW })
    fc.assert(
      fc.property(claims, ({ lifetime, identity, extra }) => {
        const payload = { ...extra, exp: NOW + lifetime, iat: NOW, nbf: NOW, identity }
        expect(verify(signToken(payload, key))).toEqual(JSON.parse(JSON.stringify(payload)))
      }),
      { numRuns: 200 },
    )
  })
})
