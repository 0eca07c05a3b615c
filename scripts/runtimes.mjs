#!/usr/bin/env node
/**
 * `npm run test:runtimes`: the runtime matrix of issue 18. Runs the contract's seed session
 * (test/runtimes/session.mjs: login → private → me → refresh → revoke, and the error without a
 * token) on the built package (dist/, `npm run build` first) for each algorithm, through the core,
 * the Hono adapter and the fetch adapter, on:
 *   - the Node running this script, Node 22 and Node 24 (npm packages `node@22`, `node@24`),
 *   - Bun (`bun`), Deno (`deno`), and workerd (`workerd`, Cloudflare's runtime, `nodejs_compat`).
 * The runtimes come from the npm registry through test/runtimes/package.json (installed with
 * `npm ci --prefix test/runtimes` when missing). Prints the table (Markdown, as in the README) and
 * the reason of every failed cell. Exits 1 when a cell fails that KNOWN_GAPS does not list, or a
 * listed gap no longer fails (the table and the README would be out of date).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { httpSession } from '../test/runtimes/session.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const here = join(root, 'test', 'runtimes')
const bin = join(here, 'node_modules', '.bin')
const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']
const ADAPTERS = ['core', 'hono', 'fetch']
const TIMEOUT_MS = 120_000

/**
 * What a runtime is known to lack: runtime name → algorithm → the start of the reason. A cell
 * listed here must fail with that reason; any other failure fails the run.
 */
// None today. workerd's node:crypto takes no KeyObject inside the options that PSS and ECDSA
// need (ERR_INVALID_ARG_TYPE): src/core/asymmetric.ts passes the key as a JWK there.
// Example entry: `{ workerd: { PS256: 'ERR_INVALID_ARG_TYPE' } }`.
const KNOWN_GAPS = {}

function log(message) {
  process.stderr.write(`runtimes: ${message}\n`)
}

