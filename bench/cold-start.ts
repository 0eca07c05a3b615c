/**
 * Issue 21 item 4, cold start: the time from spawning a process to its first 200 on `POST /auth`
 * and then on a protected route, for the reference server (compiled, from sources, and through
 * `npm start`) and for a minimal application (bench/cold/minimal.mjs: Fastify + jwtguard from
 * dist/); and the time to import jwtguard, create a guard and verify a first token, against jose
 * and fast-jwt, each in a fresh process (what a serverless function pays on every cold start).
 * Medians over `--runs` fresh processes (default 7), run one after the other.
 *
 *   npm run bench:cold -- [--runs 7] [--root <checkout>] [--only servers|imports]
 *
 * `--root` measures another checkout (its build/ and dist/ must exist for the compiled cases):
 * how the before/after figures of bench/README.md were taken. The reference server starts on a
 * DATA_DIR prepared by a first start (user and secret already there), as on a restart.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { freePort } from '../test/support/services.js'
import { seedLogin } from './lib/login.js'
import { loadAverage } from './lib/machine.js'
import { median } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, root: { type: 'string' }, only: { type: 'string' } },
})
const RUNS = Number(values.runs)
const ROOT = resolve(values.root ?? fileURLToPath(new URL('..', import.meta.url)))
const HERE = fileURLToPath(new URL('.', import.meta.url))
const SECRET = 'cold-start-secret-0123456789-abcdefghijklmnopqrstuvwxyz'

/** `POST /auth` until it answers (connection refused while the process starts), then 200 or throw. */
async function firstLogin(base: string, child: ChildProcess): Promise<string> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`)
    try {
      return await seedLogin(base)
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') throw error
      await sleep(2)
    }
  }
}

interface Case {
  name: string
  command: string
  args: string[]
  env?: Record<string, string>
  /** The protected route of this app. */
  path: string
  /** Whether the case can run in this checkout. */
  available: () => boolean
}

const SERVER_CASES: Case[] = [
  {
    name: 'reference server, compiled (node build/server/main.js)',
    command: process.execPath,
    args: ['build/server/main.js'],
    path: '/api/v1/private',
    available: () => existsSync(join(ROOT, 'build/server/main.js')),
  },
  {
    name: 'reference server, sources (node --import tsx server/main.ts)',
    command: process.execPath,
    args: ['--conditions=jwtguard-source', '--import', 'tsx', 'server/main.ts'],
    path: '/api/v1/private',
    available: () => true,
  },
  {
    name: 'reference server, npm start',
    command: 'npm',
    args: ['start', '--silent'],
    path: '/api/v1/private',
    available: () => true,
  },
  {
    name: 'minimal app (Fastify + jwtguard from dist/)',
    command: process.execPath,
    args: [join(HERE, 'cold/minimal.mjs')],
    path: '/private',
    available: () => existsSync(join(ROOT, 'dist/index.js')),
  },
]

/** One cold start: ms to the first 200 on /auth, and on the protected route after it. */
async function coldStart(item: Case, dataDir: string): Promise<{ auth: number; protectedRoute: number }> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(item.command, item.args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET_KEY: SECRET,
      LOG_LEVEL: 'warn',
      ...item.env,
    },
    stdio: 'ignore',
    detached: true,
  })
  try {
    const base = `http://127.0.0.1:${port}`
    const token = await firstLogin(base, child)
    const auth = performance.now() - started
    const response = await fetch(`${base}${item.path}`, { headers: { authorization: `JWT ${token}` } })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${item.path} answered ${response.status}`)
    return { auth, protectedRoute: performance.now() - started }
  } finally {
    const exited = new Promise((done) => child.once('exit', done))
    if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL')
    await exited
  }
}

async function servers(): Promise<string[][]> {
  const rows: string[][] = []
  for (const item of SERVER_CASES) {
    if (!item.available()) {
      rows.push([item.name, 'not built', ''])
      continue
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-cold-'))
    try {
      await coldStart(item, dataDir) // the first start creates the user and the database
      const auth: number[] = []
      const protectedRoute: number[] = []
      for (let run = 0; run < RUNS; run += 1) {
        const times = await coldStart(item, dataDir)
        auth.push(times.auth)
        protectedRoute.push(times.protectedRoute)
      }
      process.stderr.write(`cold-start: ${item.name}: ${auth.map((ms) => ms.toFixed(0)).join(' ')} ms\n`)
      rows.push([item.name, median(auth).toFixed(0), median(protectedRoute).toFixed(0)])
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  return rows
}

/** A fresh process: import a library, make a verifier, verify one HS256 token; prints the ms it took. */
const IMPORT_CASES: Record<string, string> = {
  jwtguard: `
    const t0 = performance.now()
    const { createJwtGuard } = await import('jwtguard')
    const guard = createJwtGuard({ secret: SECRET, authenticate: () => null, identity: (p) => p })
    const token = guard.createAccessToken({ id: 1 })
    const t1 = performance.now()
    guard.verify(token)
    report(t0, t1)`,
  jose: `
    const t0 = performance.now()
    const { SignJWT, jwtVerify } = await import('jose')
    const key = new TextEncoder().encode(SECRET)
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ identity: 1 }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + 300).sign(key)
    const t1 = performance.now()
    await jwtVerify(token, key, { algorithms: ['HS256'] })
    report(t0, t1)`,
  'fast-jwt': `
    const t0 = performance.now()
    const { createSigner, createVerifier } = await import('fast-jwt')
    const token = createSigner({ key: SECRET, algorithm: 'HS256', expiresIn: 300000 })({ identity: 1 })
    const t1 = performance.now()
    createVerifier({ key: SECRET, algorithms: ['HS256'] })(token)
    report(t0, t1)`,
}

function imports(): string[][] {
  const rows: string[][] = []
  for (const [name, body] of Object.entries(IMPORT_CASES)) {
    const script = `const SECRET = '${SECRET}'
      const report = (t0, t1) => console.log(JSON.stringify({ total: performance.now() - t0, sign: t1 - t0 }))
      ${body}`
    const totals: number[] = []
    const process_: number[] = []
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now()
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
      })
      process_.push(performance.now() - started)
      totals.push((JSON.parse(output) as { total: number }).total)
    }
    rows.push([name, median(totals).toFixed(1), median(process_).toFixed(0)])
  }
  return rows
}

const before = loadAverage()
const sections: string[] = []
if (values.only !== 'imports') {
  sections.push(
    `Cold start: ms from spawn to the first 200 (median of ${RUNS}); ${ROOT}\n` +
      renderTable(['process', 'POST /auth', 'then protected'], await servers(), new Set([1, 2])),
  )
}
if (values.only !== 'servers') {
  sections.push(
    `Import + create + sign + first verify (HS256), in a fresh process (median of ${RUNS})\n` +
      renderTable(['library', 'in-process ms', 'whole process ms'], imports(), new Set([1, 2])),
  )
}
console.log(
  `\n${sections.join('\n\n')}\n\nLoad average: ${before.join(' / ')} at start, ${loadAverage().join(' / ')} at end\n`,
)
