/**
 * `npm run soak`: the reference server at saturation for a set time, with a mix of valid, expired,
 * forged and malformed requests. The server runs as a child process (its own event loop and RSS)
 * on a free loopback port with a temporary DATA_DIR; autocannon drives it from this process.
 *
 *   npm run soak                                   # fastify, 10 minutes
 *   npm run soak -- --duration 60 --framework all  # each framework for 60 s
 *
 * Options: --framework fastify|express|hono|all (default $FRAMEWORK or fastify), --duration <s>
 * (default 600), --warmup <s> (default a quarter of the duration, at most 60), --connections <n>
 * (default 32), --max-rss-growth-mb <MiB> (default 64), --json <file> (also write the results).
 *
 * It reports requests, errors, timeouts, responses by status, 5xx, answers that did not match
 * their kind (a valid token refused, a forged one accepted), p50/p99 latency, and the server's RSS
 * (VmRSS) at start, after warm-up and at the end. It exits 1 when anything went wrong: a 5xx, a
 * client error or timeout, an unexpected status, a server crash or error log, or RSS growing by
 * more than the threshold after warm-up.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const FRAMEWORKS = ['fastify', 'express', 'hono'] as const
type Framework = (typeof FRAMEWORKS)[number]
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HOST = '127.0.0.1'

interface Options {
  frameworks: Framework[]
  durationS: number
  warmupS: number
  connections: number
  maxRssGrowthMb: number
  json: string | undefined
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number`)
  return number
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      framework: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'max-rss-growth-mb': { type: 'string' },
      json: { type: 'string' },
    },
  })
  const framework = (values.framework ?? process.env.FRAMEWORK ?? 'fastify').toLowerCase()
  if (framework !== 'all' && !(FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new Error(`--framework must be one of ${FRAMEWORKS.join(', ')} or all`)
  }
  const durationS = positive(values.duration, 'duration', 600)
  if (durationS > 24 * 3600) throw new Error('--duration is bounded to 24 hours')
  const warmupS = positive(values.warmup, 'warmup', Math.min(60, durationS / 4))
  if (warmupS >= durationS) throw new Error('--warmup must be shorter than --duration')
  return {
    frameworks: framework === 'all' ? [...FRAMEWORKS] : [framework as Framework],
    durationS,
    warmupS,
    connections: Math.round(positive(values.connections, 'connections', 32)),
    maxRssGrowthMb: positive(values['max-rss-growth-mb'], 'max-rss-growth-mb', 64),
    json: values.json,
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens: minted with node:crypto and the server's secret, valid for the whole run.

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

function hmac(header: unknown, payload: unknown, secret: string, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

/** One kind of request of the mix: how to build it and the only status it may get. */
interface Kind {
  name: string
  weight: number
  method: 'GET' | 'POST'
  path: string
  /** The request headers (Authorization, Cookie, ...). */
  headers: Record<string, string>
  expect: number
}

