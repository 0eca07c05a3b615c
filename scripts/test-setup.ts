// `npm test` runs this first (the `pretest` script, through tsx): everything the suite needs on a fresh machine,
// so that the README's two commands are enough. Each step says what it does and how long it took.
//
//   1. Node.js: the suite needs what `engines` says (Fastify's inject() needs require(esm), 20.19+).
//   2. Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432): started when they are installed and
//      not running; when they are missing, the message says what to install.
//   3. Chromium for the browser test (found on PATH or at CHROMIUM_PATH) and PyJWT for the
//      refresh-key test (Debian's python3-jwt): else installed with Debian's apt-get (as root, or
//      through `sudo -n`).
//   4. The build (`npm run build`): dist/, whose contents the package test checks against what
//      `npm pack` would publish, and build/, the compiled reference server a test starts.
//
// Set JWTGUARD_TEST_SETUP=0 to skip all of it (you then own those four steps).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Prints one line of progress on stderr (vitest owns stdout). */
function say(message: string): void {
  process.stderr.write(`test-setup: ${message}\n`)
}

/** Exits with a message that says how to fix the problem. */
function fail(message: string): never {
  process.stderr.write(`\ntest-setup: ${message}\n\n`)
  process.exit(1)
}

/** The lowest Node.js version of package.json's `engines` (`>=20.19.0 <21 || >=22`: 20.19.0). */
export function minimumNode(range: string): [number, number, number] {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(range)
  if (!match) throw new Error(`cannot read the engines range ${range}`)
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)]
}

/** Whether `version` (as `process.versions.node`) is at least `minimum`. */
export function atLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.split('.').map(Number)
  for (let i = 0; i < 3; i += 1) {
    const have = parts[i] ?? 0
    const want = minimum[i] ?? 0
    if (have !== want) return have > want
  }
  return true
}

function checkNode(): void {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    engines: { node: string }
  }
  const minimum = minimumNode(manifest.engines.node)
  if (!atLeast(process.versions.node, minimum)) {
    fail(
      `Node.js ${process.versions.node} is older than ${minimum.join('.')}, the oldest version jwtguard ` +
        `supports and tests (engines: "${manifest.engines.node}"). Install Node.js ${minimum.join('.')} ` +
        'or newer (20.19+, 22 or 24) and run npm test again.',
    )
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

async function waitForPort(port: number, name: string): Promise<void> {
  for (let i = 0; i < 60; i += 1) {
    if (await portOpen(port)) return
    await sleep(500)
  }
  fail(`${name} did not come up on 127.0.0.1:${port}.`)
}

/** Whether `command` is an executable on PATH. */
function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)))
}

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
  return result.status === 0
}

async function ensureRedis(): Promise<void> {
  if (await portOpen(6379)) return
  if (!onPath('redis-server')) {
    fail(
      'Redis is not running on 127.0.0.1:6379 and redis-server is not installed. Install it ' +
        '(Debian: apt-get install redis-server) or start one on that port, then run npm test again.',
    )
  }
  say('starting Redis on 127.0.0.1:6379 (in memory, no persistence)')
  const dir = existsSync('/var/lib/redis') ? '/var/lib/redis' : join(root, 'test-artifacts')
  mkdirSync(dir, { recursive: true })
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379']
  run('redis-server', [...args, '--save', '', '--appendonly', 'no', '--dir', dir])
  await waitForPort(6379, 'Redis')
}

async function ensurePostgres(): Promise<void> {
  if (await portOpen(5432)) return
  const clusters = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []
  if (clusters.length === 0 || !onPath('pg_ctlcluster')) {
    fail(
      'PostgreSQL is not running on 127.0.0.1:5432 and no Debian cluster was found to start. Install ' +
        'it (Debian: apt-get install postgresql) or start one on that port with trust authentication ' +
        'and a database named test, then run npm test again.',
    )
  }
  say(`starting PostgreSQL ${clusters[0]} on 127.0.0.1:5432`)
  run('pg_ctlcluster', ['--skip-systemctl-redirect', clusters[0] as string, 'main', 'start'])
  await waitForPort(5432, 'PostgreSQL')
}

