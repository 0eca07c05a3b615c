/**
 * The reference server as `npm start` runs it (scripts/start.sh: the compiled server when the
 * build is fresh, the sources through tsx otherwise), one process per configuration, on a free
 * loopback port, with its own DATA_DIR and Redis key prefix, its logs in a file.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { seedLogin } from '../lib/login.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
/** The seed's user, created by the server outside production. */

/** One configuration of the reference server. */
export interface ServerConfiguration {
  framework: string
  store: 'sqlite' | 'redis'
  identityCache: boolean
}

export interface ReferenceServer {
  configuration: ServerConfiguration
  child: ChildProcess
  port: number
  /** `compiled` (build/server/main.js) or `sources` (tsx), read from /proc. */
  runs: 'compiled' | 'sources' | 'unknown'
  /** A new access token from `POST /auth` (they live 300 s: log in again before each round). */
  login(): Promise<string>
  stop(): Promise<void>
}

/** What the process runs, from its command line (Linux); `unknown` elsewhere. */
function whatRuns(pid: number | undefined): ReferenceServer['runs'] {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return command.includes('build/server/main.js') ? 'compiled' : 'sources'
  } catch {
    return 'unknown'
  }
}

/** Deletes the keys a Redis-backed run left behind (SCAN, never KEYS). */
async function deletePrefix(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL })
  await client.connect()
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    await client.quit()
  }
}

async function waitForAddress(logFile: string, child: ChildProcess): Promise<number> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`)
    const port = /"address":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(readFileSync(logFile, 'utf8'))?.[1]
    if (port !== undefined) return Number(port)
    await sleep(20)
  }
  throw new Error(`did not start within 60 s:\n${readFileSync(logFile, 'utf8')}`)
}

/** Starts one reference server and waits for its address. */
export async function startReferenceServer(
  configuration: ServerConfiguration,
  secret: string,
): Promise<ReferenceServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-bench-server-'))
  const prefix = `jwtguard-bench:${process.pid}:${configuration.framework}:${configuration.identityCache}:`
  const logFile = join(dataDir, 'server.log')
  const log = openSync(logFile, 'a')
  const child = spawn('sh', [join(ROOT, 'scripts/start.sh')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET_KEY: secret,
      FRAMEWORK: configuration.framework,
      IDENTITY_CACHE: configuration.identityCache ? '1' : '0',
      ...(configuration.store === 'redis' ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}),
    },
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true })
    if (configuration.store === 'redis') await deletePrefix(prefix)
  }
  let port: number
  try {
    port = await waitForAddress(logFile, child)
  } catch (error) {
    child.kill('SIGKILL')
    await cleanup()
    throw error
  }
  return {
    configuration,
    child,
    port,
    runs: whatRuns(child.pid),
    login: () => seedLogin(`http://127.0.0.1:${port}`),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => void cleanup().finally(resolve)
        if (child.exitCode !== null) return done()
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', () => {
          clearTimeout(timer)
          done()
        })
        child.kill('SIGTERM')
      }),
  }
}
