/**
 * Issue 4's target: protected req/s with revocation checking on (SQLite, Redis) against the same
 * route with no store; issue 15's: the same with the session (family) check on, a token from a
 * login, against the same store with a token of no session, and against the same login token on a
 * server whose view skips the session check (`-unchecked`: the check alone, on and off; target
 * >= 0.95, as the median of per-round paired ratios). Each server is its own child process; the
 * rounds are interleaved and the medians reported with min and max, since the machine is shared.
 *
 *   npm run bench:revocation -- [--rounds 5] [--duration 5]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { deleteRedisPrefix } from '../../test/support/redis.js'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, duration: { type: 'string', default: '5' } },
})
const rounds = Number(values.rounds)
const duration = Number(values.duration)
const MODES = [
  'none',
  'sqlite',
  'sqlite-family',
  'sqlite-family-unchecked',
  'redis',
  'redis-family',
  'redis-family-unchecked',
] as const
const prefix = `jwtguard-bench:${randomUUID()}:`

interface Server {
  child: ChildProcess
  url: string
  token: string
}

function start(mode: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    ['--conditions=jwtguard-source', '--import', 'tsx', 'bench/revocation/server.ts', mode, prefix],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /READY (\d+) (\S+)/.exec(output)
      if (match !== null)
        resolve({ child, url: `http://127.0.0.1:${match[1]}/api/v1/private`, token: match[2] as string })
    })
    child.on('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)))
  })
}

function load(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: server.url, connections: 10, duration, headers: { authorization: `JWT ${server.token}` } },
      (error, result) => {
        if (error) return reject(error)
        if (result.non2xx > 0 || result.errors > 0)
          return reject(new Error(`non-2xx answers from ${server.url}`))
        resolve(result.requests.average)
      },
    )
  })
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number
const servers = Object.fromEntries(
  await Promise.all(MODES.map(async (mode) => [mode, await start(mode)] as const)),
)
const samples: Record<string, number[]> = Object.fromEntries(MODES.map((mode) => [mode, []]))
try {
  for (const server of Object.values(servers)) await load({ ...server }) // warm-up
  for (let round = 0; round < rounds; round += 1) {
    // The order reverses every round, so a drift of the machine within a round favours no mode.
    const order = round % 2 === 0 ? MODES : [...MODES].reverse()
    for (const mode of order) samples[mode]?.push(await load(servers[mode] as Server))
  }
} finally {
  for (const server of Object.values(servers)) server.child.kill('SIGTERM')
  await deleteRedisPrefix(prefix)
}
console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}; ${rounds} interleaved rounds of ${duration} s, 10 connections`,
)
const base = median(samples.none ?? [])
for (const mode of MODES) {
  const list = samples[mode] ?? []
  // A session-checking mode is compared with its store and a token of no session too.
  const withoutFamily = mode.endsWith('-family') ? median(samples[mode.replace(/-family$/, '')] ?? []) : 0
  const family =
    withoutFamily > 0 ? `  ratio vs a token of no session ${(median(list) / withoutFamily).toFixed(3)}` : ''
  console.log(
    `${`revocation: ${mode}`.padEnd(27)} median ${Math.round(median(list))} req/s (min ${Math.round(Math.min(...list))}, max ${Math.round(Math.max(...list))})  ratio vs none ${(median(list) / base).toFixed(3)}${family}`,
  )
}
// The check alone: the same login token, the session check on against off, round by round.
for (const store of ['sqlite', 'redis']) {
  const on = samples[`${store}-family`] ?? []
  const off = samples[`${store}-family-unchecked`] ?? []
  const ratios = on.map((value, round) => value / (off[round] as number))
  console.log(
    `revocation: ${store} session check on/off (same token), per round ${ratios.map((ratio) => ratio.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)} (target >= 0.95)`,
  )
}
