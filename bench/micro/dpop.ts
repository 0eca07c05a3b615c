/**
 * DPoP proof verification per request (RFC 9449 §4.3 and §7.1), jwtguard against jose doing the
 * same checks. Not a test (no timing asserts): run it alone with
 *
 *   npx tsx --conditions=jwtguard-source bench/micro/dpop.ts [--quick]
 *
 * Every case verifies the same pool of proofs, each once (distinct `jti`, as real traffic), for a
 * `GET` of one URL with one ES256 key and one access token, and does every check: `typ`
 * `dpop+jwt`, the algorithm on an allow-list, a public `jwk`, the signature with it, `htm`, `htu`
 * normalised, `iat` within 60 s, `ath`, the key's RFC 7638 thumbprint (what `cnf.jkt` is compared
 * with) and the `jti` claimed in an in-memory replay cache.
 *
 * - jwtguard: the guard's proof verifier (`src/core/dpop`), its keys cached by header;
 * - jwtguard, a new key per proof: every proof of the pool has its own key, so no key is reused;
 * - jose: `jwtVerify(proof, EmbeddedJWK, { typ, algorithms, maxTokenAge, clockTolerance })`,
 *   `calculateJwkThumbprint`, the same claim checks and the same replay Map.
 *
 * Rates are proofs per CPU second of this process (robust to other load), sampled round-robin, the
 * median of each case reported with the load average.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto'
import { loadavg } from 'node:os'
import { cpuUsage } from 'node:process'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose'
import { accessTokenHash } from '../../src/core/dpop/claims.js'
import { normaliseHtu } from '../../src/core/dpop/htu.js'
import { DPOP_ALGORITHMS, resolveDpop } from '../../src/core/dpop/options.js'
import { createDpopVerifier } from '../../src/core/dpop/verifier.js'

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 3 : 9
const POOL = quick ? 500 : 4000
const HTU = 'https://api.example.com/api/v1/me'
const TOKEN = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${'x'.repeat(200)}.sig`
const ATH = createHash('sha256').update(TOKEN).digest('base64url')

function proofWith(privateKey: KeyObject, jwk: object): string {
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk })).toString('base64url')
  const claims = { jti: randomUUID(), htm: 'GET', htu: HTU, iat: Math.floor(Date.now() / 1000), ath: ATH }
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

function pools(): { oneKey: string[]; manyKeys: string[] } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const oneKey = Array.from({ length: POOL }, () => proofWith(privateKey, jwk))
  const manyKeys = Array.from({ length: POOL }, () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    return proofWith(pair.privateKey, pair.publicKey.export({ format: 'jwk' }))
  })
  return { oneKey, manyKeys }
}

type Verify = (proof: string) => unknown

function jwtguardCase(): Verify {
  const settings = resolveDpop({ mode: 'allowed' })
  if (settings === undefined) throw new Error('unreachable')
  const verifier = createDpopVerifier(settings, {
    store: undefined,
    now: () => Date.now() / 1000,
    leeway: 10,
  })
  const request = { method: 'GET', htus: [normaliseHtu(HTU) as string], accessToken: TOKEN }
  return (proof) => verifier.verify({ dpop: proof }, request)
}

function joseCase(): (proof: string) => Promise<unknown> {
  const seen = new Map<string, number>()
  const expected = normaliseHtu(HTU)
  // jose gets the allow-list ours has, so both refuse the same algorithms.
  const algorithms = [...DPOP_ALGORITHMS]
  return async (proof) => {
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms,
      maxTokenAge: 60,
      clockTolerance: 10,
    })
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk as never)
    if (typeof payload.jti !== 'string' || payload.htm !== 'GET') throw new Error('htm')
    if (typeof payload.htu !== 'string' || normaliseHtu(payload.htu) !== expected) throw new Error('htu')
    if (payload.ath !== accessTokenHash(TOKEN)) throw new Error('ath')
    const key = `${jkt}.${payload.jti}`
    if (seen.has(key)) throw new Error('replayed')
    seen.set(key, (payload.iat as number) + 70)
    return jkt
  }
}

/** Proofs per CPU second: the whole pool through a fresh verifier (each proof once). */
async function sample(
  make: () => Verify | ((proof: string) => Promise<unknown>),
  pool: string[],
  isAsync: boolean,
) {
  const verify = make()
  const start = cpuUsage()
  if (isAsync) for (const proof of pool) await verify(proof)
  else for (const proof of pool) verify(proof)
  const cpu = cpuUsage(start)
  return pool.length / ((cpu.user + cpu.system) / 1e6)
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

async function main(): Promise<void> {
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')
  const make = (which: 'oneKey' | 'manyKeys') => (fresh: ReturnType<typeof pools>) => fresh[which]
  const cases = [
    { name: 'jwtguard', make: jwtguardCase, pool: make('oneKey'), isAsync: false },
    { name: 'jwtguard, a new key per proof', make: jwtguardCase, pool: make('manyKeys'), isAsync: false },
    {
      name: 'jose (jwtVerify + EmbeddedJWK + thumbprint)',
      make: joseCase,
      pool: make('oneKey'),
      isAsync: true,
    },
    { name: 'jose, a new key per proof', make: joseCase, pool: make('manyKeys'), isAsync: true },
  ]
  const warm = pools()
  for (const each of cases) await sample(each.make, each.pool(warm).slice(0, 200), each.isAsync) // warm-up, checks
  const rates = new Map<string, number[]>(cases.map((each) => [each.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Proofs made for this round (untimed): their iat stays well within the 60 s window.
    const fresh = pools()
    for (let index = 0; index < cases.length; index++) {
      const each = cases[(index + round) % cases.length] as (typeof cases)[number]
      rates.get(each.name)?.push(await sample(each.make, each.pool(fresh), each.isAsync))
    }
  }
  const ours = median(rates.get('jwtguard') ?? [])
  const oursNewKey = median(rates.get('jwtguard, a new key per proof') ?? [])
  console.log(
    `DPoP proof verify, ES256, ${POOL} proofs per sample, ${ROUNDS} rounds; load average at start ${load}, at end ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  )
  console.log('| case | proofs per cpu-s (median) | jwtguard / this |')
  console.log('| --- | ---: | ---: |')
  for (const [name, values] of rates) {
    const rate = median(values)
    const mine = name.includes('new key') ? oursNewKey : ours
    console.log(`| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${(mine / rate).toFixed(2)} |`)
  }
}

await main()
