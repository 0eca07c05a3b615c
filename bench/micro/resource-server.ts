/**
 * Resource-server verify per request: an RFC 9068 access token (`typ: at+jwt`, `iss`, `aud`, `sub`,
 * `client_id`, `scope`, no `nbf`) checked against an issuer's remote JWKS, already cached, by
 *   - jwtguard: `guard.authenticateRequest({ authorization: 'Bearer …' })`, a guard with
 *     `profile: 'rfc9068'` and `requireAccessTokenType: true` (header parsing, the key by `kid`, the
 *     algorithm pinned by the key, the signature, the claims, the profile's claim types, the
 *     identity; no verified-token cache);
 *   - jose: `jwtVerify(token, createRemoteJWKSet(url), { issuer, audience, algorithms, typ })` on
 *     the token sliced out of the same header (its key set fetched once, then cached);
 *   - jwtguard several issuers: the same guard over two key sets (the token's `iss` picks one).
 * Both fetch the JWKS from a real endpoint on 127.0.0.1 before timing. Not a test (no timing
 * asserts): run it with
 *
 *   npx tsx --conditions=jwtguard-source bench/micro/resource-server.ts [--quick]
 *
 * Rates are per CPU second of this process, samples interleaved (order alternating by round), the
 * median reported, with the ratio to jose taken round by round (bench/lib/stats.ts).
 */
import { cpuUsage, hrtime } from 'node:process'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import {
  type AsymmetricAlgorithm,
  createJwtGuard,
  createRemoteJwks,
  generateAsymmetricKey,
  signToken,
  toJwks,
} from 'jwtguard'
import { startJwksServer } from '../../test/keys/jwks-server.js'
import { loadAverage } from '../lib/machine.js'
import { median, pairedRatio } from '../lib/stats.js'

const ISSUER = 'https://idp.bench.test'
const OTHER_ISSUER = 'https://other-idp.bench.test'
const AUDIENCE = 'https://orders.api.bench.test'
const quick = process.argv.includes('--quick')
const SAMPLES = quick ? 3 : 9
const SAMPLE_MS = quick ? 150 : 400

let sink: unknown

/** Awaited operations per CPU second of this process. */
async function sample(fn: () => Promise<unknown>, ms: number): Promise<number> {
  const deadline = hrtime.bigint() + BigInt(ms * 1e6)
  const start = cpuUsage()
  let ops = 0
  while (hrtime.bigint() < deadline) {
    for (let i = 0; i < 50; i++) sink = await fn()
    ops += 50
  }
  const cpu = cpuUsage(start)
  return ops / ((cpu.user + cpu.system) / 1e6)
}

interface Case {
  name: string
  run: () => Promise<unknown>
}

async function casesFor(alg: AsymmetricAlgorithm) {
  const key = generateAsymmetricKey(alg, { kid: `${alg}-1` })
  const other = generateAsymmetricKey(alg, { kid: `${alg}-other` })
  const jwks = await startJwksServer(toJwks([key]))
  const otherJwks = await startJwksServer(toJwks([other]))
  const now = Math.floor(Date.now() / 1000)
  const token = signToken(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-42',
      client_id: 'orders-client',
      scope: 'orders:read',
      jti: 'j-1',
      iat: now,
      exp: now + 3600,
    },
    key,
    'at+jwt',
  )
  const header = `Bearer ${token}`
  const remote = (url: string, issuer: string) =>
    createRemoteJwks({ url, issuer, audience: AUDIENCE, algorithms: [alg] })
  const one = remote(jwks.url, ISSUER)
  const guard = createJwtGuard({
    jwks: one,
    profile: 'rfc9068',
    requireAccessTokenType: true,
    headerPrefix: 'Bearer',
  })
  const tenants = [remote(otherJwks.url, OTHER_ISSUER), remote(jwks.url, ISSUER)]
  const multi = createJwtGuard({
    jwks: tenants,
    profile: 'rfc9068',
    requireAccessTokenType: true,
    headerPrefix: 'Bearer',
  })
  await Promise.all([one.ready(), ...tenants.map((set) => set.ready())])
  const joseKeys = createRemoteJWKSet(new URL(jwks.url))
  const joseOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [alg],
    typ: 'at+jwt',
    requiredClaims: ['sub'],
  }
  const cases: Case[] = [
    {
      name: 'jose jwtVerify (remote JWKS cached)',
      run: () => jwtVerify(header.slice(7), joseKeys, joseOptions),
    },
    { name: 'jwtguard resource server', run: () => guard.authenticateRequest({ authorization: header }) },
    { name: 'jwtguard, two issuers', run: () => multi.authenticateRequest({ authorization: header }) },
  ]
  for (const c of cases) {
    const result = (await c.run()) as { payload?: { sub?: string }; identity?: { sub?: string } }
    if ((result.payload?.sub ?? result.identity?.sub) !== 'user-42')
      throw new Error(`${alg} ${c.name}: not verified`)
  }
  return { cases, close: async () => Promise.all([jwks.close(), otherJwks.close()]) }
}

const before = loadAverage()
const lines: string[] = [
  `Resource-server verify per request (RFC 9068 token, remote JWKS cached): ops per CPU second, median of ${SAMPLES} interleaved samples of ${SAMPLE_MS} ms`,
  `node ${process.version}, load average before ${before.map((value) => value.toFixed(2)).join(' ')}`,
]
for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
  const { cases, close } = await casesFor(alg)
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (const c of cases) await sample(c.run, 100) // warm-up
  for (let round = 0; round < SAMPLES; round++) {
    for (const c of round % 2 === 0 ? cases : [...cases].reverse())
      samples.get(c.name)?.push(await sample(c.run, SAMPLE_MS))
  }
  await close()
  const jose = samples.get(cases[0]?.name ?? '') ?? []
  lines.push(alg)
  for (const c of cases) {
    const rates = samples.get(c.name) ?? []
    const ratio = pairedRatio(rates, jose)
    lines.push(
      `  ${c.name.padEnd(38)} ${Math.round(median(rates)).toString().padStart(8)} ops/cpu-s  ${ratio.median.toFixed(2)}x jose (${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)})`,
    )
  }
}
lines.push(
  `load average after ${loadAverage()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
)
void sink
console.log(lines.join('\n'))
