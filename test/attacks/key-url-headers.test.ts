/**
 * `jku`, `x5u`, `jwk` and `x5c`: header parameters that name or carry a key. Following them lets
 * the token choose the key that verifies it. They are never followed: a local HTTP server plays
 * the attacker's key host and must receive nothing, and an embedded key is never used.
 */
import { generateKeyPairSync, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createAsymmetricKey,
  createJwtGuard,
  createRemoteJwks,
  createRemoteVerifier,
  createVerifier,
  jwkThumbprint,
} from 'jwtguard'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type AttackRow,
  asyncCodeOf,
  b64url,
  HS256,
  hs,
  runAttackTable,
  seedClaims,
  seedIdentity,
  T0,
} from './support.js'

/** The attacker's key host: counts every request it receives, on loopback only. */
const hits: string[] = []
const trap: Server = createServer((request, response) => {
  hits.push(request.url ?? '')
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerJwk] }))
})
await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
const TRAP = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`
afterAll(
  () =>
    new Promise<void>((resolve) => {
      trap.close(() => resolve())
      trap.closeAllConnections()
    }),
)

const server = generateKeyPairSync('rsa', { modulusLength: 2048 })
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig' }
const ATTACKER_KID = jwkThumbprint(attacker.publicKey)
const CERT_PEM = readFileSync(new URL('../keys/fixtures/rsa-cert.pem', import.meta.url), 'utf8')
const CERT_DER_B64 = CERT_PEM.split('\n')
  .filter((line) => line !== '' && !line.startsWith('-----'))
  .join('')

const serverKey = createAsymmetricKey(server.publicKey, { alg: 'RS256', kid: null })
const verifyRs = createVerifier({ keys: [serverKey], now: () => T0 })
const payload = seedClaims()

/** An RS256 token signed by the attacker's private key, with `extra` header members. */
function attackerSigned(extra: Record<string, unknown>): string {
  const input = `${b64url({ alg: 'RS256', typ: 'JWT', ...extra })}.${b64url(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), attacker.privateKey).toString('base64url')}`
}

const POINTERS: Array<[string, Record<string, unknown>]> = [
  ['jku', { jku: `${TRAP}/jwks.json` }],
  ['x5u', { x5u: `${TRAP}/cert.pem` }],
  ['jwk (embedded public key)', { jwk: attackerJwk }],
  ['x5c (embedded certificate chain)', { x5c: [CERT_DER_B64] }],
  ['x5t and x5t#S256', { x5t: 'AAAA', 'x5t#S256': 'AAAA' }],
  ['all of them', { jku: `${TRAP}/a`, x5u: `${TRAP}/b`, jwk: attackerJwk, x5c: [CERT_DER_B64] }],
]

describe('CVE-2018-0114 (node-jose < 0.11.0): an embedded "jwk" header trusted as the verification key', () => {
  // @see https://nvd.nist.gov/vuln/detail/CVE-2018-0114
  const rows: AttackRow[] = POINTERS.flatMap(([name, extra]): AttackRow[] => [
    {
      name: `RS256 by the attacker's key, ${name}`,
      token: attackerSigned(extra),
      code: 'ERR_SIGNATURE_INVALID',
    },
    {
      name: `RS256 by the attacker's key, ${name}, kid = its thumbprint`,
      token: attackerSigned({ ...extra, kid: ATTACKER_KID }),
      code: 'ERR_KEY_NOT_FOUND',
    },
  ])
  runAttackTable(rows, {
    verify: verifyRs,
    makeGuard: (context) =>
      createJwtGuard({ key: serverKey, authenticate: () => null, identity: seedIdentity(context) }),
  })

  describe('on the HS256 reference server', () => {
    runAttackTable(
      POINTERS.flatMap(([name, extra]): AttackRow[] => [
        {
          name: `HS256 with a wrong secret, ${name}`,
          token: hs({ ...HS256, ...extra }, payload, 'attacker-secret-of-32-bytes-or-more!'),
          code: 'ERR_SIGNATURE_INVALID',
        },
        {
          name: `RS256 by the attacker's key, ${name}`,
          token: attackerSigned(extra),
          code: 'ERR_ALG_NOT_ALLOWED',
        },
      ]),
    )
  })

  it('a remote JWKS fetches its configured URL only, whatever the token points at', async () => {
    const fetched: string[] = []
    const jwks = createRemoteJwks({
      url: 'https://issuer.test/jwks.json',
      issuer: 'https://issuer.test',
      audience: 'api',
      now: () => T0 * 1000,
      cooldownMs: 0,
      fetch: async (url) => {
        fetched.push(url)
        return new Response(
          JSON.stringify({ keys: [{ ...server.publicKey.export({ format: 'jwk' }), kid: 's1' }] }),
        )
      },
    })
    const verify = createRemoteVerifier({ jwks, now: () => T0 })
    for (const [, extra] of POINTERS) {
      // An unknown kid makes the verifier refresh its set: from its own URL, never the token's.
      expect(await asyncCodeOf(verify(attackerSigned({ ...extra, kid: 'unknown' })))).toBe(
        'ERR_KEY_NOT_FOUND',
      )
      expect(await asyncCodeOf(verify(attackerSigned({ ...extra, kid: 's1' })))).toBe('ERR_SIGNATURE_INVALID')
    }
    expect(new Set(fetched)).toEqual(new Set(['https://issuer.test/jwks.json']))
  })
})

describe('the attacker key host', () => {
  it('control: it answers when asked', async () => {
    const before = hits.length
    const response = await fetch(`${TRAP}/probe`)
    expect(response.status).toBe(200)
    await response.text()
    expect(hits.length).toBe(before + 1)
    hits.pop()
  })
  it('received no request from any verification above (API or HTTP)', () => {
    expect(hits).toEqual([])
  })
})
