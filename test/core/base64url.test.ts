/**
 * decodeCanonicalBase64url (the verifier's length-based check) must accept exactly what the
 * reference check, isCanonicalBase64url (a regular expression plus the trailing-bits rule),
 * accepts, and decode it to the same bytes.
 */
import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCanonicalBase64url, isCanonicalBase64url } from '../../src/core/internal/base64url.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
// Mostly the alphabet, so that near-canonical strings are common; then everything Node's decoder
// might treat specially: the standard alphabet, padding, whitespace, dots, non-ASCII, NUL.
const CHAR = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ALPHABET) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '+',
      '/',
      '=',
      ' ',
      '\t',
      '\n',
      '.',
      '%',
      '\u00e9',
      '\u0100',
      '\u0000',
      '\ufeff',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
)

describe('decodeCanonicalBase64url', () => {
  it('accepts exactly the canonical segments, with the same bytes', () => {
    fc.assert(
      fc.property(
        fc.array(CHAR, { maxLength: 24 }).map((chars) => chars.join('')),
        (segment) => {
          const decoded = decodeCanonicalBase64url(segment)
          expect(decoded !== undefined).toBe(isCanonicalBase64url(segment))
          if (decoded !== undefined) expect(decoded.equals(Buffer.from(segment, 'base64url'))).toBe(true)
        },
      ),
      { numRuns: 20_000 },
    )
  })

  it('round-trips every byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = decodeCanonicalBase64url(Buffer.from(bytes).toString('base64url'))
        expect(decoded?.equals(Buffer.from(bytes))).toBe(true)
      }),
    )
  })

  it.each(['QQ', 'QQ==', 'QR', 'Q', 'QUJD+', 'QUJD/w', 'QUJ D', 'QUJ=D', 'QUJDRA', 'QUJDRA='])(
    '%j',
    (segment) => {
      expect(decodeCanonicalBase64url(segment) !== undefined).toBe(isCanonicalBase64url(segment))
    },
  )
})
