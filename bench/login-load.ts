/**
 * Issue 21 item 5: do logins starve protected traffic? The p99 latency of GET /api/v1/private,
 * idle and then while 50 concurrent clients log in through POST /auth (argon2id verification each),
 * on the reference server running as a child process on a loopback port (scripts/start.sh: the
 * compiled server after `npm run build`, the sources otherwise).
 *
 * Latencies are taken per response at microsecond resolution (autocannon's own histogram counts
 * whole milliseconds, too coarse for a sub-millisecond p99). Each of `--repeat` rounds measures
 * idle, then loaded, seconds apart; the ratio reported is the median over rounds.
 *
 * Two ways to load the protected route, both worth reading:
 * - saturating (default): `--connections` clients send back to back, as fast as the server answers.
 *   On a 2-core machine that shares its cores with the load generator, this measures the server's
 *   share of the CPU more than its latency: a third busy thread (argon2id) takes it from everyone.
 * - `--rate N`: a fixed N requests per second (open loop, below capacity), the way a latency target
 *   is usually stated: what a request sees when the server is not saturated by the probe itself.
 *
 *   npm run bench:login -- [--framework fastify|express|hono] [--duration 10] [--login-clients 50]
 *                          [--connections 10] [--rate 2000] [--repeat 3]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { freePort } from '../test/support/services.js'
import { seedLogin } from './lib/login.js'
import { median } from './lib/stats.js'

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'fastify' },
    duration: { type: 'string', default: '10' },
    'login-clients': { type: 'string', default: '50' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string' },
    repeat: { type: 'string', default: '3' },
  },
})
const duration = Number(values.duration)
const loginClients = Number(values['login-clients'])
const connections = Number(values.connections)
const rate = values.rate === undefined ? undefined : Number(values.rate)
const repeat = Number(values.repeat)

async function startServer(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const port = await freePort()
  // As `npm start` runs it: compiled when the build is fresh (npm run build), else the sources.
  const child = spawn('sh', ['scripts/start.sh'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      FRAMEWORK: values.framework,
      LOG_LEVEL: 'warn',
      // Each login client gets its own X-Forwarded-For, so throttling (10 in flight per user and
      // client) does not turn the login load into 429s.
      TRUST_PROXY: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const address = `http://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`)
    const ready = await fetch(`${address}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) return { child, address }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`server did not start:\n${output}`)
}

/** One autocannon run; `onLatency` gets each response's status and latency in ms (fractional). */
function run(
  options: autocannon.Options,
  onLatency?: (status: number, ms: number) => void,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
    if (onLatency !== undefined) {
      instance.on('response', (_client, status: number, _bytes, ms: number) => onLatency(status, ms))
    }
  })
}

interface Phase {
  p50: number
  p90: number
  p99: number
  p999: number
  rps: number
  non2xx: number
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number)
}

/** The protected route for `duration` seconds; latencies of its 2xx answers, in ms. */
async function protectedPhase(options: autocannon.Options): Promise<Phase> {
  const latencies: number[] = []
  let non2xx = 0
  const result = await run(options, (status, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms)
    else non2xx += 1
  })
  const sorted = Float64Array.from(latencies).sort()
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    rps: result.requests.average,
    non2xx,
  }
}

const loginBody = JSON.stringify({ username: 'masnun', password: 'abc123' })

/** `loginClients` clients logging in back to back; statuses counted. */
async function loginPhase(
  address: string,
): Promise<{ result: autocannon.Result; statuses: Map<number, number> }> {
  const statuses = new Map<number, number>()
  const result = await run(
    {
      url: `${address}/auth`,
      method: 'POST',
      connections: loginClients,
      duration,
      requests: [
        {
          method: 'POST',
          body: loginBody,
          setupRequest: (request) => ({
            ...request,
            headers: {
              ...request.headers,
              'content-type': 'application/json',
              'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}`,
            },
          }),
        },
      ],
    },
    (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1),
  )
  return { result, statuses }
}

const ms = (value: number) => value.toFixed(2).padStart(7)
const row = (name: string, phase: Phase) =>
  `${name.padEnd(36)} ${ms(phase.p50)} ${ms(phase.p90)} ${ms(phase.p99)} ${ms(phase.p999)} ${String(Math.round(phase.rps)).padStart(8)}${phase.non2xx > 0 ? `  non2xx=${phase.non2xx}` : ''}`

const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-login-load-'))
const { child, address } = await startServer(dataDir)
try {
  const token = await seedLogin(address)
  const privateRoute: autocannon.Options = {
    url: `${address}/api/v1/private`,
    connections,
    duration,
    headers: { authorization: `JWT ${token}` },
    ...(rate === undefined ? {} : { overallRate: rate }),
  }
  console.log(
    `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; framework ${values.framework}; ${duration} s per phase; protected load ${
      rate === undefined
        ? `saturating, ${connections} connections`
        : `${rate} req/s over ${connections} connections`
    }; ${loginClients} login clients`,
  )
  console.log(
    `${'case'.padEnd(36)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'p99.9'.padStart(7)} ${'req/s'.padStart(8)}`,
  )
  // Warm-up, then rounds of idle and loaded.
  await run({ ...privateRoute, duration: 2 })
  const ratios: number[] = []
  for (let round = 1; round <= repeat; round += 1) {
    const idle = await protectedPhase(privateRoute)
    const [loaded, logins] = await Promise.all([protectedPhase(privateRoute), loginPhase(address)])
    const statuses = [...logins.statuses].map(([status, count]) => `${status}=${count}`).join(' ')
    console.log(row(`round ${round}: private, idle`, idle))
    console.log(row(`round ${round}: private, ${loginClients} logging in`, loaded))
    console.log(
      `${`round ${round}: POST /auth`.padEnd(36)} ${ms(logins.result.latency.p50)} ${ms(logins.result.latency.p90)} ${ms(logins.result.latency.p99)} ${' '.repeat(7)} ${String(Math.round(logins.result.requests.average)).padStart(8)}  ${statuses}`,
    )
    ratios.push(loaded.p99 / idle.p99)
  }
  console.log(
    `p99 under login load / idle p99, per round: ${ratios.map((ratio) => ratio.toFixed(2)).join(' ')}; median ${median(ratios).toFixed(2)} (target <= 2)`,
  )
} finally {
  child.kill('SIGTERM')
  rmSync(dataDir, { recursive: true, force: true })
}
