/**
 * Non-canonical base64url. Every byte string has exactly one accepted encoding: the URL-safe
 * alphabet, no padding, and zero unused bits in the last character. Otherwise one token has many
 * spellings, and anything keyed on the token's text (revocation by hash, a cache, a replay list)
 * can be walked around with a spelling of a token it has already seen.
 */
import { describe, expect, it } from 'vitest'
import { API, type AttackRow, b64url, codeOf, HS256, hs, runAttackTable, seedClaims } from './support.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** The same bytes, spelled with the unused low bits of the last character set. */
function withDirtyTail(segment: string): string {
  const unused = segment.length % 4 === 2 ? 0x0f : segment.length % 4 === 3 ? 0x03 : 0
  if (unused === 0) throw new Error(`segment of length ${segment.length} has no unused bits`)
  const last = ALPHABET.indexOf(segment.at(-1) as string)
  return segment.slice(0, -1) + (ALPHABET[last | 1] as string)
}
/**
 * A payload whose segment length leaves unused bits (length % 4 of 2 or 3), and whose signature
 * holds a "-" or "_" (so that its standard-base64 spelling differs).
 */
function claimsWithTail(): Record<string, unknown> {
  for (let pad = 0; ; pad++) {
    const claims = seedClaims({ pad: 'x'.repeat(pad) })
    if (b64url(claims).length % 4 >= 2 && /[-_]/.test(hs(HS256, claims).split('.')[2] as string))
      return claims
  }
}

const claims = claimsWithTail()
const valid = hs(HS256, claims)
const [header, payload, signature] = valid.split('.') as [string, string, string]
const otherHeader = b64url({ typ: 'JWT', alg: 'HS256', x: 1 }) // not ours: takes the full parse
const headerWithTail = (() => {
  for (let pad = 0; ; pad++) {
    const value = { alg: 'HS256', typ: 'JWT', p: 'y'.repeat(pad) }
    if (b64url(value).length % 4 >= 2) return value
  }
})()
const signedWithHeader = hs(headerWithTail, claims)
const [tailHeader, , tailSignature] = signedWithHeader.split('.') as [string, string, string]

describe('GHSA-3fvg-4v2m-98jf (jsrsasign): signatures with characters outside base64url verified', () => {
  // @see https://github.com/advisories/GHSA-3fvg-4v2m-98jf
  it('control: the canonical spellings verify', () => {
    expect(API.verify(valid)).toEqual(claims)
    expect(API.verify(signedWithHeader)).toEqual(claims)
  })
  it('the dirty spellings below decode to exactly the bytes of the valid token', () => {
    expect(Buffer.from(withDirtyTail(signature), 'base64url')).toEqual(Buffer.from(signature, 'base64url'))
    expect(Buffer.from(withDirtyTail(payload), 'base64url')).toEqual(Buffer.from(payload, 'base64url'))
  })

  const rows: AttackRow[] = [
    {
      name: 'signature with unused bits set (same bytes)',
      token: `${header}.${payload}.${withDirtyTail(signature)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'payload with unused bits set (same bytes)',
      token: `${header}.${withDirtyTail(payload)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'header with unused bits set (same bytes)',
      token: `${withDirtyTail(tailHeader)}.${payload}.${tailSignature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'signature padded with "="', token: `${valid}=`, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'payload padded with "="',
      token: `${header}.${payload}${'='.repeat((4 - (payload.length % 4)) % 4)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'header padded with "=="',
      token: `${header}==.${payload}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'signature in standard base64 (+ and /)',
      token: `${header}.${payload}.${Buffer.from(signature, 'base64url').toString('base64').replace(/=+$/, '')}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a "+" in the payload',
      token: `${header}.${payload.slice(0, 4)}+${payload.slice(5)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a "/" in the signature',
      token: `${header}.${payload}.${signature.slice(0, 4)}/${signature.slice(5)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a percent-encoded character',
      token: `${header}.${payload}.${signature.slice(0, 4)}%2D${signature.slice(5)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'a signature of length 4n+1', token: `${valid}AA`, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'a payload of length 4n+1',
      token: `${header}.${payload.length % 4 === 0 ? `${payload}A` : payload.slice(0, payload.length - (payload.length % 4) + 1)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'an empty header', token: `.${payload}.${signature}`, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'a header that is not ours, with a "*"',
      token: `${otherHeader}*.${payload}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a "." inside the signature (four segments)',
      token: `${header}.${payload}.${signature.slice(0, 10)}.${signature.slice(10)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a newline inside the payload',
      token: `${header}.${payload.slice(0, 8)}\n${payload.slice(8)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a space inside the signature',
      token: `${header}.${payload}.${signature.slice(0, 8)} ${signature.slice(8)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a NUL inside the header',
      token: `${header}\u0000.${payload}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'a non-ASCII letter in the signature',
      token: `${header}.${payload}.${signature.slice(0, 8)}é${signature.slice(9)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'fullwidth letters in the payload',
      token: `${header}.Ｅ${payload.slice(1)}.${signature}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
  ]
  runAttackTable(rows)

  it('every dirty spelling is refused before the signature is checked', () => {
    for (const row of rows) expect(codeOf(() => API.verify(row.token))).not.toBe('OK')
  })
})
