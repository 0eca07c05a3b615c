/**
 * `npm run bench:server`: the reference server itself (what `npm start` runs, compiled when
 * built), per framework, with the SQLite and the Redis token store, identity cache on and off:
 * `/health` (open) against `/api/v1/private` (protected, with a token from the server's own
 * `POST /auth`). The method of `npm run bench`'s HTTP part, with its code: autocannon through
 * its Loader, interleaved rounds (starting server rotating, route order reversing every round),
 * paired ratios, medians, server CPU time per request from /proc.
 *
 * Options (argv or env):
 *   --quick | BENCH_QUICK=1               one short round (smoke run, not for reporting)
 *   --frameworks a,b | BENCH_FRAMEWORKS   fastify,express,hono (default); nest-express, nest-fastify
 *   --stores sqlite,redis                 token stores (default both)
 *   --cache on,off                        identity cache (default both)
 *   --rounds N                            rounds of the full run (default 9)
 *   --loader inproc|child | BENCH_LOADER  where autocannon runs (default inproc)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Framework } from '../http/apps.js'
import {
  checkServer,
  httpOptions,
  Loader,
  loadSpec,
  measure,
  type RunRecord,
  type StartedServer,
} from '../http/suite.js'
import { SECRET } from '../lib/fixtures.js'
import { describeMachine, loadAverage } from '../lib/machine.js'
import { median, pairedRatio, summarize } from '../lib/stats.js'
import { formatRate, formatRatio, renderTable } from '../lib/table.js'
import { type ReferenceServer, type ServerConfiguration, startReferenceServer } from './process.js'

const FRAMEWORKS = ['fastify', 'express', 'hono', 'nest-express', 'nest-fastify']
const log = (line: string) => process.stderr.write(`${line}\n`)

function list(value: string | undefined, fallback: string[], allowed: string[], option: string): string[] {
  const items = value === undefined ? fallback : value.split(',').map((item) => item.trim())
  for (const item of items) if (!allowed.includes(item)) throw new Error(`${option}: unknown "${item}"`)
  return items
}

function readOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      frameworks: { type: 'string' },
      stores: { type: 'string' },
      cache: { type: 'string' },
      rounds: { type: 'string' },
      loader: { type: 'string' },
    },
    strict: true,
  })
  const env = process.env
  const quick = values.quick || env.BENCH_QUICK === '1'
  const loader = values.loader ?? env.BENCH_LOADER ?? 'inproc'
  if (loader !== 'inproc' && loader !== 'child') throw new Error('--loader must be "inproc" or "child"')
  const http = httpOptions(quick, loader, log)
  if (values.rounds !== undefined) http.rounds = Number(values.rounds)
  if (!Number.isInteger(http.rounds) || http.rounds < 1)
    throw new Error('--rounds must be a positive integer')
  const frameworks = list(
    values.frameworks ?? env.BENCH_FRAMEWORKS,
    FRAMEWORKS.slice(0, 3),
    FRAMEWORKS,
    '--frameworks',
  )
  const stores = list(values.stores, ['sqlite', 'redis'], ['sqlite', 'redis'], '--stores')
  const caches = list(values.cache, ['on', 'off'], ['on', 'off'], '--cache')
  const configurations: ServerConfiguration[] = frameworks.flatMap((framework) =>
    stores.flatMap((store) =>
      caches.map((cache) => ({
        framework,
        store: store as 'sqlite' | 'redis',
        identityCache: cache === 'on',
      })),
    ),
  )
  return { quick, http, configurations }
}

const label = (c: ServerConfiguration) => `${c.framework} ${c.store} cache ${c.identityCache ? 'on' : 'off'}`

/** The suite's view of a reference server, so its check and measure run unchanged. */
function asStarted(server: ReferenceServer): StartedServer {
  const id = label(server.configuration)
  const framework = server.configuration.framework as Framework
  return {
    variant: { id, framework, middleware: 'reference server', scheme: 'JWT' },
    child: server.child,
    port: server.port,
  }
}

