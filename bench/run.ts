/**
 * `npm run bench`: the micro benchmarks (sign and verify per algorithm, ours against every peer
 * and the node:crypto floor) and the HTTP benchmarks (per framework, open vs protected route,
 * ours against the ecosystem's middleware) in one run. Prints one table with the machine's
 * description and writes the full results to bench/results/<timestamp>.json and latest.json.
 *
 * Options (argv or env):
 *   --quick | BENCH_QUICK=1             short smoke run (fewer, shorter samples)
 *   --only micro|http | BENCH_ONLY      run one part only
 *   --frameworks a,b | BENCH_FRAMEWORKS HTTP frameworks to run (fastify, express, hono, nest-express, nest-fastify)
 *   --loader inproc|child | BENCH_LOADER where autocannon runs (default: inproc, see README)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { CEILING, FLOOR, isOurs } from './lib/fixtures.js'
import { describeMachine, loadAverage, type MachineInfo } from './lib/machine.js'
import type { Summary } from './lib/stats.js'
import { formatRate, formatRatio, renderTable, verdict } from './lib/table.js'

const HTTP_TARGET = 0.9
/** Protected/open when every request carries a token never seen before (issue #8). */
const FRESH_TARGET = 0.8

interface RunOptions {
  quick: boolean
  micro: boolean
  http: boolean
  frameworks: Set<string> | undefined
  loader: 'inproc' | 'child'
}

function readOptions(): RunOptions {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      frameworks: { type: 'string' },
      loader: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(
      'usage: npm run bench -- [--quick] [--only micro|http] [--frameworks fastify,express,hono,nest-express,nest-fastify] [--loader inproc|child]',
    )
    process.exit(0)
  }
  const env = process.env
  const only = values.only ?? env.BENCH_ONLY
  if (only !== undefined && only !== 'micro' && only !== 'http') {
    throw new Error(`--only must be "micro" or "http", not "${only}"`)
  }
  const loader = values.loader ?? env.BENCH_LOADER ?? 'inproc'
  if (loader !== 'inproc' && loader !== 'child') throw new Error('--loader must be "inproc" or "child"')
  const frameworkList = values.frameworks ?? env.BENCH_FRAMEWORKS
  const frameworks =
    frameworkList === undefined ? undefined : new Set(frameworkList.split(',').map((name) => name.trim()))
  for (const name of frameworks ?? []) {
    if (!['fastify', 'express', 'hono', 'nest-express', 'nest-fastify'].includes(name))
      throw new Error(`unknown framework "${name}"`)
  }
  return {
    quick: values.quick || env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true',
    micro: only !== 'http',
    http: only !== 'micro',
    frameworks,
    loader,
  }
}

const log = (line: string) => process.stderr.write(`${line}\n`)

const range = (summary: Summary, format: (value: number) => string) =>
  `${format(summary.min)}–${format(summary.max)}`

