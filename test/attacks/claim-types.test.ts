/**
 * `iss`, `sub` and `aud` of the wrong type, and audiences and issuers that only look right. The
 * types are always checked (a list is not an issuer, a number is not an audience), expected values
 * are compared exactly, and an expected claim that is absent is refused.
 */
import { createHmacKey, createVerifier } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { type AttackRow, codeOf, HS256, hs, runAttackTable, seedClaims, T0, TEST_SECRET } from './support.js'

const ISSUER = 'https://issuer.test'
const AUDIENCE = 'orders-api'
const claims = (extra: Record<string, unknown>) => seedClaims({ iss: ISSUER, aud: AUDIENCE, ...extra })
const token = (extra: Record<string, unknown>) => hs(HS256, claims(extra))

describe('CVE-2025-30144 (fast-jwt, nearform/fast-jwt#552): an iss array passed the issuer check', () => {
  // @see https://github.com/nearform/fast-jwt/issues/552
  const rows: AttackRow[] = (
    [
      ['iss as a list holding the issuer', { iss: [ISSUER] }],
      ['iss as a list of two', { iss: ['https://evil.test', ISSUER] }],
      ['iss as a number', { iss: 1 }],
      ['iss null', { iss: null }],
      ['iss as an object', { iss: { href: ISSUER } }],
      ['iss true', { iss: true }],
      ['sub as a number', { sub: 123 }],
      ['sub as a list', { sub: ['123'] }],
      ['sub null', { sub: null }],
      ['aud as a number', { aud: 1 }],
      ['aud as an object', { aud: { [AUDIENCE]: true } }],
      ['aud null', { aud: null }],
      ['aud as a list holding a number', { aud: [AUDIENCE, 1] }],
      ['aud as a list holding null', { aud: [null] }],
      ['aud as a nested list', { aud: [[AUDIENCE]] }],
    ] as Array<[string, Record<string, unknown>]>
  ).map(([name, extra]) => ({ name, token: token(extra), code: 'ERR_CLAIM_INVALID' }))
  // The reference server expects no issuer or audience, yet refuses these types.
  runAttackTable(rows)
})

describe('CVE-2025-62610 / GHSA-m732-5p4w-x69g (hono): aud not validated', () => {
  // @see https://github.com/honojs/hono/security/advisories/GHSA-m732-5p4w-x69g
  const verify = createVerifier({
    keys: [createHmacKey(TEST_SECRET)],
    now: () => T0,
    issuer: ISSUER,
    audience: AUDIENCE,
  })
  it('control: the expected issuer and an audience list holding ours verify', () => {
    expect(verify(token({ aud: ['billing-api', AUDIENCE] }))).toMatchObject({ iss: ISSUER })
  })
  const rows: AttackRow[] = (
    [
      ['another audience', { aud: 'billing-api' }],
      ['our audience in another case', { aud: AUDIENCE.toUpperCase() }],
      ['our audience with a trailing space', { aud: `${AUDIENCE} ` }],
      ['our audience as a prefix', { aud: `${AUDIENCE}-staging` }],
      ['an empty audience list', { aud: [] }],
      ['no aud at all', { aud: undefined }],
      ['a wildcard audience', { aud: '*' }],
      ['another issuer', { iss: 'https://evil.test' }],
      ['our issuer with a trailing slash', { iss: `${ISSUER}/` }],
      ['our issuer in upper case', { iss: ISSUER.toUpperCase() }],
      ['our issuer as a prefix', { iss: `${ISSUER}.evil.test` }],
      ['no iss at all', { iss: undefined }],
      ['iss as a list holding ours', { iss: [ISSUER] }],
    ] as Array<[string, Record<string, unknown>]>
  ).map(([name, extra]) => ({ name, token: token(extra), code: 'ERR_CLAIM_INVALID' }))
  it.each(rows)('$name: $code', ({ token: value, code }) => {
    expect(codeOf(() => verify(value))).toBe(code)
  })
  it('an unknown claim name is never an audience: "audience" or "aud " do not count', () => {
    expect(codeOf(() => verify(token({ aud: undefined, audience: AUDIENCE, 'aud ': AUDIENCE })))).toBe(
      'ERR_CLAIM_INVALID',
    )
  })
})
