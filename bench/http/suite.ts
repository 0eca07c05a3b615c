/**
 * The HTTP benchmark: every variant's server runs in a child process of its own; the load
 * generator runs in this process (default) or in another child (BENCH_LOADER=child). Each round
 * visits every server (starting server rotating per round) and measures, back to back, its open
 * route, its protected route with one token, and its protected route with a new token on every
 * request (the order reverses every other round), so each ratio to open compares runs made
 * seconds apart under the same machine load.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { withCpuShare } from '../lib/cpu.js'
import { CEILING, makeToken, tamper } from '../lib/fixtures.js'
import { loadAverage } from '../lib/machine.js'
import { median, pairedRatio, type Summary, summarize } from '../lib/stats.js'
import { VARIANTS, type Variant } from './apps.js'
import { type LoadResult, type LoadSpec, prepareLoad, runLoad } from './loader.js'
import type { ServerMessage } from './server.js'

/** Where the load generator runs. */
export type LoaderMode = 'inproc' | 'child'

/** Parameters of the HTTP suite. */
export interface HttpOptions {
  rounds: number
  durationS: number
  warmupS: number
  connections: number
  loader: LoaderMode
  log: (line: string) => void
}

export interface VariantResult {
  id: string
  framework: string
  middleware: string
  status: 'measured' | 'not available' | 'failed'
  reason?: string
  open?: Summary
  protected?: Summary
  /** Paired protected/open ratio of req/s. */
  ratio?: Summary
  /** req/s of the protected route when every request carries a token never sent before. */
  fresh?: Summary
  /** Paired fresh/open ratio of req/s. */
  freshRatio?: Summary
  /** Paired open/fresh ratio of server CPU time per request. */
  freshCpuRatio?: Summary
  /**
   * Paired open/protected ratio of server CPU time per request: the req/s ratio the server would
   * reach if it alone limited throughput, whatever else runs on the machine.
   */
  cpuRatio?: Summary
  latencyP99Ms?: { open: number; protected: number; fresh: number }
  /** Median CPU share of the server process during a run (1.0 = one core). */
  serverCpu?: { open: number; protected: number; fresh: number }
  /** Median CPU share of the load generator's process. */
  loaderCpu?: number
  /** Median server CPU time per request, in microseconds (10 ms /proc ticks: approximate). */
  cpuUsPerRequest?: { open: number; protected: number; fresh: number }
  runs?: RunRecord[]
}

/**
 * What a run loads: the open route, the protected route with one token on every request, or the
 * protected route with a new token on every request (`fresh`: no cache can help).
 */
export type Route = 'open' | 'protected' | 'fresh'

/** The runs of a round, in the order of even rounds (odd rounds reverse it). */
export const ROUTES: readonly Route[] = ['open', 'protected', 'fresh']

/** One load run, as recorded in the JSON. */
export interface RunRecord extends LoadResult {
  route: Route
  serverCpu: number
  loaderCpu: number
  /** Server CPU time per request, in microseconds: robust to machine load, unlike req/s. */
  serverCpuUsPerRequest: number
}

export interface HttpSuiteResult {
  options: Omit<HttpOptions, 'log'>
  variants: VariantResult[]
  loadAverage: { before: [number, number, number]; after: [number, number, number] }
}

/** Quick and full parameters. */
export function httpOptions(quick: boolean, loader: LoaderMode, log: (line: string) => void): HttpOptions {
  return quick
    ? { rounds: 1, durationS: 2, warmupS: 1, connections: 10, loader, log }
    : { rounds: 9, durationS: 2, warmupS: 2, connections: 10, loader, log }
}

// Children run TypeScript through tsx, with the package's source export condition.
const CHILD_EXEC_ARGV = ['--conditions=jwtguard-source', '--import', 'tsx']

function forkTs(file: string, args: string[]): ChildProcess {
  return fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    execArgv: CHILD_EXEC_ARGV,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

export interface StartedServer {
  variant: Variant
  child: ChildProcess
  port: number
}

export function startServer(
  variant: Variant,
): Promise<StartedServer | { variant: Variant; status: 'not available' | 'failed'; reason: string }> {
  const child = forkTs('./server.ts', [variant.id])
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill()
      resolve({ variant, status: 'failed', reason: 'server did not start within 30 s' })
    }, 30_000)
    child.once('message', (message: ServerMessage) => {
      clearTimeout(timer)
      if (message.type === 'ready') resolve({ variant, child, port: message.port })
      else {
        child.kill()
        resolve({
          variant,
          status: message.type === 'unavailable' ? 'not available' : 'failed',
          reason: message.reason,
        })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ variant, status: 'failed', reason: `server exited with code ${String(code)}` })
    })
  })
}

