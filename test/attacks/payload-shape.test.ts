/**
 * Payloads that are not JSON objects. Claim checks read properties of the payload; on an array, a
 * string or `null` every check would see "absent" and pass. The payload must be a JSON object, or
 * the token is ERR_TOKEN_MALFORMED, whatever its (valid) signature.
 */
import { describe } from 'vitest'
import { type AttackRow, HS256, hs, runAcceptedTable, runAttackTable, seedClaims } from './support.js'

const claims = seedClaims()
const text = JSON.stringify(claims)

describe('nearform/fast-jwt#638 (advisory, fixed in #639): an array payload skipped every claim validator', () => {
  // @see https://github.com/nearform/fast-jwt/pull/639
  const malformed: Array<[string, string]> = [
    ['an empty array', '[]'],
    ['an array holding the claims', `[${text}]`],
    ['an array of claim pairs', JSON.stringify(Object.entries(claims))],
    ['a JSON string', '"admin"'],
    ['a JSON string holding the claims', JSON.stringify(text)],
    ['null', 'null'],
    ['a number', '123'],
    ['true', 'true'],
    ['false', 'false'],
    ['an empty payload', ''],
    ['whitespace only', ' \n '],
    ['the claims after a byte-order mark', `\uFEFF${text}`],
    ['the claims followed by garbage', `${text} x`],
    ['two objects', `${text}${text}`],
    ['single-quoted keys', text.replace(/"/g, "'")],
    ['a trailing comma', `${text.slice(0, -1)},}`],
    ['a NUL byte', `${text.slice(0, -1)},"a":"\u0000}`],
  ]
  const rows: AttackRow[] = malformed.map(([name, payload]) => ({
    name: `payload is ${name}`,
    token: hs(HS256, payload),
    code: 'ERR_TOKEN_MALFORMED',
  }))
  rows.push(
    { name: 'payload is {} (no claims)', token: hs(HS256, {}), code: 'ERR_CLAIM_INVALID' },
    {
      name: 'payload has no exp',
      token: hs(HS256, { ...claims, exp: undefined }),
      code: 'ERR_CLAIM_INVALID',
    },
  )
  runAttackTable(rows)
})

describe('bytes that are not UTF-8', () => {
  // Decoded with U+FFFD in their place (what JSON.parse then reads): the signature covers the bytes,
  // so only the key holder can produce them, and the claims checked are the ones returned.
  const bytes = Buffer.concat([
    Buffer.from(text.slice(0, -1)),
    Buffer.from(',"x":"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ])
  runAcceptedTable([
    {
      name: 'a signed payload with invalid UTF-8 in a value',
      token: hs(HS256, bytes),
      claims: { x: '\uFFFD\uFFFD' },
    },
  ])
  runAttackTable([
    {
      name: 'invalid UTF-8 in place of a quote',
      token: hs(HS256, Buffer.concat([Buffer.from('{'), Buffer.from([0xff]), Buffer.from('exp":1}')])),
      code: 'ERR_TOKEN_MALFORMED',
    },
  ])
})
