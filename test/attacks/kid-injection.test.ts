/**
 * `kid` path traversal and injection. A `kid` is only ever an exact key into an in-memory map of
 * the verifier's own keys: never a path, a query or a property name. Anything else than a known
 * string is ERR_KEY_NOT_FOUND, and a known kid selects that key only (keys are never tried in turn).
 */
import { createHmacKey, createKeyStore, createVerifier } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { type AttackRow, b64url, codeOf, HS256, hs, runAttackTable, seedClaims, T0 } from './support.js'

const SECRET_1 = 'kid-test-secret-number-one-32-bytes!!'
const SECRET_2 = 'kid-test-secret-number-two-32-bytes!!'
const store = createKeyStore({
  active: createHmacKey(SECRET_1, { kid: 'k1' }),
  verifyOnly: [createHmacKey(SECRET_2, { kid: 'k2' })],
  now: () => T0,
})
const verify = createVerifier({ keys: store, now: () => T0 })
const payload = seedClaims()

const HOSTILE_KIDS: unknown[] = [
  '../../etc/passwd',
  '../../../../../../dev/null',
  '/dev/null',
  '..\\..\\windows\\win.ini',
  'file:///etc/passwd',
  "' OR '1'='1",
  "k1' --",
  "x' UNION SELECT 'secret' --",
  '1; DROP TABLE keys',
  '{"$ne":null}',
  'k1\u0000',
  'k1\u0000../../etc/passwd',
  '%00',
  'k1%00',
  'k1 ',
  ' k1',
  'K1',
  'k1\n',
  '$(cat /etc/passwd)',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  'k'.repeat(4000),
  1,
  0,
  true,
  null,
  ['k1'],
  { kid: 'k1' },
]
const label = (kid: unknown) => {
  const text = JSON.stringify(kid) ?? String(kid)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

describe('kid path traversal and injection (RFC 8725 §3.10; no advisory against the JS libraries)', () => {
  // @see https://www.rfc-editor.org/rfc/rfc8725#section-3.10
  it('control: kid "k1" keyed with k1 verifies, kid "k2" keyed with k2 verifies', () => {
    expect(verify(hs({ ...HS256, kid: 'k1' }, payload, SECRET_1))).toEqual(payload)
    expect(verify(hs({ ...HS256, kid: 'k2' }, payload, SECRET_2))).toEqual(payload)
  })

  it.each(HOSTILE_KIDS.map((kid) => [label(kid), kid]))(
    'kid %s: ERR_KEY_NOT_FOUND whatever it was keyed with',
    (_label, kid) => {
      for (const secret of [SECRET_1, SECRET_2, '', String(kid)]) {
        expect(codeOf(() => verify(hs({ ...HS256, kid }, payload, secret)))).toBe('ERR_KEY_NOT_FOUND')
      }
    },
  )

  it('a known kid selects its key only: kid k2 keyed with k1 is ERR_SIGNATURE_INVALID', () => {
    expect(codeOf(() => verify(hs({ ...HS256, kid: 'k2' }, payload, SECRET_1)))).toBe('ERR_SIGNATURE_INVALID')
    expect(codeOf(() => verify(hs({ ...HS256, kid: 'k1' }, payload, SECRET_2)))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a "__proto__" member cannot smuggle a kid: the default key (k1) is used', () => {
    const header = '{"alg":"HS256","typ":"JWT","__proto__":{"kid":"k2"}}'
    expect(codeOf(() => verify(hs(header, payload, SECRET_2)))).toBe('ERR_SIGNATURE_INVALID')
    expect(verify(hs(header, payload, SECRET_1))).toEqual(payload)
  })

  it('a duplicated kid counts once, the last one (JSON.parse), and is then checked as any kid', () => {
    const header = '{"alg":"HS256","kid":"k1","kid":"../../etc/passwd"}'
    expect(codeOf(() => verify(hs(header, payload, SECRET_1)))).toBe('ERR_KEY_NOT_FOUND')
  })

  // The reference server's key has no kid: every kid is unknown to it.
  const rows: AttackRow[] = HOSTILE_KIDS.filter((kid) => typeof kid !== 'string' || kid.length < 100).map(
    (kid): AttackRow => ({
      name: `kid ${label(kid)} on the reference server`,
      token: hs({ ...HS256, kid }, payload),
      code: 'ERR_KEY_NOT_FOUND',
    }),
  )
  rows.push({
    name: 'kid "../../dev/null" keyed with an empty secret',
    token: `${b64url({ ...HS256, kid: '../../dev/null' })}.${b64url(payload)}.${hs(HS256, payload, '').split('.')[2]}`,
    code: 'ERR_KEY_NOT_FOUND',
  })
  runAttackTable(rows)
})

describe('retired keys (keystore rotation): a kid that was valid yesterday is unknown today', () => {
  let clock = T0
  const rotating = createKeyStore({
    active: createHmacKey(SECRET_1, { kid: 'old' }),
    maxTokenLifetime: 300,
    now: () => clock,
  })
  const verifyRotating = createVerifier({ keys: rotating, now: () => clock })
  const oldToken = hs({ ...HS256, kid: 'old' }, payload, SECRET_1)

  it('after rotation the old key verifies until it retires, then its tokens are ERR_KEY_NOT_FOUND', () => {
    expect(verifyRotating(oldToken)).toEqual(payload)
    rotating.rotate(createHmacKey(SECRET_2, { kid: 'new' }))
    expect(verifyRotating(oldToken)).toEqual(payload)
    clock = T0 + 301
    expect(codeOf(() => verifyRotating(oldToken))).toBe('ERR_KEY_NOT_FOUND')
    // Without a kid, the token goes to the active key, which is not the one that signed it.
    expect(codeOf(() => verifyRotating(hs(HS256, payload, SECRET_1)))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a retired kid reused in a forged header with the new key is still bound to its own (gone) key', () => {
    clock = T0
    const store2 = createKeyStore({
      active: createHmacKey(SECRET_1, { kid: 'a' }),
      verifyOnly: [createHmacKey(SECRET_2, { kid: 'b' })],
      now: () => clock,
    })
    const verify2 = createVerifier({ keys: store2, now: () => clock })
    expect(store2.retire('b')).toBe(true)
    expect(codeOf(() => verify2(hs({ ...HS256, kid: 'b' }, payload, SECRET_2)))).toBe('ERR_KEY_NOT_FOUND')
    expect(codeOf(() => verify2(hs({ ...HS256, kid: 'b' }, payload, SECRET_1)))).toBe('ERR_KEY_NOT_FOUND')
  })
})
