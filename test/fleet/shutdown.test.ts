/**
 * Process life (issue 22, item 4), on `npm start` as an operator runs it: a SIGTERM to the whole
 * process group (npm, and the server, each re-sending it) lets every login in flight finish; an
 * idle keep-alive connection does not hold the exit (Fastify's keep-alive is 72 s); npm killed
 * by SIGHUP does not leave an orphan serving on; SIGHUP to the server does not kill it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../support/server.js'

const dirs: string[] = []
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
})
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

interface Started {
  npm: ChildProcess
  address: string
  serverPid: number
  exited: Promise<number | null>
  output(): string
}

/** `npm start` in its own process group, as a process manager or a terminal runs it. */
async function npmStart(env: Record<string, string> = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-life-'))
  dirs.push(dataDir)
  const npm = spawn('npm', ['start', '--silent'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      JWT_SECRET_KEY: TEST_SECRET,
      FRAMEWORK: 'fastify',
      SHUTDOWN_TIMEOUT: '3',
      TRUST_PROXY: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  children.push(npm)
  let output = ''
  npm.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  npm.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)))
  const started = await new Promise<{ address: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started:\n${output}`)), 30_000)
    const check = () => {
      const address = /"address":"(http:\/\/[^"]+)"/.exec(output)?.[1]
      const pid = /"pid":(\d+)/.exec(output)?.[1]
      if (address !== undefined && pid !== undefined) {
        clearTimeout(timer)
        resolve({ address, pid: Number(pid) })
      }
    }
    npm.stdout?.on('data', check)
    void exited.then(() => reject(new Error(`exited:\n${output}`)))
  })
  return { npm, address: started.address, serverPid: started.pid, exited, output: () => output }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (!alive(pid)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

/** A login over a keep-alive agent: its status, or the network error's code. */
function login(address: string, agent: Agent, forwardedFor = '10.0.0.1'): Promise<number | string> {
  const body = JSON.stringify({ username: 'masnun', password: 'abc123' })
  return new Promise((resolve) => {
    const request = httpRequest(
      new URL('/auth', address),
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-forwarded-for': forwardedFor,
        },
      },
      (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
        response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      },
    )
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    request.end(body)
  })
}

describe('npm start and signals', () => {
  it('SIGTERM to the process group: all 20 logins in flight answer 200, then the server exits', async () => {
    const started = await npmStart()
    const agent = new Agent({ keepAlive: true, maxSockets: 20 })
    let done = 0
    // One client address each (TRUST_PROXY=1): the throttle allows 10 concurrent attempts per
    // username and client.
    const logins = Array.from({ length: 20 }, (_, i) =>
      login(started.address, agent, `10.0.0.${i + 1}`).then((status) => {
        done += 1
        return status
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 150))
    const doneBeforeSignal = done
    process.kill(-(started.npm.pid as number), 'SIGTERM')
    const statuses = await Promise.all(logins)
    expect(doneBeforeSignal).toBeLessThan(20) // the signal did arrive with logins in flight
    expect(statuses).toEqual(Array(20).fill(200))
    // Kept-alive connections are closed once idle: the exit does not wait for them.
    expect(await waitForExit(started.serverPid, 5_000)).toBe(true)
    agent.destroy()
  }, 60_000)

  it('an idle keep-alive connection does not hold the exit past the shutdown deadline', async () => {
    const started = await npmStart()
    const agent = new Agent({ keepAlive: true })
    expect(await login(started.address, agent)).toBe(200) // leaves an idle kept-alive socket
    const signalled = performance.now()
    process.kill(started.serverPid, 'SIGTERM')
    process.kill(started.serverPid, 'SIGTERM') // a second one (a manager re-sending) changes nothing
    expect(await waitForExit(started.serverPid, 6_000)).toBe(true)
    expect(performance.now() - signalled).toBeLessThan(6_000) // Fastify's keep-alive is 72 s
    agent.destroy()
  }, 60_000)

  it('SIGHUP to the server reloads (it keeps serving); SIGHUP to npm leaves no orphan behind', async () => {
    const started = await npmStart()
    const agent = new Agent({ keepAlive: false })
    process.kill(started.serverPid, 'SIGHUP')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await login(started.address, agent)).toBe(200)
    process.kill(started.npm.pid as number, 'SIGHUP')
    expect(await waitForExit(started.serverPid, 8_000)).toBe(true)
  }, 60_000)
})