export function stopServer(server: StartedServer): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve()
    const timer = setTimeout(() => {
      server.child.kill('SIGKILL')
      resolve()
    }, 3000)
    server.child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    server.child.send('stop')
  })
}

/** Runs loads in this process, or forwards them to one long-lived child. */
export class Loader {
  #child: ChildProcess | undefined

  /** The process the load runs in. */
  get pid(): number {
    return this.#child?.pid ?? process.pid
  }

  static async create(mode: LoaderMode): Promise<Loader> {
    const loader = new Loader()
    if (mode === 'child') {
      const child = forkTs('./loader-child.ts', [])
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve())
        child.once('exit', (code) => reject(new Error(`loader child exited with ${String(code)}`)))
      })
      loader.#child = child
    }
    return loader
  }

  /** Signs the next run's fresh tokens before it starts (see `prepareLoad`). */
  prepare(spec: LoadSpec): Promise<void> {
    const child = this.#child
    if (child === undefined) {
      prepareLoad(spec)
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      child.once('message', () => resolve())
      child.send({ prepare: spec })
    })
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const child = this.#child
    if (child === undefined) return runLoad(spec)
    return new Promise((resolve, reject) => {
      child.once('message', (reply: { ok: boolean; result?: LoadResult; reason?: string }) => {
        if (reply.ok && reply.result !== undefined) resolve(reply.result)
        else reject(new Error(reply.reason ?? 'load failed'))
      })
      child.send(spec)
    })
  }

  close(): void {
    this.#child?.disconnect()
  }
}

interface Probe {
  path: string
  auth: string | undefined
  expect: number
}

/** Checks that a server does what it is benchmarked for before any load is sent. */
export async function checkServer(server: StartedServer, token: string): Promise<void> {
  const scheme = server.variant.scheme
  const probes: Probe[] = [
    { path: '/health', auth: undefined, expect: 200 },
    { path: '/api/v1/private', auth: `${scheme} ${token}`, expect: 200 },
    { path: '/api/v1/private', auth: undefined, expect: 401 },
    // The ceiling verifies nothing, by design: a tampered token passes it.
    {
      path: '/api/v1/private',
      auth: `${scheme} ${tamper(token)}`,
      expect: server.variant.middleware === CEILING ? 200 : 401,
    },
  ]
  for (const probe of probes) {
    const headers: Record<string, string> = probe.auth === undefined ? {} : { authorization: probe.auth }
    const response = await fetch(`http://127.0.0.1:${server.port}${probe.path}`, { headers })
    const body = await response.text()
    if (response.status !== probe.expect) {
      throw new Error(
        `${server.variant.id}: GET ${probe.path} (${probe.auth === undefined ? 'no token' : 'token'}) gave ${response.status}, expected ${probe.expect}`,
      )
    }
    if (probe.expect === 200 && probe.path === '/api/v1/private' && JSON.parse(body).meaning_of_life !== 42) {
      throw new Error(`${server.variant.id}: protected route answered ${body}`)
    }
  }
}

function describeCpu(run: RunRecord | undefined): string {
  return run === undefined
    ? '?'
    : `${run.serverCpu.toFixed(2)} = ${run.serverCpuUsPerRequest.toFixed(1)} us/req`
}

/** The load of one route of one server. */
export function loadSpec(
  server: StartedServer,
  route: Route,
  durationS: number,
  token: string,
  connections: number,
): LoadSpec {
  return {
    url: `http://127.0.0.1:${server.port}${route === 'open' ? '/health' : '/api/v1/private'}`,
    headers: route === 'protected' ? { authorization: `${server.variant.scheme} ${token}` } : {},
    durationS,
    connections,
    freshTokens: route === 'fresh' ? { scheme: server.variant.scheme } : undefined,
  }
}

