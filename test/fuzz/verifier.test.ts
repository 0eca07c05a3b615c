/**
 * Property (b): no input makes anything but a JwtGuardError escape from verification, and what is
 * accepted satisfies every claim rule. Inputs: arbitrary strings, arbitrary three-segment strings,
 * and arbitrary JSON headers and payloads (any JSON value, raw text, raw bytes) signed with the
 * right key, so that the header, payload and claim paths all see hostile values. Error messages
 * never carry the token's segments.
 */
import fc from 'fast-check'
import {
  createHmacKey,
  createVerifier,
  isJwtGuardError,
  type JwtPayload,
  type VerifyFunction,
} from 'jwtguard'
import { describe, it } from 'vitest'
import { count, countAccepted, hs256, NOW, params, reportTotals, timeout } from './support.js'

reportTotals('verifier')

const LEEWAY = 10
const ISSUER = 'https://issuer.test'
const AUDIENCE = 'api'
const key = createHmacKey('fuzz-secret-with-at-least-32-bytes-of-entropy')
const plain = createVerifier({ keys: [key], now: () => NOW })
const strict = createVerifier({
  keys: [key],
  now: () => NOW,
  issuer: ISSUER,
  audience: AUDIENCE,
  subject: 'u1',
})

/** What an accepted payload must satisfy; throws (an uncoded error) when it does not. */
function assertAcceptable(payload: JwtPayload, withExpectations: boolean): void {
  const fail = (why: string) => {
    throw new Error(`accepted a token that ${why}: ${JSON.stringify(payload)}`)
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) fail('is not an object')
  for (const claim of ['exp', 'iat', 'nbf'] as const) {
    const value = payload[claim]
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`has a bad ${claim}`)
  }
  if ((payload.exp as number) <= NOW - LEEWAY) fail('is expired')
  if ((payload.nbf as number) > NOW + LEEWAY || (payload.iat as number) > NOW + LEEWAY)
    fail('is not yet valid')
  if (payload.type !== undefined && payload.type !== 'access') fail('is not an access token')
  for (const claim of ['iss', 'sub'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') fail(`has a bad ${claim}`)
  }
  const aud = payload.aud as unknown
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
  ) {
    fail('has a bad aud')
  }
  if (withExpectations) {
    if (payload.iss !== ISSUER || payload.sub !== 'u1') fail('has the wrong iss or sub')
    const list = typeof aud === 'string' ? [aud] : (aud as string[] | undefined)
    if (list === undefined || !list.includes(AUDIENCE)) fail('has the wrong aud')
  }
}

/** Verifies with both verifiers; returns normally when every outcome is allowed. */
function check(token: string): boolean {
  count()
  for (const [verify, withExpectations] of [
    [plain, false],
    [strict, true],
  ] as Array<[VerifyFunction, boolean]>) {
    let payload: JwtPayload
    try {
      payload = verify(token)
    } catch (error) {
      if (!isJwtGuardError(error)) throw error
      for (const segment of token.split('.')) {
        if (segment.length >= 12 && error.message.includes(segment))
          throw new Error('error message carries the token')
      }
      continue
    }
    assertAcceptable(payload, withExpectations)
    countAccepted()
  }
  return true
}

const ALG = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HS256') },
  { weight: 1, arbitrary: fc.constantFrom('none', 'None', 'HS512', 'RS256', 'hs256', '') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
)
const HEADER_EXTRA = fc.dictionary(
  fc.oneof(
    fc.constantFrom('kid', 'crit', 'b64', 'typ', 'jku', 'jwk', 'x5u', '__proto__', 'exp'),
    fc.string({ maxLength: 6 }),
  ),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
)
/** A claim value of any type, biased towards the edges of the numeric ones. */
const CLAIM = fc.oneof(
  fc.integer({ min: NOW - 100, max: NOW + 100 }),
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, NOW, NOW + LEEWAY, NOW - LEEWAY, Number.MAX_SAFE_INTEGER),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(ISSUER, AUDIENCE, 'u1', 'access', 'refresh', null, true),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constant(AUDIENCE), fc.integer()), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
)
/** Claims that pass both verifiers, with up to three of them (or new ones) replaced by anything. */
const VALID = { exp: NOW + 60, iat: NOW, nbf: NOW, iss: ISSUER, sub: 'u1', aud: [AUDIENCE], identity: 1 }
const CLAIMS = fc
  .tuple(
    fc.dictionary(
      fc.oneof(
        fc.constantFrom('exp', 'iat', 'nbf', 'iss', 'sub', 'aud', 'type', 'jti', 'identity'),
        fc.string({ maxLength: 6 }),
      ),
      CLAIM,
      { maxKeys: 3 },
    ),
    fc.subarray(Object.keys(VALID)),
  )
  .map(([overrides, dropped]) => {
    const claims: Record<string, unknown> = { ...VALID, ...overrides }
    if (dropped.length <= 1) for (const name of dropped) delete claims[name]
    return claims
  })
/** Payload text: claims as JSON (sometimes with duplicated members), any JSON, or raw text. */
const PAYLOAD_TEXT: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: CLAIMS.map((claims) => JSON.stringify(claims) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc.tuple(CLAIMS, CLAIMS).map(([a, b]) => {
      const first = JSON.stringify(a) ?? '{}'
      const second = JSON.stringify(b) ?? '{}'
      return first.length > 2 && second.length > 2 ? `${first.slice(0, -1)},${second.slice(1)}` : first
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }) },
)

describe('property (b): only coded errors escape, and what is accepted obeys the rules', () => {
  it(
    'arbitrary strings',
    () => {
      fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), check), params(0.3))
    },
    timeout(0.3),
  )

  it(
    'arbitrary three-segment strings of base64url-ish characters',
    () => {
      const segment = fc.string({ maxLength: 120, unit: fc.constantFrom(...'AZaz09-_+/=%.é\u0000 ') })
      fc.assert(
        fc.property(segment, segment, segment, (h, p, s) => check(`${h}.${p}.${s}`)),
        params(0.3),
      )
    },
    timeout(0.3),
  )

  it(
    'arbitrary JSON headers and payloads, signed with the right key',
    () => {
      fc.assert(
        fc.property(ALG, HEADER_EXTRA, PAYLOAD_TEXT, (alg, extra, payload) => {
          const header = JSON.stringify({ ...extra, alg })
          return check(hs256(header, payload))
        }),
        params(1),
      )
    },
    timeout(1),
  )

  it(
    'raw header text (duplicates, odd JSON), signed with the right key',
    () => {
      const headerText = fc.oneof(
        fc.string({ maxLength: 60, unit: 'binary' }),
        fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? ''),
        HEADER_EXTRA.map((extra) => `{"alg":"HS256",${(JSON.stringify(extra) ?? '{}').slice(1)}`),
      )
      fc.assert(
        fc.property(headerText, PAYLOAD_TEXT, (header, payload) => check(hs256(header, payload))),
        params(0.3),
      )
    },
    timeout(0.3),
  )

  it('control: the generators do produce accepted tokens', () => {
    const token = hs256('{"alg":"HS256"}', JSON.stringify({ exp: NOW + 60, iat: NOW, nbf: NOW }))
    plain(token)
  })
})