function installRuntimes() {
  if (existsSync(join(bin, 'workerd'))) return
  log('installing the runtimes from the npm registry (npm ci --prefix test/runtimes)')
  execFileSync('npm', ['ci', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' })
}

/** Bundles the Worker `entry` (workerd loads one module here, not node_modules) and writes its config. */
function workerdCommand(entry = 'worker.mjs') {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-workerd-'))
  execFileSync(
    join(bin, 'esbuild'),
    [
      join(here, entry),
      '--bundle',
      '--format=esm',
      '--platform=neutral',
      '--main-fields=module,main',
      '--conditions=workerd,worker,browser',
      '--external:node:*',
      `--outfile=${join(dir, 'worker.js')}`,
      '--log-level=warning',
    ],
    { stdio: 'inherit' },
  )
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
);
`,
  )
  const version = execFileSync(join(bin, 'workerd'), ['--version'], { encoding: 'utf8' }).trim()
  return { command: join(bin, 'workerd'), args: ['test', join(dir, 'config.capnp')], cleanup: dir, version }
}

function runtimes() {
  const run = join(here, 'run.mjs')
  return [
    { name: 'node', command: process.execPath, args: [run] },
    { name: 'node 22', command: join(here, 'node_modules', 'node22', 'bin', 'node'), args: [run] },
    { name: 'node 24', command: join(here, 'node_modules', 'node24', 'bin', 'node'), args: [run] },
    { name: 'bun', command: join(bin, 'bun'), args: [run] },
    { name: 'deno', command: join(bin, 'deno'), args: ['run', '--allow-read', run] },
    { name: 'workerd', lazy: workerdCommand },
  ]
}

/** One runtime's results, or a reason for every cell when it could not run at all. */
function runOne(runtime) {
  const spec = runtime.lazy ? runtime.lazy() : runtime
  const started = Date.now()
  const child = spawnSync(spec.command, spec.args, {
    cwd: here,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: { ...process.env, NO_COLOR: '1' },
  })
  if (spec.cleanup) rmSync(spec.cleanup, { recursive: true, force: true })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const line = `${child.stdout ?? ''}\n${child.stderr ?? ''}`
    .split('\n')
    .find((text) => text.startsWith('RESULT '))
  if (line === undefined) {
    const why =
      child.error?.message ?? (child.stderr || child.stdout || `exit ${child.status}`).trim().split('\n')[0]
    const results = Object.fromEntries(
      ADAPTERS.map((adapter) => [
        adapter,
        Object.fromEntries(ALGORITHMS.map((alg) => [alg, `did not run: ${why}`])),
      ]),
    )
    return { name: runtime.name, version: runtime.name, seconds, results }
  }
  const { runtime: version, results } = JSON.parse(line.slice('RESULT '.length))
  return { name: runtime.name, version: spec.version ?? version, seconds, results }
}

/** `ok`, `gap` (a known lack, with its reason) or `fail`. */
function verdict(name, alg, result) {
  const gap = KNOWN_GAPS[name.split(' ')[0]]?.[alg]
  if (result === 'ok') return gap === undefined ? 'ok' : 'stale'
  if (gap !== undefined && result.startsWith(gap)) return 'gap'
  return 'fail'
}

function table(rows) {
  const lines = [
    `| runtime | adapter | ${ALGORITHMS.join(' | ')} |`,
    `|---|---|${ALGORITHMS.map(() => '---').join('|')}|`,
  ]
  const notes = []
  let failed = false
  for (const row of rows) {
    for (const adapter of ADAPTERS) {
      const cells = ALGORITHMS.map((alg) => {
        const result = row.results[adapter]?.[alg] ?? 'no result'
        const seen = verdict(row.name, alg, result)
        if (seen === 'fail' || seen === 'stale') failed = true
        if (seen !== 'ok')
          notes.push(
            `${row.version}, ${adapter}, ${alg}: ${seen === 'stale' ? 'passes now: remove it from KNOWN_GAPS' : result}`,
          )
        return { ok: '✓', gap: '✗ (known)', stale: '✓ (listed as a gap)', fail: '✗ FAIL' }[seen]
      })
      lines.push(`| ${row.version} | ${adapter} | ${cells.join(' | ')} |`)
    }
  }
  return { text: lines.join('\n'), notes, failed }
}

/** examples/workers/worker.ts in workerd, driven by test/runtimes/worker-example.mjs. */
function workersExample() {
  const spec = workerdCommand('worker-example.mjs')
  const child = spawnSync(spec.command, spec.args, { encoding: 'utf8', timeout: TIMEOUT_MS })
  rmSync(spec.cleanup, { recursive: true, force: true })
  const line = `${child.stdout}\n${child.stderr}`.split('\n').find((text) => text.startsWith('RESULT '))
  return line === undefined
    ? `did not run: ${child.error?.message ?? child.stderr}`
    : JSON.parse(line.slice(7)).example
}

/** examples/bun/server.ts served by Bun on a free port, the session sent over HTTP from here. */
async function bunExample() {
  const child = spawn(join(bin, 'bun'), [join(root, 'examples', 'bun', 'server.ts')], {
    cwd: root,
    env: { ...process.env, PORT: '0', JWT_SECRET_KEY: 'bun-example-secret-with-at-least-32-bytes' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  try {
    const address = await new Promise((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 30_000)
      const read = (chunk) => {
        output += chunk
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match) {
          clearTimeout(timer)
          resolve(match[1])
        }
      }
      child.stdout.on('data', read)
      child.stderr.on('data', read)
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)))
    })
    const remote = (request) => {
      const url = new URL(request.url)
      return fetch(new Request(`${address}${url.pathname}${url.search}`, request))
    }
    await httpSession(remote)
    return 'ok'
  } catch (error) {
    return error.message
  } finally {
    child.kill('SIGTERM')
  }
}

async function examples() {
  const results = {
    'examples/bun/server.ts on Bun': await bunExample(),
    'examples/workers/worker.ts on workerd': workersExample(),
  }
  for (const [example, result] of Object.entries(results)) log(`${example}: ${result}`)
  return Object.values(results).every((result) => result === 'ok')
}

async function main() {
  if (!existsSync(join(root, 'dist', 'adapters', 'fetch', 'index.js'))) {
    log('dist/ is missing or old: run `npm run build` first')
    process.exit(2)
  }
  installRuntimes()
  const started = Date.now()
  const rows = []
  for (const runtime of runtimes()) {
    log(`${runtime.name}...`)
    const row = runOne(runtime)
    log(`${row.version}: ${row.seconds} s`)
    rows.push(row)
  }
  const { text, notes, failed } = table(rows)
  console.log(text)
  if (notes.length > 0) console.log(`\n${notes.map((note) => `- ${note}`).join('\n')}`)
  const examplesPass = await examples()
  log(`matrix and examples run in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (failed) log('FAILED: a cell failed that KNOWN_GAPS does not list, or a listed gap passes now')
  if (!examplesPass) log('FAILED: an example did not serve the seed session')
  if (failed || !examplesPass) process.exit(1)
}

await main()