/** One measured run, with the CPU share of the server and of the load generator. */
export async function measure(
  loader: Loader,
  server: StartedServer,
  route: Route,
  durationS: number,
  token: string,
  connections: number,
): Promise<RunRecord> {
  const serverPid = server.child.pid ?? -1
  const spec = loadSpec(server, route, durationS, token, connections)
  await loader.prepare(spec)
  const { result, shares, cpuSeconds } = await withCpuShare([serverPid, loader.pid], () => loader.run(spec))
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${server.variant.id} ${route}: ${result.non2xx} non-2xx responses and ${result.errors} errors during load`,
    )
  }
  const serverCpuSeconds = cpuSeconds[0] ?? Number.NaN
  return {
    ...result,
    route,
    serverCpu: shares[0] ?? Number.NaN,
    loaderCpu: shares[1] ?? Number.NaN,
    serverCpuUsPerRequest: result.total > 0 ? (serverCpuSeconds * 1e6) / result.total : Number.NaN,
  }
}

/** Runs the HTTP suite over the given frameworks. */
export async function runHttp(
  options: HttpOptions,
  frameworks?: ReadonlySet<string>,
): Promise<HttpSuiteResult> {
  const before = loadAverage()
  const token = makeToken('HS256')
  const variants = VARIANTS.filter((variant) => frameworks === undefined || frameworks.has(variant.framework))
  const results = new Map<string, VariantResult>()
  const servers: StartedServer[] = []
  const loader = await Loader.create(options.loader)
  try {
    for (const variant of variants) {
      const base = { id: variant.id, framework: variant.framework, middleware: variant.middleware }
      const started = await startServer(variant)
      if (!('port' in started)) {
        results.set(variant.id, { ...base, status: started.status, reason: started.reason })
        options.log(`http ${variant.id}: ${started.status} (${started.reason.split('\n')[0]})`)
        continue
      }
      try {
        await checkServer(started, token)
      } catch (error) {
        await stopServer(started)
        results.set(variant.id, { ...base, status: 'failed', reason: String(error) })
        options.log(`http ${variant.id}: failed its check: ${String(error)}`)
        continue
      }
      servers.push(started)
      results.set(variant.id, { ...base, status: 'measured' })
    }

    for (const server of servers) {
      for (const route of ROUTES) {
        await loader.run(loadSpec(server, route, options.warmupS, token, options.connections))
      }
    }

    const runs = new Map<string, RunRecord[]>(servers.map((server) => [server.variant.id, []]))
    for (let round = 0; round < options.rounds; round++) {
      for (let offset = 0; offset < servers.length; offset++) {
        const server = servers[(round + offset) % servers.length] as StartedServer
        const id = server.variant.id
        const order = round % 2 === 0 ? ROUTES : [...ROUTES].reverse()
        for (const route of order) {
          runs
            .get(id)
            ?.push(await measure(loader, server, route, options.durationS, token, options.connections))
        }
        const last = runs.get(id)?.slice(-ROUTES.length) ?? []
        const rate = (route: Route) => last.find((run) => run.route === route)?.reqPerSec ?? Number.NaN
        const late = last.find((run) => run.route === 'fresh')?.freshSignedDuringRun ?? 0
        options.log(
          `http round ${round + 1}/${options.rounds} ${id}: open ${Math.round(rate('open'))} req/s, ` +
            `protected ${Math.round(rate('protected'))} req/s, ratio ${(rate('protected') / rate('open')).toFixed(2)}, ` +
            `new token each ${Math.round(rate('fresh'))} req/s, ratio ${(rate('fresh') / rate('open')).toFixed(2)} ` +
            `(server cpu open/protected/fresh ${ROUTES.map((route) => describeCpu(last.find((run) => run.route === route))).join(', ')}; load ${loadAverage()[0]})` +
            (late > 0 ? `; ${late} fresh tokens signed during the run (pool too small)` : ''),
        )
      }
    }
    for (const server of servers) {
      const id = server.variant.id
      const result = results.get(id) as VariantResult
      const all = runs.get(id) ?? []
      const series = (
        route: Route,
        field: 'reqPerSec' | 'latencyP99Ms' | 'serverCpu' | 'loaderCpu' | 'serverCpuUsPerRequest',
      ) => all.filter((run) => run.route === route).map((run) => run[field])
      result.open = summarize(series('open', 'reqPerSec'))
      result.protected = summarize(series('protected', 'reqPerSec'))
      result.ratio = pairedRatio(series('protected', 'reqPerSec'), series('open', 'reqPerSec'))
      result.fresh = summarize(series('fresh', 'reqPerSec'))
      result.freshRatio = pairedRatio(series('fresh', 'reqPerSec'), series('open', 'reqPerSec'))
      const byRoute = (field: 'latencyP99Ms' | 'serverCpu' | 'serverCpuUsPerRequest') => ({
        open: median(series('open', field)),
        protected: median(series('protected', field)),
        fresh: median(series('fresh', field)),
      })
      result.latencyP99Ms = byRoute('latencyP99Ms')
      result.serverCpu = byRoute('serverCpu')
      result.cpuUsPerRequest = byRoute('serverCpuUsPerRequest')
      result.cpuRatio = pairedRatio(
        series('open', 'serverCpuUsPerRequest'),
        series('protected', 'serverCpuUsPerRequest'),
      )
      result.freshCpuRatio = pairedRatio(
        series('open', 'serverCpuUsPerRequest'),
        series('fresh', 'serverCpuUsPerRequest'),
      )
      result.loaderCpu = median(all.map((run) => run.loaderCpu))
      result.runs = all
    }
  } finally {
    loader.close()
    await Promise.all(servers.map(stopServer))
  }
  const { log: _log, ...recorded } = options
  return {
    options: recorded,
    variants: variants.map((variant) => results.get(variant.id) as VariantResult),
    loadAverage: { before, after: loadAverage() },
  }
}
