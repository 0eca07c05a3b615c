/**
 * `alg: none` and algorithm substitution. The key decides how a token is verified; the header's
 * `alg` must merely equal the key's, byte for byte. No verifier of this library can be configured
 * to accept `none`, and no key has two algorithms.
 */
import { describe } from 'vitest'
import { type AttackRow, b64url, HS256, hs, runAttackTable, seedClaims, TEST_SECRET } from './support.js'

const payload = seedClaims()
const valid = hs(HS256, payload)
const validSignature = valid.split('.')[2] as string
const unsigned = (header: unknown) => `${b64url(header)}.${b64url(payload)}.`
const withValidSignature = (header: unknown) => `${b64url(header)}.${b64url(payload)}.${validSignature}`

describe('CVE-2015-9235 (jsonwebtoken < 4.2.2): alg none accepted with no signature', () => {
  // @see https://auth0.com/blog/critical-vulnerabilities-in-json-web-token-libraries/
  const rows: AttackRow[] = ['none', 'None', 'NONE', 'nOnE'].flatMap((alg) => [
    {
      name: `alg "${alg}", empty signature`,
      token: unsigned({ alg, typ: 'JWT' }),
      code: 'ERR_ALG_NOT_ALLOWED',
    },
    {
      name: `alg "${alg}", the HS256 signature kept`,
      token: withValidSignature({ alg, typ: 'JWT' }),
      code: 'ERR_ALG_NOT_ALLOWED',
    },
  ])
  runAttackTable(rows)
})

describe('CVE-2022-23540 / GHSA-qwph-4952-7xr6 (jsonwebtoken <= 8.5.1): none by default when no algorithm is listed', () => {
  // @see https://github.com/advisories/GHSA-qwph-4952-7xr6
  // A guard is built without any algorithm list; the key still pins HS256.
  runAttackTable([
    { name: 'alg none without typ', token: unsigned({ alg: 'none' }), code: 'ERR_ALG_NOT_ALLOWED' },
    { name: 'alg none, signature "."', token: `${unsigned({ alg: 'none' })}.`, code: 'ERR_TOKEN_MALFORMED' },
  ])
})

describe('CVE-2020-15084 / GHSA-6g6m-m6h5-w9gf (express-jwt < 6.0.0): algorithm downgrade when algorithms is not set', () => {
  // @see https://github.com/advisories/GHSA-6g6m-m6h5-w9gf
  const rows: AttackRow[] = [
    ...['HS384', 'HS512'].map(
      (alg): AttackRow => ({
        name: `${alg} with the right secret`,
        token: hs({ alg, typ: 'JWT' }, payload, TEST_SECRET),
        code: 'ERR_ALG_NOT_ALLOWED',
      }),
    ),
    ...['RS256', 'ES256', 'PS256', 'EdDSA'].map(
      (alg): AttackRow => ({
        name: `${alg} header on an HS256 key`,
        token: withValidSignature({ alg, typ: 'JWT' }),
        code: 'ERR_ALG_NOT_ALLOWED',
      }),
    ),
    // Near misses of the pinned name: compared exactly, never normalised.
    ...(['hs256', 'HS256 ', ' HS256', 'HS256\u0000', 'HS-256', 'HS2560'] as const).map(
      (alg): AttackRow => ({
        name: `alg ${JSON.stringify(alg)}`,
        token: withValidSignature({ alg, typ: 'JWT' }),
        code: 'ERR_ALG_NOT_ALLOWED',
      }),
    ),
    ...([null, 256, true, ['HS256'], { name: 'HS256' }] as const).map(
      (alg): AttackRow => ({
        name: `alg of type ${Array.isArray(alg) ? 'array' : alg === null ? 'null' : typeof alg}`,
        token: withValidSignature({ alg, typ: 'JWT' }),
        code: 'ERR_ALG_NOT_ALLOWED',
      }),
    ),
    { name: 'no alg at all', token: withValidSignature({ typ: 'JWT' }), code: 'ERR_ALG_NOT_ALLOWED' },
  ]
  runAttackTable(rows)
})
