/**
 * Issue 21 item 1: where the reference server's time goes. For each route (`/health`, then
 * `/api/v1/private`) a fresh server runs under `--cpu-prof` while autocannon loads that route
 * alone; each profile sample is charged to the first frame, from the leaf up, that belongs to a
 * category (below), and the table gives CPU µs per request per category, open against protected.
 *
 *   npx tsx --conditions=jwtguard-source bench/profile/reference.ts [fastify] [seconds=8] [cache=on|off] [store=sqlite|redis]
 *
 * Runs the compiled server (build/server/main.js: run `npm run build` first).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { loadAverage } from '../lib/machine.js'
import { renderTable } from '../lib/table.js'
import { REDIS_URL } from '../reference/process.js'

const [framework = 'fastify', secondsArg = '8', cache = 'on', store = 'sqlite'] = process.argv.slice(2)
const SECONDS = Number(secondsArg)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const NODE = 'node http, net, streams (called by nothing above)'

const FRAMEWORK = 'framework (and every other library)'

/** Categories of our own files (dist/, src/, build/server/), tried in order on a frame's URL. */
const OURS: [string, RegExp][] = [
  [
    'token (find, verify, claims)',
    /\/(core\/(verify|keys|claims|jwk|internal\/base64url|keystore)|core\/guard\/verifiers)\./,
  ],
  ['revocation', /\/(core\/guard\/revocation|stores\/)/],
  ['identity (callback, cache, user store)', /\/(core\/guard\/identity|users\/|server\/context\.js)/],
  ['cookie / header search', /\/core\/(extract|cookies|guard\/token-finder)\./],
  ['jwtguard other (pipeline, adapter)', /\/(core|adapter|adapters)\//],
]
/** Categories of node_modules, tried in order; any other library counts as the framework's. */
const LIBRARIES: [string, RegExp][] = [
  ['identity (callback, cache, user store)', /node_modules\/better-sqlite3\//],
  [
    'logging (pino)',
    /node_modules\/(pino|sonic-boom|thread-stream|fast-redact|quick-format|on-exit-leak-free)/,
  ],
  [FRAMEWORK, /node_modules\//],
]
const CATEGORIES: [string, RegExp][] = [...OURS, ...LIBRARIES, [NODE, /^node:|^internal\//]]
const OTHER = 'other (GC, idle, program, unattributed)'

interface Node {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

function categoryOf(url: string): string | undefined {
  if (url === '') return undefined
  if (/^node:|^internal\//.test(url)) return NODE
  const table = url.includes('/node_modules/') ? LIBRARIES : OURS
  return table.find(([, pattern]) => pattern.test(url))?.[0]
}

/**
 * Microseconds of CPU per category over the samples taken within `window` (µs of the monotonic
 * clock, which V8's profile timestamps and process.hrtime share on Linux).
 */
function split(file: string, window: [number, number]): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Node[]
    samples: number[]
    timeDeltas: number[]
    startTime: number
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const charged = new Map<number, string>()
  const chargeOf = (leaf: number): string => {
    const known = charged.get(leaf)
    if (known !== undefined) return known
    let category = OTHER
    const name = byId.get(leaf)?.callFrame.functionName ?? ''
    if (!['(idle)', '(program)', '(garbage collector)'].includes(name)) {
      // The innermost frame of our code, a library or the framework decides; Node's own frames
      // (a socket write, a stream) go to whoever called them, and to Node only at the bottom.
      let node = false
      for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
        const found = categoryOf(byId.get(id)?.callFrame.url ?? '')
        if (found === NODE) node = true
        else if (found !== undefined) {
          category = found
          break
        }
      }
      if (category === OTHER && node) category = NODE
    }
    charged.set(leaf, category)
    return category
  }
  const totals = new Map<string, number>()
  let at = profile.startTime
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    if (at < window[0] || at > window[1]) return
    const category = chargeOf(id)
    totals.set(category, (totals.get(category) ?? 0) + delta)
  })
  totals.delete(OTHER) // idle time dominates it; counted separately below
  return totals
}

async function profileRoute(path: string): Promise<{ perRequest: Map<string, number>; requests: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-profile-'))
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'build/server/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dir,
      JWT_SECRET_KEY: 'profile-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
      FRAMEWORK: framework,
      IDENTITY_CACHE: cache === 'on' ? '1' : '0',
      ...(store === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: `jwtguard-profile:${process.pid}:` } : {}),
    },
    stdio: 'ignore',
  })
  try {
    const base = `http://127.0.0.1:${port}`
    let token = ''
    for (let attempt = 0; token === ''; attempt += 1) {
      if (attempt > 600) throw new Error('server did not start')
      try {
        const response = await fetch(`${base}/auth`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
        })
        token = ((await response.json()) as { access_token: string }).access_token
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    const headers = path === '/health' ? {} : { authorization: `JWT ${token}` }
    await autocannon({ url: `${base}${path}`, headers, connections: 10, duration: 2 })
    const microseconds = () => Number(process.hrtime.bigint() / 1000n)
    const start = microseconds()
    const result = await autocannon({ url: `${base}${path}`, headers, connections: 10, duration: SECONDS })
    const end = microseconds()
    await new Promise((resolve) => {
      child.once('exit', resolve)
      child.kill('SIGTERM')
    })
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
    if (file === undefined) throw new Error('no profile written')
    // Only the samples of the measured run: start-up, login and warm-up are left out.
    const requests = result.requests.total
    const totals = split(join(dir, file), [start, end])
    const perRequest = new Map([...totals].map(([category, us]) => [category, us / requests]))
    return { perRequest, requests }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

const before = loadAverage()
const open = await profileRoute('/health')
const protectedRoute = await profileRoute('/api/v1/private')
const names = [...new Set(CATEGORIES.map(([name]) => name))]
const rows = names.map((name) => {
  const a = open.perRequest.get(name) ?? 0
  const b = protectedRoute.perRequest.get(name) ?? 0
  return [name, a.toFixed(1), b.toFixed(1), (b - a).toFixed(1)]
})
const sum = (map: Map<string, number>) => [...map.values()].reduce((total, value) => total + value, 0)
rows.push([
  'total attributed',
  sum(open.perRequest).toFixed(1),
  sum(protectedRoute.perRequest).toFixed(1),
  (sum(protectedRoute.perRequest) - sum(open.perRequest)).toFixed(1),
])
console.log(
  `\n${framework}, ${store} store, identity cache ${cache}: CPU µs per request by category (--cpu-prof, ${SECONDS} s of autocannon -c 10 per route, samples of the measured run only)\n` +
    renderTable(['category', '/health', '/api/v1/private', 'difference'], rows, new Set([1, 2, 3])) +
    `\nLoad average ${before.join(' / ')} at start, ${loadAverage().join(' / ')} at end\n`,
)
