/**
 * Asymmetric verify throughput: ours (full verifier: size, segments, header fast path, signature,
 * payload, claims) against the raw node:crypto floor and the ecosystem, for RS256, ES256 and EdDSA.
 * Not a test (no timing asserts): run it with
 *
 *   npm run bench (its "Asymmetric verify" section), or alone:
 *   npx tsx --conditions=jwtguard-source bench/micro/asymmetric.ts [--quick]
 *
 * Two floors: `crypto.verify` alone on precomputed buffers (the signature math, nothing else), and
 * the least a correct verifier must do (algorithm pinned on the header, signature, payload parsed,
 * `exp` checked), as bench/micro/floor.ts defines it for HS*. Rates are per CPU second of this
 * process (so other load on the machine distorts them less), samples are interleaved across cases,
 * and the median of each is reported.
 */
import { Buffer } from 'node:buffer'
import { verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { cpuUsage, hrtime } from 'node:process'
import { createVerifier as fastJwtVerifier } from 'fast-jwt'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { type AsymmetricAlgorithm, createAsymmetricKey, createVerifier, signToken } from 'jwtguard'
import { pairFor } from '../../test/keys/helpers.js'

let SAMPLES = 9
let SAMPLE_MS = 400

type Op = () => unknown
let sink: unknown

function compile(): (fn: Op, n: number) => unknown {
  return new Function('fn', 'n', 'let r; for (let i = 0; i < n; i++) r = fn(); return r') as never
}

/** Operations per CPU second of this process (robust to other processes sharing the cores). */
async function sample(fn: Op, isAsync: boolean, ms: number): Promise<number> {
  const loop = compile()
  const deadline = hrtime.bigint() + BigInt(ms * 1e6)
  const cpuStart = cpuUsage()
  let ops = 0
  while (hrtime.bigint() < deadline) {
    if (isAsync) {
      for (let i = 0; i < 50; i++) sink = await fn()
      ops += 50
    } else {
      sink = loop(fn, 50)
      ops += 50
    }
  }
  const cpu = cpuUsage(cpuStart)
  return ops / ((cpu.user + cpu.system) / 1e6)
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

interface Case {
  name: string
  run: Op
  async?: boolean
}

function rawFloor(alg: AsymmetricAlgorithm, publicKey: KeyObject, token: string): Op {
  const second = token.lastIndexOf('.')
  const data = Buffer.from(token.slice(0, second))
  const signature = Buffer.from(token.slice(second + 1), 'base64url')
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`
  const key = alg.startsWith('ES') ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey
  return () => cryptoVerify(hash, data, key, signature)
}

function verifierFloor(alg: AsymmetricAlgorithm, publicKey: KeyObject, header: string): Op {
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`
  const key = alg.startsWith('ES') ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey
  return function floor(this: { token: string }) {
    const token = this.token
    const first = token.indexOf('.')
    const second = token.indexOf('.', first + 1)
    if (first !== header.length || !token.startsWith(header)) throw new Error('alg')
    const ok = cryptoVerify(
      hash,
      Buffer.from(token.slice(0, second)),
      key,
      Buffer.from(token.slice(second + 1), 'base64url'),
    )
    if (!ok) throw new Error('signature')
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'))
    if (typeof payload.exp !== 'number' || payload.exp <= Date.now() / 1000) throw new Error('expired')
    return payload
  }
}

/** Runs the asymmetric verify comparison and returns its report section. */
export async function runAsymmetric(quick: boolean): Promise<string> {
  SAMPLES = quick ? 3 : 9
  SAMPLE_MS = quick ? 150 : 400
  const results: Array<{ alg: string; rows: Array<[string, number]> }> = []
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const pair = pairFor(alg)
    const signing = createAsymmetricKey(pair.privateKey, { alg, kid: 'bench' })
    const now = Math.floor(Date.now() / 1000)
    const token = signToken({ identity: 42, iat: now, nbf: now, exp: now + 3600, jti: 'bench' }, signing)
    const ours = createVerifier({ keys: [createAsymmetricKey(pair.publicKey, { alg, kid: 'bench' })] })
    const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }) as string
    const fast = fastJwtVerifier({ key: pem, algorithms: [alg] })
    const floor = verifierFloor(alg, pair.publicKey, token.slice(0, token.indexOf('.'))).bind({ token })
    const cases: Case[] = [
      { name: 'node:crypto verify only (floor)', run: rawFloor(alg, pair.publicKey, token) },
      { name: 'minimal verifier (floor)', run: floor },
      { name: 'jwtguard', run: () => ours(token) },
      { name: 'fast-jwt', run: () => fast(token) },
      ...(alg === 'EdDSA'
        ? [] // jsonwebtoken has no EdDSA
        : [{ name: 'jsonwebtoken', run: () => jsonwebtoken.verify(token, pem, { algorithms: [alg] }) }]),
      { name: 'jose', run: () => jwtVerify(token, pair.publicKey, { algorithms: [alg] }), async: true },
    ]
    // Check every case does the job before timing it.
    for (const c of cases) {
      const value = await c.run()
      if (value === false || value === undefined) throw new Error(`${alg} ${c.name}: verification failed`)
    }
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
    for (const c of cases) await sample(c.run, c.async === true, 100) // warm-up
    for (let round = 0; round < SAMPLES; round++) {
      for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
        samples.get(c.name)?.push(await sample(c.run, c.async === true, SAMPLE_MS))
      }
    }
    results.push({ alg, rows: cases.map((c) => [c.name, median(samples.get(c.name) ?? [])]) })
  }
  void sink
  const lines = [
    `Asymmetric verify: ops per CPU second, median of ${SAMPLES} interleaved samples of ${SAMPLE_MS} ms; ` +
      'ratios against crypto.verify alone (raw) and against the least a correct verifier must do (minimal); target ours >= 0.95x raw',
  ]
  for (const { alg, rows } of results) {
    const raw = rows[0]?.[1] ?? 1
    const minimal = rows[1]?.[1] ?? 1
    lines.push(alg)
    for (const [name, rate] of rows) {
      lines.push(
        `  ${name.padEnd(34)} ${Math.round(rate).toString().padStart(8)} ops/cpu-s  ` +
          `${(rate / raw).toFixed(3)}x raw  ${(rate / minimal).toFixed(3)}x minimal`,
      )
    }
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await runAsymmetric(process.argv.includes('--quick')))
}
