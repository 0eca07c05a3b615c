/**
 * `exp`, `nbf` and `iat` of the wrong type or out of range. A NumericDate is a finite JSON number
 * (RFC 7519 §2): a string, a boolean, `null`, an array or an overflow to Infinity is refused with
 * ERR_CLAIM_INVALID, never skipped as "absent"; `NaN` and `Infinity` are not JSON and make the
 * payload malformed; every finite number, in any notation, is compared as the number it is.
 */
import { describe, expect, it } from 'vitest'
import {
  API,
  type AttackRow,
  apiGuard,
  codeOf,
  HS256,
  hs,
  runAcceptedTable,
  runAttackTable,
  T0,
} from './support.js'

/** Raw payload text, so that notation, `NaN` and overflows reach the parser as written. */
function raw(exp: string, nbf: string = String(T0), iat: string = String(T0)): string {
  return `{"exp":${exp},"iat":${iat},"nbf":${nbf},"identity":123}`
}
const token = (payload: string) => hs(HS256, payload)

describe('GHSA-h395-gr6q-cpjc (jsonwebtoken, Rust): a claim of the wrong type was treated as absent; libjwt#283: exp saturated to the maximum', () => {
  // @see https://github.com/advisories/GHSA-h395-gr6q-cpjc
  const future = String(T0 + 300)
  const rows: AttackRow[] = [
    ...(['exp', 'nbf', 'iat'] as const).flatMap((claim): AttackRow[] => {
      const at = (value: string) =>
        claim === 'exp' ? raw(value) : claim === 'nbf' ? raw(future, value) : raw(future, String(T0), value)
      return [
        {
          name: `${claim} as a numeric string`,
          token: token(at(`"${T0 + 100}"`)),
          code: 'ERR_CLAIM_INVALID',
        },
        {
          name: `${claim} as a far-future string`,
          token: token(at('"99999999999"')),
          code: 'ERR_CLAIM_INVALID',
        },
        {
          name: `${claim} as an ISO date string`,
          token: token(at('"2099-01-01T00:00:00Z"')),
          code: 'ERR_CLAIM_INVALID',
        },
        { name: `${claim} as a hex string`, token: token(at('"0x7fffffff"')), code: 'ERR_CLAIM_INVALID' },
        { name: `${claim} true`, token: token(at('true')), code: 'ERR_CLAIM_INVALID' },
        { name: `${claim} null`, token: token(at('null')), code: 'ERR_CLAIM_INVALID' },
        { name: `${claim} as an array`, token: token(at(`[${T0 + 100}]`)), code: 'ERR_CLAIM_INVALID' },
        { name: `${claim} as an object`, token: token(at(`{"$date":${T0}}`)), code: 'ERR_CLAIM_INVALID' },
        {
          name: `${claim} 1e400 (overflows to Infinity)`,
          token: token(at('1e400')),
          code: 'ERR_CLAIM_INVALID',
        },
        {
          name: `${claim} -1e400 (overflows to -Infinity)`,
          token: token(at('-1e400')),
          code: 'ERR_CLAIM_INVALID',
        },
        { name: `${claim} NaN (not JSON)`, token: token(at('NaN')), code: 'ERR_TOKEN_MALFORMED' },
        { name: `${claim} Infinity (not JSON)`, token: token(at('Infinity')), code: 'ERR_TOKEN_MALFORMED' },
        { name: `${claim} +1 (not JSON)`, token: token(at('+1')), code: 'ERR_TOKEN_MALFORMED' },
        { name: `${claim} 0x10 (not JSON)`, token: token(at('0x10')), code: 'ERR_TOKEN_MALFORMED' },
      ]
    }),
    { name: 'exp -1', token: token(raw('-1')), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'exp 0', token: token(raw('0')), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'exp -0', token: token(raw('-0')), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'exp -1e308', token: token(raw('-1e308')), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'exp 1e-400 (underflows to 0)', token: token(raw('1e-400')), code: 'ERR_TOKEN_EXPIRED' },
    {
      name: 'exp in exponent notation, in the past (1.7e9)',
      token: token(raw('1.7e9')),
      code: 'ERR_TOKEN_EXPIRED',
    },
    { name: 'exp 1000 s ago', token: token(raw(String(T0 - 1000))), code: 'ERR_TOKEN_EXPIRED' },
    { name: 'nbf 1e308', token: token(raw(future, '1e308')), code: 'ERR_TOKEN_NOT_YET_VALID' },
    {
      name: 'nbf in exponent notation, in the future (9E9)',
      token: token(raw(future, '9E9')),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    { name: 'iat 1e308', token: token(raw(future, String(T0), '1e308')), code: 'ERR_TOKEN_NOT_YET_VALID' },
    {
      name: 'iat 1000 s ahead',
      token: token(raw(future, String(T0), String(T0 + 1000))),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    { name: 'no exp', token: token(`{"iat":${T0},"nbf":${T0},"identity":123}`), code: 'ERR_CLAIM_INVALID' },
    {
      name: 'no nbf',
      token: token(`{"exp":${future},"iat":${T0},"identity":123}`),
      code: 'ERR_CLAIM_INVALID',
    },
    {
      name: 'no iat',
      token: token(`{"exp":${future},"nbf":${T0},"identity":123}`),
      code: 'ERR_CLAIM_INVALID',
    },
  ]
  runAttackTable(rows)

  it('names the claim at fault, never its value', () => {
    for (const claim of ['exp', 'nbf', 'iat'] as const) {
      const payload =
        claim === 'exp'
          ? raw('"soon"')
          : claim === 'nbf'
            ? raw(future, '"soon"')
            : raw(future, String(T0), '"soon"')
      try {
        API.verify(token(payload))
        expect.unreachable()
      } catch (error) {
        expect(error).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim })
        expect((error as Error).message).not.toContain('soon')
      }
    }
  })
})

describe('finite numbers in any notation are compared as numbers (documented acceptances)', () => {
  const future = T0 + 300
  runAcceptedTable([
    { name: 'exp in exponent notation', token: token(raw(`${future / 1e3}e3`)), claims: { exp: future } },
    { name: 'exp with a fraction', token: token(raw(`${future}.5`)), claims: { exp: future + 0.5 } },
    { name: 'exp with a trailing ".0"', token: token(raw(`${future}.0`)), claims: { exp: future } },
    {
      name: 'exp 1e308 (the key holder chose "forever")',
      token: token(raw('1e308')),
      claims: { exp: 1e308 },
    },
    {
      name: 'nbf and iat negative',
      token: token(raw(String(future), '-1', '-1')),
      claims: { nbf: -1, iat: -1 },
    },
    { name: 'nbf -1e308', token: token(raw(String(future), '-1e308')), claims: { nbf: -1e308 } },
  ])
})

describe('leeway boundaries (10 s), on a frozen clock', () => {
  const guard = apiGuard()
  it.each([
    [T0 - 10, 'ERR_TOKEN_EXPIRED'],
    [T0 - 9.999, 'OK'],
    [T0 - 9, 'OK'],
  ])('exp %d at now %d', (exp, code) => {
    expect(codeOf(() => guard.verify(token(raw(String(exp)))))).toBe(code)
  })
  it.each([
    [T0 + 10, 'OK'],
    [T0 + 10.001, 'ERR_TOKEN_NOT_YET_VALID'],
  ])('nbf %d', (nbf, code) => {
    expect(codeOf(() => guard.verify(token(raw(String(T0 + 300), String(nbf)))))).toBe(code)
  })
})
