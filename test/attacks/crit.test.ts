/**
 * `crit` (RFC 7515 §4.1.11): a recipient that does not understand a listed extension MUST refuse
 * the token. No extension is understood, so any `crit` (even empty, even malformed) is refused, and
 * so is `b64: false` (RFC 7797), with or without `crit`. Signatures are valid throughout: only the
 * header decides. jose, the reference implementation, refuses the same tokens.
 */
import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  type AttackRow,
  HS256,
  hs,
  runAcceptedTable,
  runAttackTable,
  seedClaims,
  T0,
  TEST_SECRET,
} from './support.js'

const payload = seedClaims()
const rows: AttackRow[] = (
  [
    ['crit ["exp"] with an "exp" header (RFC 7515 §4.1.11 example)', { crit: ['exp'], exp: T0 + 300 }],
    ['crit ["require-mfa"]', { crit: ['require-mfa'], 'require-mfa': true }],
    ['crit ["cnf"] (token binding)', { crit: ['cnf'], cnf: { jkt: 'x' } }],
    ['crit ["b64"] with b64 false (RFC 7797)', { crit: ['b64'], b64: false }],
    ['crit ["b64"] with b64 true', { crit: ['b64'], b64: true }],
    ['crit naming a parameter that is absent', { crit: ['x-absent'] }],
    ['crit naming a registered parameter', { crit: ['alg'] }],
    ['crit with a duplicate entry', { crit: ['x', 'x'], x: 1 }],
    ['empty crit []', { crit: [] }],
    ['crit as a string', { crit: 'x', x: 1 }],
    ['crit as an object', { crit: { x: true } }],
    ['crit null', { crit: null }],
    ['crit false', { crit: false }],
    ['b64 false without crit', { b64: false }],
    ['b64 "false" as a string', { b64: 'false' }],
    ['b64 0', { b64: 0 }],
  ] as Array<[string, Record<string, unknown>]>
).map(([name, extra]) => ({ name, token: hs({ ...HS256, ...extra }, payload), code: 'ERR_CRIT_UNSUPPORTED' }))

describe('GHSA-hm7r-c7qw-ghp6 (fast-jwt), CVE-2026-32597 (PyJWT), CVE-2025-59420 (Authlib): unknown crit header extensions accepted', () => {
  // @see https://github.com/nearform/fast-jwt/security/advisories/GHSA-hm7r-c7qw-ghp6
  runAttackTable(rows)

  // jose understands b64 (RFC 7797), so it accepts `crit: ["b64"]` with b64 true: we are stricter.
  it.each(
    rows.filter((row) => !/b64 false without|b64 "false"|b64 0|crit null|crit false|b64 true/.test(row.name)),
  )('jose refuses it too: $name', async ({ token }) => {
    await expect(
      jwtVerify(token, Buffer.from(TEST_SECRET), { algorithms: ['HS256'], currentDate: new Date(T0 * 1000) }),
    ).rejects.toThrow()
  })
})

describe('b64 true is the default encoding: accepted', () => {
  runAcceptedTable([
    { name: 'b64 true without crit', token: hs({ ...HS256, b64: true }, payload), claims: { exp: T0 + 300 } },
  ])
})
