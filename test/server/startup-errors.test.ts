/**
 * Start-up errors name what failed and the fix (issue 22, item 6): the Redis or PostgreSQL URL
 * (password hidden) when it refuses or hangs, the SQLite file when it is read-only or not a
 * database. The server runs as a real process, as `npm start` runs it; every Redis and
 * PostgreSQL here is the test's own.
 */
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../support/server.js'
import { freePort, startPrivatePostgres, startPrivateRedis } from '../support/services.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-starterr-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Exit {
  code: number | null
  stderr: string
  ms: number
}

/** Runs the server until it exits (it must refuse to start), with a 30 s limit. */
function runToExit(env: Record<string, string>, uid?: number): Promise<Exit> {
  const started = performance.now()
  const child = spawn(
    process.execPath,
    ['--conditions=jwtguard-source', '--import', 'tsx', 'server/main.ts'],
    {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', JWT_SECRET_KEY: TEST_SECRET, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr, ms: performance.now() - started })
    })
  })
}

describe.concurrent('the server refuses to start, naming what failed', () => {
  it('Redis refusing: the URL without its password, and the fix', async () => {
    const port = await freePort()
    const exit = await runToExit({
      DATA_DIR: tempDir(),
      REDIS_URL: `redis://app:s3cr3t-pw@127.0.0.1:${port}`,
    })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain(`redis://app:***@127.0.0.1:${port}`)
    expect(exit.stderr).toMatch(/ECONNREFUSED/)
    expect(exit.stderr).toMatch(/fix REDIS_URL/)
    expect(exit.stderr).not.toContain('s3cr3t-pw')
  }, 40_000)

  it('Redis hung: the URL and the fix, within its connect timeout', async () => {
    const redis = await startPrivateRedis()
    redis.pause()
    try {
      const exit = await runToExit({ DATA_DIR: tempDir(), REDIS_URL: redis.url, REDIS_CONNECT_TIMEOUT: '2' })
      expect(exit.code).toBe(1)
      expect(exit.stderr).toContain(`cannot use Redis at ${redis.url}`)
      expect(exit.stderr).toMatch(/fix REDIS_URL/)
      expect(exit.ms).toBeLessThan(25_000)
    } finally {
      await redis.stop()
    }
  }, 40_000)

  it('PostgreSQL hung: the URL and the fix, within its connect timeout (it hung forever before)', async () => {
    const postgres = await startPrivatePostgres()
    postgres.pause()
    try {
      const url = postgres.url.replace('postgres@', 'postgres:hunter2@')
      const exit = await runToExit({ DATA_DIR: tempDir(), DATABASE_URL: url })
      expect(exit.code).toBe(1)
      expect(exit.stderr).toContain(
        `cannot use PostgreSQL at postgres://postgres:***@127.0.0.1:${postgres.port}`,
      )
      expect(exit.stderr).toMatch(/fix DATABASE_URL/)
      expect(exit.stderr).not.toContain('hunter2')
      expect(exit.ms).toBeLessThan(25_000)
    } finally {
      await postgres.stop()
    }
  }, 60_000)

  it('PostgreSQL refusing: the URL and the fix', async () => {
    const port = await freePort()
    const exit = await runToExit({
      DATA_DIR: tempDir(),
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`,
    })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain(`cannot use PostgreSQL at postgres://postgres@127.0.0.1:${port}/x`)
    expect(exit.stderr).toMatch(/ECONNREFUSED/)
  }, 40_000)

  it('a file that is not a SQLite database: its path and the fix', async () => {
    const dataDir = tempDir()
    writeFileSync(join(dataDir, 'jwtguard.db'), 'not a database, just text '.repeat(200))
    const exit = await runToExit({ DATA_DIR: dataDir })
    expect(exit.code).toBe(1)
    expect(exit.stderr).toContain(`cannot open the SQLite database ${join(dataDir, 'jwtguard.db')}`)
    expect(exit.stderr).toMatch(/not a SQLite database: restore it from a backup, or move it away/)
  }, 40_000)

  it.runIf(process.getuid?.() === 0)(
    'a read-only SQLite database: its path and the fix',
    async () => {
      // Root writes through any mode: the server runs as `nobody` here.
      const nobody = 65534
      const dataDir = tempDir()
      chmodSync(dataDir, 0o755)
      chownSync(dataDir, nobody, nobody)
      const first = await runToExit({ DATA_DIR: dataDir, PORT: 'http' }, nobody) // writes secret.key only
      expect(first.code).toBe(1)
      writeFileSync(join(dataDir, 'jwtguard.db'), '')
      chmodSync(join(dataDir, 'jwtguard.db'), 0o444)
      chownSync(join(dataDir, 'jwtguard.db'), nobody, nobody)
      chmodSync(dataDir, 0o555)
      const exit = await runToExit({ DATA_DIR: dataDir }, nobody)
      expect(exit.code).toBe(1)
      expect(exit.stderr).toContain(`cannot open the SQLite database ${join(dataDir, 'jwtguard.db')}`)
      expect(exit.stderr).toMatch(/read-only|writable/)
    },
    40_000,
  )
})
