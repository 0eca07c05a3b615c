/**
 * Issue 6, item 3: does argon2id stay off the event loop? The p99 latency of GET /api/v1/private,
 * idle and then while 50 concurrent clients log in through POST /auth (argon2id verification each),
 * on the reference server running as a child process on a loopback port (scripts/start.sh: the
 * compiled server after `npm run build`, the sources otherwise).
 *
 *   npm run bench:login -- [--framework fastify|express|hono] [--duration 10] [--login-clients 50]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'fastify' },
    duration: { type: 'string', default: '10' },
    'login-clients': { type: 'string', default: '50' },
    connections: { type: 'string', default: '10' },
  },
})
const duration = Number(values.duration)
const loginClients = Number(values['login-clients'])
const connections = Number(values.connections)

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

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

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
}

const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-login-load-'))
const { child, address } = await startServer(dataDir)
try {
  const login = await fetch(`${address}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  const privateRoute: autocannon.Options = {
    url: `${address}/api/v1/private`,
    connections,
    duration,
    headers: { authorization: `JWT ${token}` },
  }
  // Warm-up, then idle.
  await run({ ...privateRoute, duration: 2 })
  const idle = await run(privateRoute)
  const [loaded, logins] = await Promise.all([
    run(privateRoute),
    run({
      url: `${address}/auth`,
      method: 'POST',
      connections: loginClients,
      duration,
      requests: [
        {
          method: 'POST',
          body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
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
    }),
  ])
  const row = (name: string, result: autocannon.Result) =>
    `${name.padEnd(34)} ${String(result.latency.p50).padStart(6)} ${String(result.latency.p99).padStart(6)} ${String(
      Math.round(result.requests.average),
    ).padStart(
      8,
    )}   2xx=${result['2xx']} non2xx=${result.non2xx} errors=${result.errors} timeouts=${result.timeouts}`
  console.log(
    `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}; framework ${values.framework}; ${duration} s per phase`,
  )
  console.log(`${'case'.padEnd(34)} ${'p50 ms'.padStart(6)} ${'p99 ms'.padStart(6)} ${'req/s'.padStart(8)}`)
  console.log(row('GET /api/v1/private, idle', idle))
  console.log(row(`GET /api/v1/private, ${loginClients} logins`, loaded))
  console.log(row(`POST /auth (${loginClients} clients)`, logins))
  const ratio = loaded.latency.p99 / Math.max(idle.latency.p99, 1)
  console.log(`p99 under login load / idle p99: ${ratio.toFixed(2)} (target <= 2)`)
} finally {
  child.kill('SIGTERM')
  rmSync(dataDir, { recursive: true, force: true })
}