function requestMix(secret: string, lifetimeS: number): Kind[] {
  const now = Math.floor(Date.now() / 1000)
  const claims = (extra: Record<string, unknown> = {}) => ({
    exp: now + lifetimeS,
    iat: now,
    nbf: now,
    identity: 123,
    ...extra,
  })
  const header = { alg: 'HS256', typ: 'JWT' }
  const valid = hmac(header, claims(), secret)
  const signature = valid.slice(valid.lastIndexOf('.') + 1)
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const dirty =
    signature.length % 4 === 3
      ? `${valid.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1) as string) | 1]}`
      : `${valid}=`
  const kinds: Array<
    Omit<Kind, 'path' | 'method' | 'headers'> & {
      path?: string
      method?: 'POST'
      authorization?: string | undefined
      cookie?: string
    }
  > = [
    { name: 'valid /private', weight: 40, authorization: `JWT ${valid}`, expect: 200 },
    {
      name: 'valid /me (another token)',
      weight: 10,
      authorization: `JWT ${hmac(header, claims({ n: 1 }), secret)}`,
      expect: 200,
      path: '/api/v1/me',
    },
    { name: 'health', weight: 5, authorization: undefined, expect: 200, path: '/health' },
    {
      name: 'expired',
      weight: 10,
      authorization: `JWT ${hmac(header, claims({ exp: now - 3600 }), secret)}`,
      expect: 401,
    },
    {
      name: 'forged: wrong secret',
      weight: 5,
      authorization: `JWT ${hmac(header, claims(), 'not-the-secret-but-32-bytes-long!!')}`,
      expect: 401,
    },
    {
      name: 'forged: alg none',
      weight: 3,
      authorization: `JWT ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
      expect: 401,
    },
    {
      name: 'forged: HS512 with the secret',
      weight: 2,
      authorization: `JWT ${hmac({ alg: 'HS512', typ: 'JWT' }, claims(), secret, 'sha512')}`,
      expect: 401,
    },
    {
      name: 'forged: refresh token as access',
      weight: 3,
      authorization: `JWT ${hmac(header, claims({ type: 'refresh', jti: 'r', fam: 'f' }), secret)}`,
      expect: 401,
    },
    { name: 'malformed: JWT %', weight: 3, authorization: 'JWT %', expect: 401 },
    {
      name: 'malformed: two segments',
      weight: 3,
      authorization: `JWT ${valid.slice(0, valid.lastIndexOf('.'))}`,
      expect: 401,
    },
    { name: 'malformed: non-canonical base64url', weight: 3, authorization: `JWT ${dirty}`, expect: 401 },
    { name: 'malformed: other scheme', weight: 3, authorization: `Bearer ${valid}`, expect: 401 },
    { name: 'malformed: no token', weight: 3, authorization: undefined, expect: 401 },
    {
      name: 'malformed: 9 KiB token',
      weight: 2,
      authorization: `JWT ${valid}${'A'.repeat(9 * 1024)}`,
      expect: 401,
    },
    {
      name: 'malformed: crit header',
      weight: 2,
      authorization: `JWT ${hmac({ ...header, crit: ['x'], x: 1 }, claims(), secret)}`,
      expect: 401,
    },
    { name: 'cookie: valid access cookie', weight: 5, cookie: `access_token_cookie=${valid}`, expect: 200 },
    {
      name: 'cookie: logout CSRF (POST, no CSRF header)',
      weight: 2,
      method: 'POST',
      path: '/auth/revoke',
      cookie: `access_token_cookie=${valid}`,
      expect: 401,
    },
    { name: 'cookie: %', weight: 1, cookie: 'access_token_cookie=%', expect: 401 },
  ]
  return kinds.map(({ authorization, cookie, ...kind }) => {
    const headers: Record<string, string> = {}
    if (authorization !== undefined) headers.authorization = authorization
    if (cookie !== undefined) headers.cookie = cookie
    return { path: '/api/v1/private', method: 'GET', ...kind, headers }
  })
}

// ---------------------------------------------------------------------------------------------
// The server process.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** VmRSS of `pid`, in MiB, from /proc. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (match === null) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1]) / 1024
}

interface RunningServer {
  child: ChildProcess
  pid: number
  url: string
  errorLogLines(): number
  crashed(): string | undefined
  stop(): Promise<void>
}

async function startServer(framework: Framework, secret: string, dataDir: string): Promise<RunningServer> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    ['--conditions=jwtguard-source', '--import', 'tsx', 'server/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        FRAMEWORK: framework,
        HOST,
        PORT: String(port),
        DATA_DIR: dataDir,
        JWT_SECRET_KEY: secret,
        LOG_LEVEL: 'error',
        REDIS_URL: '',
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let errorLines = 0
  let exit: string | undefined
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line.includes('"level":50') || line.includes('"level":60')) errorLines += 1
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000)
  })
  child.on('exit', (code, signal) => {
    exit = `exited with ${code ?? signal}${stderr === '' ? '' : `: ${stderr.trim()}`}`
  })
  const url = `http://${HOST}:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (exit !== undefined) throw new Error(`server ${exit}`)
    try {
      const response = await fetch(`${url}/health`)
      await response.arrayBuffer()
      if (response.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('server did not answer /health within 60 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    child,
    pid: child.pid as number,
    url,
    errorLogLines: () => errorLines,
    crashed: () => exit,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exit !== undefined) return resolve()
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', () => {
          clearTimeout(kill)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

// ---------------------------------------------------------------------------------------------
// One soak run.

interface SoakResult {
  framework: Framework
  durationS: number
  connections: number
  requests: number
  requestsPerSecond: number
  errors: number
  timeouts: number
  byStatus: Record<string, number>
  status5xx: number
  unexpected: Record<string, number>
  latencyMs: { p50: number; p99: number; max: number }
  rssMb: { start: number; afterWarmup: number; end: number; max: number; growthAfterWarmup: number }
  serverErrorLogLines: number
  serverCrashed: string | undefined
  failures: string[]
}

async function soak(framework: Framework, options: Options): Promise<SoakResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-soak-'))
  const secret = randomBytes(48).toString('base64url')
  const server = await startServer(framework, secret, dataDir)
  try {
    const kinds = requestMix(secret, options.durationS + 3600)
    const table: Kind[] = []
    for (const kind of kinds) for (let i = 0; i < kind.weight; i++) table.push(kind)
    const unexpected: Record<string, number> = {}
    let cursor = 0

    const rssStart = rssMb(server.pid)
    let rssAfterWarmup = rssStart
    let rssMax = rssStart
    const sampler = setInterval(() => {
      try {
        rssMax = Math.max(rssMax, rssMb(server.pid))
      } catch {
        // the server is gone: reported below
      }
    }, 1000)
    const warmupMark = setTimeout(() => {
      rssAfterWarmup = rssMb(server.pid)
    }, options.warmupS * 1000)

    console.error(
      `soak ${framework}: ${options.durationS} s, ${options.connections} connections, warm-up ${options.warmupS} s, ${kinds.length} request kinds, server pid ${server.pid}`,
    )
    const result = await autocannon({
      url: server.url,
      connections: options.connections,
      pipelining: 1,
      duration: options.durationS,
      timeout: 10,
      requests: [
        {
          setupRequest(request, context) {
            // A fixed, interleaved walk through the weighted table: reproducible and evenly mixed.
            const kind = table[(cursor++ * 7919) % table.length] as Kind
            ;(context as { kind?: Kind }).kind = kind
            return { ...request, method: kind.method, path: kind.path, headers: kind.headers }
          },
          onResponse(status, _body, context) {
            const kind = (context as { kind?: Kind }).kind
            if (kind !== undefined && status !== kind.expect) {
              const key = `${kind.name}: ${status}`
              unexpected[key] = (unexpected[key] ?? 0) + 1
            }
          },
        },
      ],
    })
    clearInterval(sampler)
    clearTimeout(warmupMark)
    const crashed = server.crashed()
    const rssEnd = crashed === undefined ? rssMb(server.pid) : Number.NaN
    rssMax = Math.max(rssMax, Number.isNaN(rssEnd) ? 0 : rssEnd)

    const byStatus: Record<string, number> = {}
    for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
      byStatus[status] = (stats as { count?: number }).count ?? 0
    }
    const status5xx = Object.entries(byStatus)
      .filter(([status]) => status.startsWith('5'))
      .reduce((sum, [, count]) => sum + count, 0)
    const growth = rssEnd - rssAfterWarmup
    const failures: string[] = []
    if (status5xx > 0) failures.push(`${status5xx} responses with a 5xx status`)
    if (result.errors > 0) failures.push(`${result.errors} client errors`)
    if (result.timeouts > 0) failures.push(`${result.timeouts} timeouts`)
    const unexpectedTotal = Object.values(unexpected).reduce((sum, count) => sum + count, 0)
    if (unexpectedTotal > 0) failures.push(`${unexpectedTotal} answers that did not match their request kind`)
    if (crashed !== undefined) failures.push(`the server ${crashed}`)
    if (server.errorLogLines() > 0) failures.push(`${server.errorLogLines()} error lines in the server log`)
    if (!(growth <= options.maxRssGrowthMb)) {
      failures.push(
        `RSS grew by ${growth.toFixed(1)} MiB after warm-up (limit ${options.maxRssGrowthMb} MiB)`,
      )
    }
    return {
      framework,
      durationS: options.durationS,
      connections: options.connections,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.total / result.duration),
      errors: result.errors,
      timeouts: result.timeouts,
      byStatus,
      status5xx,
      unexpected,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      rssMb: {
        start: round(rssStart),
        afterWarmup: round(rssAfterWarmup),
        end: round(rssEnd),
        max: round(rssMax),
        growthAfterWarmup: round(growth),
      },
      serverErrorLogLines: server.errorLogLines(),
      serverCrashed: crashed,
      failures,
    }
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

function print(result: SoakResult): void {
  const lines = [
    `== ${result.framework}: ${result.durationS} s at ${result.connections} connections`,
    `requests        ${result.requests} (${result.requestsPerSecond}/s)`,
    `errors          ${result.errors} (timeouts ${result.timeouts})`,
    `by status       ${Object.entries(result.byStatus)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ')}`,
    `5xx             ${result.status5xx}`,
    `unexpected      ${Object.keys(result.unexpected).length === 0 ? 'none' : JSON.stringify(result.unexpected)}`,
    `latency         p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    `server RSS      start ${result.rssMb.start} MiB, after warm-up ${result.rssMb.afterWarmup} MiB, end ${result.rssMb.end} MiB (max ${result.rssMb.max}, growth after warm-up ${result.rssMb.growthAfterWarmup} MiB)`,
    `server errors   ${result.serverErrorLogLines} log lines${result.serverCrashed === undefined ? '' : `; ${result.serverCrashed}`}`,
    `verdict         ${result.failures.length === 0 ? 'PASS' : `FAIL: ${result.failures.join('; ')}`}`,
  ]
  console.log(lines.join('\n'))
}

async function main(): Promise<void> {
  const options = readOptions()
  const results: SoakResult[] = []
  for (const framework of options.frameworks) {
    const result = await soak(framework, options)
    print(result)
    results.push(result)
  }
  if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`)
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
