/**
 * `npx tsx --conditions=jwtguard-source bench/http/compare-loaders.ts [rounds] [seconds]`
 *
 * Answers "where should autocannon run on a 2-core machine": in the orchestrating process, or in
 * a child process of its own. Same servers, same routes, the two placements alternated round by
 * round; prints req/s, the protected/open ratio and the CPU share of server and load generator
 * for each placement.
 */
import { makeToken } from '../lib/fixtures.js'
import { loadAverage } from '../lib/machine.js'
import { median, pairedRatio } from '../lib/stats.js'
import { formatRate, formatRatio, renderTable } from '../lib/table.js'
import { VARIANTS } from './apps.js'
import {
  checkServer,
  Loader,
  type LoaderMode,
  measure,
  type RunRecord,
  type StartedServer,
  startServer,
  stopServer,
} from './suite.js'

const rounds = Number(process.argv[2] ?? 4)
const seconds = Number(process.argv[3] ?? 3)
const ids = ['fastify/@fastify/jwt', 'hono/hono/jwt']
const token = makeToken('HS256')
const servers: StartedServer[] = []
for (const id of ids) {
  const variant = VARIANTS.find((candidate) => candidate.id === id)
  if (variant === undefined) continue
  const started = await startServer(variant)
  if (!('port' in started)) throw new Error(`${id}: ${started.reason}`)
  await checkServer(started, token)
  servers.push(started)
}
const loaders: Record<LoaderMode, Loader> = {
  inproc: await Loader.create('inproc'),
  child: await Loader.create('child'),
}
const runs: Array<RunRecord & { mode: LoaderMode; id: string }> = []
try {
  for (const server of servers) {
    for (const mode of ['inproc', 'child'] as const) {
      await measure(loaders[mode], server, 'open', 1, token, 10)
      await measure(loaders[mode], server, 'protected', 1, token, 10)
    }
  }
  for (let round = 0; round < rounds; round++) {
    const modes: LoaderMode[] = round % 2 === 0 ? ['inproc', 'child'] : ['child', 'inproc']
    for (const server of servers) {
      for (const mode of modes) {
        for (const route of ['open', 'protected'] as const) {
          const run = await measure(loaders[mode], server, route, seconds, token, 10)
          runs.push({ ...run, mode, id: server.variant.id })
        }
      }
    }
    process.stderr.write(`round ${round + 1}/${rounds} done (load ${loadAverage()[0]})\n`)
  }
} finally {
  loaders.child.close()
  await Promise.all(servers.map(stopServer))
}

const rows: string[][] = []
for (const id of ids) {
  for (const mode of ['inproc', 'child'] as const) {
    const pick = (route: 'open' | 'protected') =>
      runs.filter((run) => run.id === id && run.mode === mode && run.route === route)
    const open = pick('open')
    const guarded = pick('protected')
    const rates = (list: RunRecord[]) => list.map((run) => run.reqPerSec)
    const spread = (list: RunRecord[]) => {
      const values = rates(list)
      return `${(((Math.max(...values) - Math.min(...values)) / median(values)) * 100).toFixed(0)}%`
    }
    rows.push([
      id,
      mode,
      formatRate(median(rates(open))),
      spread(open),
      formatRate(median(rates(guarded))),
      spread(guarded),
      formatRatio(pairedRatio(rates(guarded), rates(open)).median),
      median([...open, ...guarded].map((run) => run.serverCpu)).toFixed(2),
      median([...open, ...guarded].map((run) => run.loaderCpu)).toFixed(2),
    ])
  }
}
console.log(
  renderTable(
    ['server', 'loader', 'open', 'spread', 'protected', 'spread', 'prot/open', 'server cpu', 'loader cpu'],
    rows,
    new Set([2, 3, 4, 5, 6, 7, 8]),
  ),
)