/** Where the browser test finds Chromium: CHROMIUM_PATH, then PATH, then Debian's path. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH && existsSync(env.CHROMIUM_PATH)) return env.CHROMIUM_PATH
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    for (const name of ['chromium', 'chromium-browser']) {
      if (existsSync(join(dir, name))) return join(dir, name)
    }
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

/**
 * Where the refresh-key test finds PyJWT (the library Flask-JWT verifies with): PYJWT_PYTHON, else
 * Debian's /usr/bin/python3 when it can `import jwt` (package python3-jwt). Not PATH's python3: a
 * pyenv or venv python there may lack the package Debian installed.
 */
export function findPyJwtPython(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const candidate of [env.PYJWT_PYTHON, '/usr/bin/python3']) {
    if (candidate === undefined || candidate === '' || !existsSync(candidate)) continue
    if (spawnSync(candidate, ['-c', 'import jwt'], { stdio: 'ignore' }).status === 0) return candidate
  }
  return undefined
}

/**
 * Installs Debian packages with apt-get (as root, or through `sudo -n`) for `purpose`; `found` says
 * afterwards whether what the suite needs is there. `manual` is the message when apt cannot run.
 */
function aptInstall(packages: string[], purpose: string, found: () => boolean, manual: string): void {
  const asRoot = process.getuid?.() === 0
  const sudo = !asRoot && onPath('sudo') && run('sudo', ['-n', 'true'])
  if (!onPath('apt-get') || (!asRoot && !sudo)) fail(manual)
  const prefix = asRoot ? [] : ['sudo', '-n']
  const started = Date.now()
  say(`installing Debian's ${packages.join(', ')} for ${purpose} (once)`)
  const apt = (...args: string[]): boolean => {
    const [command = 'env', ...rest] = [
      ...prefix,
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      ...args,
    ]
    return run(command, rest)
  }
  // Two steps, not `update && install`: a failed update must stop here, with its own message.
  if (!apt('update', '-qq')) fail(`apt-get update failed; ${packages.join(', ')} could not be installed.`)
  if (!apt('install', '-y', '-qq', ...packages)) fail(`apt-get install ${packages.join(' ')} failed.`)
  if (!found()) fail(`apt-get installed ${packages.join(', ')}, yet ${purpose} still cannot find it.`)
  say(`${packages.join(', ')} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

function ensureChromium(): void {
  if (findChromium()) return
  aptInstall(
    ['chromium'],
    'the browser test',
    () => findChromium() !== undefined,
    'The browser test needs Chromium and none was found (CHROMIUM_PATH, PATH, /usr/bin/chromium). ' +
      'Install it (Debian: sudo apt-get update && sudo apt-get install chromium) or set ' +
      'CHROMIUM_PATH to a Chromium binary, then run npm test again.',
  )
}

function ensurePyJwt(): void {
  if (findPyJwtPython()) return
  aptInstall(
    ['python3-jwt'],
    'the PyJWT test',
    () => findPyJwtPython() !== undefined,
    'The refresh-key test verifies tokens with PyJWT (what Flask-JWT uses) and found no python3 that ' +
      'can import it (PYJWT_PYTHON, /usr/bin/python3). Install it (Debian: sudo apt-get install ' +
      'python3-jwt) or set PYJWT_PYTHON to a python with PyJWT, then run npm test again.',
  )
}

/** `npm run build`'s script: dist/ (the package) and build/ (the compiled reference server). */
function build(): void {
  const started = Date.now()
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' })
  say(`built dist/ and build/ in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

async function main(): Promise<void> {
  if (process.env.JWTGUARD_TEST_SETUP === '0') return
  checkNode()
  await ensureRedis()
  await ensurePostgres()
  ensureChromium()
  ensurePyJwt()
  build()
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
