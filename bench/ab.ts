/**
 * `npm run bench:ab -- --baseline <git ref>`: the guard's hot path at two commits, side by side in
 * one process, so a refactoring can show it costs nothing. The baseline is checked out into a
 * temporary git worktree; both source trees are imported (tsx), and each case runs on both,
 * interleaved round by round (the same method as the micro benchmarks: calibrated batches,
 * warm-up, paired ratios per round).
 *
 * Cases: `signToken` (HS256, the access token's header), `guard.verify`, and a protected route's
 * `resolve` (token in the header, revocation against a memory store's local view, a synchronous
 * `identity`), plain and with a role requirement.
 *
 * Options: --baseline <ref> (required), --quick (3 rounds of 100 ms; not for reporting).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { describeMachine, loadAverage } from './lib/machine.js'
import { pairedRatio, summarize } from './lib/stats.js'
import { formatRate, formatRatio, renderTable } from './lib/table.js'
import { sinkSize, Timer } from './micro/timing.js'

const ROOT = resolve(import.meta.dirname, '..')
const SECRET = 'ab-benchmark-secret-of-at-least-32-bytes-for-hs256!!'
const NOW = 1_700_000_000

interface Case {
  id: string
  run: () => unknown
}

/** Builds the cases over one source tree (its `src/index.ts` and memory store). */
async function casesOf(sourceRoot: string): Promise<Case[]> {
  const lib = await import(pathToFileURL(join(sourceRoot, 'src/index.ts')).href)
  const { createMemoryStore } = await import(pathToFileURL(join(sourceRoot, 'src/stores/memory.ts')).href)
  const guard = lib.createJwtGuard({
    secret: SECRET,
    authenticate: () => null,
    identity: (payload: { identity: number }) => ({ id: payload.identity }),
    store: createMemoryStore(),
    refreshSecret: `${SECRET}-refresh`,
    now: () => NOW,
  })
  const key = lib.createHmacKey(SECRET, { alg: 'HS256' })
  const payload = { exp: NOW + 300, iat: NOW, nbf: NOW, identity: 123, jti: 'b3f1c0de', roles: ['admin'] }
  const token: string = lib.signToken(payload, key)
  const headers = { authorization: `JWT ${token}` }
  const plain = guard.protect()
  const admin = guard.protect({ roles: ['admin'] })
  // A refused or asynchronous answer would time the wrong path: check before timing.
  for (const route of [plain, admin]) {
    const result = route.resolve(headers, undefined, { method: 'GET' })
    if (result instanceof Promise || result?.identity?.id !== 123)
      throw new Error(`${sourceRoot}: protect is not sync`)
  }
  return [
    { id: 'sign', run: () => lib.signToken(payload, key) },
    { id: 'verify', run: () => guard.verify(token) },
    { id: 'protect', run: () => plain.resolve(headers, undefined, { method: 'GET' }) },
    { id: 'protect+roles', run: () => admin.resolve(headers, undefined, { method: 'GET' }) },
  ]
}

function checkout(ref: string): { dir: string; remove: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'jwtguard-ab-'))
  const dir = join(parent, 'baseline')
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: ROOT, stdio: 'ignore' })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  return {
    dir,
    remove: () => {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' })
      rmSync(parent, { recursive: true, force: true })
    },
  }
}

async function main() {
  const { values } = parseArgs({
    options: { baseline: { type: 'string' }, quick: { type: 'boolean', default: false } },
  })
  if (values.baseline === undefined) throw new Error('--baseline <git ref> is required')
  const rounds = values.quick ? 3 : 9
  const sampleMs = values.quick ? 100 : 300
  const baseline = checkout(values.baseline)
  try {
    const machine = describeMachine()
    const before = loadAverage()
    const sides = { baseline: await casesOf(baseline.dir), head: await casesOf(ROOT) }
    const rows: string[][] = []
    for (let index = 0; index < sides.head.length; index++) {
      const pair = [sides.baseline[index], sides.head[index]] as Case[]
      const timers = pair.map((item) => new Timer(item.run, { async: false, batchMs: 5 }))
      for (const timer of timers) {
        await timer.calibrate()
        await timer.sample(values.quick ? 200 : 1000)
        await timer.calibrate()
      }
      const wall: number[][] = [[], []]
      const cpu: number[][] = [[], []]
      for (let round = 0; round < rounds; round++) {
        for (let offset = 0; offset < 2; offset++) {
          const side = (round + offset) % 2
          const sample = await (timers[side] as Timer).sample(sampleMs)
          wall[side]?.push(sample.perSecond)
          cpu[side]?.push(sample.perCpuSecond)
        }
      }
      const [oldWall, newWall] = wall as [number[], number[]]
      const [oldCpu, newCpu] = cpu as [number[], number[]]
      rows.push([
        pair[1]?.id ?? '',
        formatRate(summarize(oldWall).median),
        formatRate(summarize(newWall).median),
        formatRatio(pairedRatio(newWall, oldWall).median),
        formatRatio(pairedRatio(newCpu, oldCpu).median),
      ])
    }
    sinkSize()
    console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, node ${process.version}`)
    console.log(`baseline: ${values.baseline}; head: working tree; load ${before} → ${loadAverage()}`)
    console.log(
      renderTable(
        ['case', 'baseline ops/s', 'head ops/s', 'head/baseline', 'per cpu-s'],
        rows,
        new Set([1, 2, 3, 4]),
      ),
    )
  } finally {
    baseline.remove()
  }
}

await main()