function machineBlock(machine: MachineInfo, endLoad: [number, number, number], options: RunOptions): string {
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name}@${version ?? '?'}`)
    .join(' ')
  return [
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
    `Node ${machine.node} (V8 ${machine.v8}), jwtguard @ ${machine.commit ?? '?'}${machine.dirty ? ' (+ uncommitted changes)' : ''}`,
    `Load average (1/5/15 min): ${machine.loadAverage.join(' / ')} at start, ${endLoad.join(' / ')} at end`,
    `Mode: ${options.quick ? 'QUICK (smoke run, not for reporting)' : 'full'}, HTTP load generator: ${options.loader}`,
    `Peers: ${packages}`,
  ].join('\n')
}

async function main(): Promise<void> {
  const options = readOptions()
  const machine = describeMachine()
  const startedAt = new Date()
  log(`bench: ${options.quick ? 'quick' : 'full'} run, load average ${machine.loadAverage.join(' ')}`)
  const sections: string[] = []
  const targets: string[][] = []
  const json: Record<string, unknown> = { startedAt: startedAt.toISOString(), quick: options.quick, machine }

  if (options.micro) {
    const { microOptions, runMicro } = await import('./micro/suite.js')
    const parameters = microOptions(options.quick, log)
    const groups = await runMicro(parameters)
    const { log: _log, ...recorded } = parameters
    json.micro = { options: recorded, groups }
    const rows: string[][] = []
    for (const group of groups) {
      const ours = group.cases.find((item) => item.id === 'ours')?.opsPerSec.median ?? Number.NaN
      for (const item of group.cases) {
        rows.push([
          group.id,
          item.label,
          formatRate(item.opsPerSec.median),
          range(item.opsPerSec, formatRate),
          formatRate(item.opsPerCpuSec.median),
          item.id === 'ours' ? '' : formatRatio(ours / item.opsPerSec.median),
        ])
      }
    }
    sections.push(
      `Micro benchmarks: ops/s, median of ${parameters.rounds} interleaved samples of ${parameters.sampleMs} ms ` +
        '(per cpu-s: ops per CPU second of the process, less moved by other load)\n' +
        renderTable(
          ['group', 'case', 'median', 'min–max', 'per cpu-s', 'ours/this'],
          rows,
          new Set([2, 3, 4, 5]),
        ),
    )
    const ratioRows: string[][] = []
    for (const group of groups) {
      for (const ratio of group.ratios) {
        const row = [
          group.id,
          `${ratio.numerator} / ${ratio.denominator}`,
          formatRatio(ratio.ratio.median),
          range(ratio.ratio, formatRatio),
          formatRatio(ratio.cpuRatio.median),
          range(ratio.cpuRatio, formatRatio),
          verdict(ratio.cpuRatio.median, ratio.target),
        ]
        ratioRows.push(row)
        if (ratio.target !== undefined) targets.push([row[0], row[1], row[4], row[5], row[6]] as string[])
      }
    }
    sections.push(
      "Micro ratios, paired: each round's two samples divided, then the median over rounds; by wall-clock " +
        'ops/s and by ops per CPU second (the verdict uses the latter, which other load on the machine moves least)\n' +
        renderTable(
          ['group', 'ratio', 'wall', 'min–max', 'cpu', 'min–max', 'target'],
          ratioRows,
          new Set([2, 3, 4, 5]),
        ),
    )
  }

  if (options.micro) {
    log('bench: asymmetric verify (RS256, ES256, EdDSA)')
    const { runAsymmetric } = await import('./micro/asymmetric.js')
    sections.push(await runAsymmetric(options.quick))
  }

  if (options.http) {
    const { httpOptions, ROUTES, runHttp } = await import('./http/suite.js')
    const parameters = httpOptions(options.quick, options.loader, log)
    const result = await runHttp(parameters, options.frameworks)
    json.http = result
    const rows = result.variants.map((variant) => {
      if (variant.status !== 'measured' || !variant.open || !variant.protected || !variant.ratio) {
        return [variant.framework, variant.middleware, variant.status, ...Array<string>(11).fill('')]
      }
      const row = [
        variant.framework,
        variant.middleware,
        formatRate(variant.open.median),
        range(variant.open, formatRate),
        formatRate(variant.protected.median),
        range(variant.protected, formatRate),
        formatRatio(variant.ratio.median),
        range(variant.ratio, formatRatio),
        formatRate(variant.fresh?.median ?? Number.NaN),
        formatRatio(variant.freshRatio?.median ?? Number.NaN),
        variant.freshRatio === undefined ? '' : range(variant.freshRatio, formatRatio),
        `${variant.serverCpu?.open.toFixed(2) ?? '?'} / ${variant.serverCpu?.protected.toFixed(2) ?? '?'}`,
        ROUTES.map((route) => variant.cpuUsPerRequest?.[route].toFixed(1) ?? '?').join(' / '),
        `${formatRatio(variant.cpuRatio?.median ?? Number.NaN)} / ${formatRatio(variant.freshCpuRatio?.median ?? Number.NaN)}`,
      ]
      const role = (target: number, median: number) =>
        isOurs(variant.middleware)
          ? verdict(median, target)
          : variant.middleware === FLOOR
            ? '(floor: the best without a token cache)'
            : variant.middleware === CEILING
              ? '(ceiling: the framework alone, nothing verified)'
              : '(peer, for reference)'
      targets.push([
        'HTTP',
        `${variant.id} protected/open req/s`,
        formatRatio(variant.ratio.median),
        range(variant.ratio, formatRatio),
        `${role(HTTP_TARGET, variant.ratio.median)}; by cpu ${formatRatio(variant.cpuRatio?.median ?? Number.NaN)}`,
      ])
      if (variant.freshRatio !== undefined) {
        targets.push([
          'HTTP',
          `${variant.id} new token each request/open req/s`,
          formatRatio(variant.freshRatio.median),
          range(variant.freshRatio, formatRatio),
          `${role(FRESH_TARGET, variant.freshRatio.median)}; by cpu ${formatRatio(variant.freshCpuRatio?.median ?? Number.NaN)}`,
        ])
      }
      return row
    })
    sections.push(
      `HTTP: req/s with autocannon (${parameters.connections} connections, ${parameters.durationS} s per run, ` +
        `${parameters.rounds} interleaved round(s)); server in its own process, loopback; ` +
        'new token = the protected route with a token never sent before on every request (signed before the run); ' +
        'server cpu = share of a core the server used, cpu us/req = server CPU time per request ' +
        '(open / protected / new token; unlike req/s, barely moved by other load on the machine), ' +
        'cpu ratio = open/protected and open/new-token of cpu us/req (the req/s ratios a saturated server would reach)\n' +
        renderTable(
          [
            'framework',
            'middleware',
            'open',
            'min–max',
            'protected',
            'min–max',
            'prot/open',
            'min–max',
            'new token',
            'new/open',
            'min–max',
            'server cpu',
            'cpu us/req',
            'cpu ratio',
          ],
          rows,
          new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
        ),
    )
  }

  if (targets.length > 0) {
    sections.push(
      'Targets\n' +
        renderTable(['part', 'measure', 'median', 'min–max', 'verdict'], targets, new Set([2, 3])),
    )
  }
  const endLoad = loadAverage()
  json.finishedAt = new Date().toISOString()
  json.loadAverageAtEnd = endLoad
  const output = [machineBlock(machine, endLoad, options), ...sections].join('\n\n')
  console.log(`\n${output}\n`)

  const directory = new URL('./results/', import.meta.url)
  mkdirSync(directory, { recursive: true })
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const text = `${JSON.stringify({ ...json, table: output }, null, 2)}\n`
  writeFileSync(new URL(`bench-${stamp}${options.quick ? '-quick' : ''}.json`, directory), text)
  writeFileSync(new URL('latest.json', directory), text)
  log(
    `bench: results written to bench/results/bench-${stamp}${options.quick ? '-quick' : ''}.json and latest.json`,
  )
}

await main()