async function main(): Promise<void> {
  const { quick, http, configurations } = readOptions()
  const machine = describeMachine()
  const startedAt = new Date()
  log(
    `bench:server: ${quick ? 'quick' : 'full'} run, ${configurations.length} servers, load ${machine.loadAverage.join(' ')}`,
  )
  const servers: ReferenceServer[] = []
  const loader = await Loader.create(http.loader)
  const runs = new Map<ReferenceServer, RunRecord[]>()
  try {
    for (const configuration of configurations) {
      const server = await startReferenceServer(configuration, SECRET)
      servers.push(server)
      await checkServer(asStarted(server), await server.login())
      runs.set(server, [])
      log(`bench:server: ${label(configuration)} on port ${server.port} (${server.runs})`)
    }
    for (const server of servers) {
      const token = await server.login()
      for (const route of ['open', 'protected'] as const) {
        await loader.run(loadSpec(asStarted(server), route, http.warmupS, token, http.connections))
      }
    }
    for (let round = 0; round < http.rounds; round++) {
      for (let offset = 0; offset < servers.length; offset++) {
        const server = servers[(round + offset) % servers.length] as ReferenceServer
        // A new token each round: they live 300 s, a full run lasts longer.
        const token = await server.login()
        const order = round % 2 === 0 ? (['open', 'protected'] as const) : (['protected', 'open'] as const)
        const recorded = runs.get(server) as RunRecord[]
        for (const route of order) {
          recorded.push(
            await measure(loader, asStarted(server), route, http.durationS, token, http.connections),
          )
        }
        const [a, b] = recorded.slice(-2)
        const open = (a?.route === 'open' ? a : b) as RunRecord
        const prot = (a?.route === 'protected' ? a : b) as RunRecord
        log(
          `bench:server round ${round + 1}/${http.rounds} ${label(server.configuration)}: open ${Math.round(open.reqPerSec)} req/s, ` +
            `protected ${Math.round(prot.reqPerSec)} req/s, ratio ${(prot.reqPerSec / open.reqPerSec).toFixed(2)}, ` +
            `cpu us/req ${open.serverCpuUsPerRequest.toFixed(1)} / ${prot.serverCpuUsPerRequest.toFixed(1)} (load ${loadAverage()[0]})`,
        )
      }
    }
  } finally {
    loader.close()
    await Promise.all(servers.map((server) => server.stop()))
  }
  report({ quick, http, machine, startedAt, servers, runs })
}

interface Report {
  quick: boolean
  http: ReturnType<typeof httpOptions>
  machine: ReturnType<typeof describeMachine>
  startedAt: Date
  servers: ReferenceServer[]
  runs: Map<ReferenceServer, RunRecord[]>
}

function report({ quick, http, machine, startedAt, servers, runs }: Report): void {
  const endLoad = loadAverage()
  const results = servers.map((server) => {
    const all = runs.get(server) ?? []
    const series = (
      route: 'open' | 'protected',
      field: 'reqPerSec' | 'serverCpuUsPerRequest' | 'latencyP99Ms',
    ) => all.filter((run) => run.route === route).map((run) => run[field])
    return {
      ...server.configuration,
      runs: server.runs,
      open: summarize(series('open', 'reqPerSec')),
      protected: summarize(series('protected', 'reqPerSec')),
      ratio: pairedRatio(series('protected', 'reqPerSec'), series('open', 'reqPerSec')),
      cpuRatio: pairedRatio(
        series('open', 'serverCpuUsPerRequest'),
        series('protected', 'serverCpuUsPerRequest'),
      ),
      cpuUsPerRequest: {
        open: median(series('open', 'serverCpuUsPerRequest')),
        protected: median(series('protected', 'serverCpuUsPerRequest')),
      },
      latencyP99Ms: {
        open: median(series('open', 'latencyP99Ms')),
        protected: median(series('protected', 'latencyP99Ms')),
      },
      samples: all,
    }
  })
  const rows = results.map((result) => [
    result.framework,
    result.store,
    result.identityCache ? 'on' : 'off',
    formatRate(result.open.median),
    formatRate(result.protected.median),
    formatRatio(result.ratio.median),
    `${formatRatio(result.ratio.min)}–${formatRatio(result.ratio.max)}`,
    `${result.cpuUsPerRequest.open.toFixed(1)} / ${result.cpuUsPerRequest.protected.toFixed(1)}`,
    formatRatio(result.cpuRatio.median),
    `${result.latencyP99Ms.open} / ${result.latencyP99Ms.protected}`,
  ])
  const runsAs = [...new Set(results.map((result) => result.runs))].join(', ')
  const table = [
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, jwtguard @ ${machine.commit ?? '?'}${machine.dirty ? ' (+ uncommitted changes)' : ''}`,
    `Load average (1/5/15 min): ${machine.loadAverage.join(' / ')} at start, ${endLoad.join(' / ')} at end`,
    `Mode: ${quick ? 'QUICK (smoke run, not for reporting)' : 'full'}; reference server run as: ${runsAs}; ` +
      `autocannon ${http.connections} connections, ${http.durationS} s per run, ${http.rounds} interleaved round(s), loader ${http.loader}`,
    '',
    renderTable(
      [
        'framework',
        'store',
        'id cache',
        'open',
        'protected',
        'prot/open',
        'min–max',
        'cpu us/req open / prot',
        'cpu ratio',
        'p99 ms open / prot',
      ],
      rows,
      new Set([3, 4, 5, 6, 7, 8, 9]),
    ),
  ].join('\n')
  console.log(`\n${table}\n`)
  const directory = new URL('../results/', import.meta.url)
  mkdirSync(directory, { recursive: true })
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const name = `server-${stamp}${quick ? '-quick' : ''}.json`
  const { log: _log, ...recorded } = http
  writeFileSync(
    new URL(name, directory),
    `${JSON.stringify({ startedAt, quick, machine, loadAverageAtEnd: endLoad, options: recorded, results, table }, null, 2)}\n`,
  )
  log(`bench:server: results written to bench/results/${name}`)
}

await main()
