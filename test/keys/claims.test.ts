/**
 * iss, aud and sub: types always checked (an iss list is refused even when no issuer is expected),
 * values checked against the verifier's issuer, audience and subject.
 */
import { createHmacKey, createVerifier, signToken, type VerifierOptions } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { claims, codeOf, NOW } from './helpers.js'

const key = createHmacKey('claims-test-secret-of-at-least-32-bytes')

function verdict(payloadExtra: Record<string, unknown>, options: Partial<VerifierOptions> = {}): string {
  const verify = createVerifier({ keys: [key], now: () => NOW, ...options })
  return codeOf(() => verify(signToken(claims(NOW, payloadExtra), key)))
}

describe('claim types', () => {
  it.each([
    ['iss as a list', { iss: ['https://a.example'] }],
    ['iss as a number', { iss: 1 }],
    ['iss as null', { iss: null }],
    ['iss as an object', { iss: { value: 'a' } }],
    ['sub as a number', { sub: 123 }],
    ['sub as a list', { sub: ['u1'] }],
    ['aud as a number', { aud: 5 }],
    ['aud as a list with a number', { aud: ['api', 5] }],
    ['aud as an object', { aud: { api: true } }],
  ])('refuses %s even with no expectation', (_name, extra) => {
    expect(verdict(extra)).toBe('ERR_CLAIM_INVALID')
  })

  it.each([
    ['iss as a string', { iss: 'https://a.example' }],
    ['sub as a string', { sub: 'u1' }],
    ['aud as a string', { aud: 'api' }],
    ['aud as a list of strings', { aud: ['api', 'web'] }],
    ['aud as an empty list', { aud: [] }],
  ])('accepts %s', (_name, extra) => {
    expect(verdict(extra)).toBe('OK')
  })
})

describe('issuer, audience and subject', () => {
  const cases: Array<[string, Record<string, unknown>, Partial<VerifierOptions>, string]> = [
    ['the expected issuer', { iss: 'https://a.example' }, { issuer: 'https://a.example' }, 'OK'],
    [
      'one of the expected issuers',
      { iss: 'https://b.example' },
      { issuer: ['https://a.example', 'https://b.example'] },
      'OK',
    ],
    ['another issuer', { iss: 'https://evil.example' }, { issuer: 'https://a.example' }, 'ERR_CLAIM_INVALID'],
    ['no iss when one is expected', {}, { issuer: 'https://a.example' }, 'ERR_CLAIM_INVALID'],
    [
      'an iss list containing the issuer',
      { iss: ['https://a.example'] },
      { issuer: 'https://a.example' },
      'ERR_CLAIM_INVALID',
    ],
    [
      'an iss differing in case',
      { iss: 'https://A.example' },
      { issuer: 'https://a.example' },
      'ERR_CLAIM_INVALID',
    ],
    ['the expected audience', { aud: 'api' }, { audience: 'api' }, 'OK'],
    ['an aud list containing it', { aud: ['web', 'api'] }, { audience: 'api' }, 'OK'],
    ['an aud in the accepted list', { aud: 'web' }, { audience: ['api', 'web'] }, 'OK'],
    ['another audience', { aud: 'web' }, { audience: 'api' }, 'ERR_CLAIM_INVALID'],
    ['an aud list without it', { aud: ['web', 'admin'] }, { audience: 'api' }, 'ERR_CLAIM_INVALID'],
    ['an empty aud list', { aud: [] }, { audience: 'api' }, 'ERR_CLAIM_INVALID'],
    ['no aud when one is expected', {}, { audience: 'api' }, 'ERR_CLAIM_INVALID'],
    ['the expected subject', { sub: 'u1' }, { subject: 'u1' }, 'OK'],
    ['another subject', { sub: 'u2' }, { subject: 'u1' }, 'ERR_CLAIM_INVALID'],
    ['no sub when one is expected', {}, { subject: 'u1' }, 'ERR_CLAIM_INVALID'],
    [
      'all three matching',
      { iss: 'i', aud: ['a'], sub: 's' },
      { issuer: 'i', audience: 'a', subject: 's' },
      'OK',
    ],
    ['signature checked before claims', { iss: 'other' }, { issuer: 'i' }, 'ERR_CLAIM_INVALID'],
  ]
  it.each(cases)('%s', (_name, extra, options, expected) => {
    expect(verdict(extra, options)).toBe(expected)
  })

  it('reports the claim at fault', () => {
    const verify = createVerifier({ keys: [key], now: () => NOW, audience: 'api' })
    try {
      verify(signToken(claims(NOW, { aud: 'web' }), key))
      expect.unreachable()
    } catch (error) {
      expect((error as { claim?: string }).claim).toBe('aud')
    }
  })

  it('checks the signature before iss/aud: a forged token with the right claims is a signature error', () => {
    const verify = createVerifier({ keys: [key], now: () => NOW, issuer: 'i', audience: 'a' })
    const other = createHmacKey('another-secret-of-at-least-32-bytes!!')
    expect(codeOf(() => verify(signToken(claims(NOW, { iss: 'i', aud: 'a' }), other)))).toBe(
      'ERR_SIGNATURE_INVALID',
    )
  })

  it.each([
    [{ issuer: '' }, /issuer/],
    [{ issuer: [] }, /issuer/],
    [{ issuer: ['a', 1] }, /issuer/],
    [{ audience: [''] }, /audience/],
    [{ subject: '' }, /subject/],
  ])('refuses the option %o', (options, message) => {
    expect(() => createVerifier({ keys: [key], ...(options as Partial<VerifierOptions>) })).toThrow(message)
  })
})
