/**
 * Issue 17 item 1: slow clients cannot exhaust the server. Many connections that send part of
 * their headers or of their body and then nothing are held open against the reference server
 * on each framework; meanwhile `/health` answers within a second, and the server closes every
 * stalled connection once its timeout has passed. Beyond the connection cap a new connection gets
 * a clear `503`. `SLOW_CLIENTS` sets how many stalled connections (default 2,000; each takes two
 * file descriptors in this process, so raise `ulimit -n` for big runs: `npm run test:slow-clients`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { buildExpressApp, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import type { Framework } from '../../server/config.js'
import type { ServerContext } from '../../server/context.js'
import { createTestContext } from '../support/server.js'

const STALLED = Number(process.env.SLOW_CLIENTS ?? 2000)
/** Short limits, so that the test sees them act: 1 s for headers, 2 s for a whole request. */
const SHORT = { HTTP_HEADERS_TIMEOUT: '1', HTTP_REQUEST_TIMEOUT: '2', HTTP_KEEP_ALIVE_TIMEOUT: '1' }

async function start(framework: Framework, env: Record<string, string>) {
  const { context, cleanup } = await createTestContext(env)
  const limits = context.config.httpLimits
  let listening: { address: string; close(): Promise<void> }
  if (framework === 'express')
    listening = await listenExpress(buildExpressApp(context), 0, '127.0.0.1', limits)
  else if (framework === 'hono') listening = await listenHono(buildHonoApp(context), 0, '127.0.0.1', limits)
  else {
    const app = await buildFastifyApp(context as ServerContext)
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    listening = { address, close: () => app.close() }
  }
  return {
    url: new URL(listening.address),
    async close() {
      await listening.close()
      await cleanup()
    },
  }
}

/** A connection that sends the start of a request and then nothing; `closed` settles when the server closes it. */
function stall(url: URL, part: 'headers' | 'body'): Promise<{ socket: Socket; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    socket.on('data', (chunk) => {
      received += String(chunk)
    })
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)))
    socket.on('error', () => {})
    socket.once('connect', () => {
      socket.write(
        part === 'headers'
          ? 'POST /auth HTTP/1.1\r\nHost: localhost\r\nContent-Type: applica'
          : 'POST /auth HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"usern',
      )
      resolve({ socket, closed })
    })
    socket.once('error', reject)
  })
}

async function stallMany(url: URL, count: number) {
  const stalled: Awaited<ReturnType<typeof stall>>[] = []
  // In batches: thousands of SYNs at once overflow the listen backlog and wait for retransmission.
  for (let first = 0; first < count; first += 200) {
    const batch = Array.from({ length: Math.min(200, count - first) }, (_, index) =>
      stall(url, (first + index) % 2 === 0 ? 'headers' : 'body'),
    )
    stalled.push(...(await Promise.all(batch)))
  }
  return stalled
}

async function timedHealth(url: URL): Promise<{ status: number; milliseconds: number; body: unknown }> {
  const started = performance.now()
  const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(5000) })
  const body = await response.json()
  return { status: response.status, milliseconds: performance.now() - started, body }
}

let cleanup: (() => Promise<void>) | undefined
let sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  sockets = []
  await cleanup?.()
  cleanup = undefined
})

/** Sends `GET /health` on a new connection and resolves with the status line the server answers. */
function rawHealth(url: URL): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    socket.on('data', (chunk) => {
      received += String(chunk)
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''))
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    sockets.push(socket)
  })
}

describe.each<Framework>(['fastify', 'express', 'hono'])('slow clients on %s', (framework) => {
  it(`serves /health within 1 s while ${STALLED} connections stall, and refuses connections beyond the cap`, async () => {
    // The default timeouts (nothing closes during the test); the cap leaves one connection free.
    const server = await start(framework, { HTTP_MAX_CONNECTIONS: String(STALLED + 1) })
    cleanup = server.close
    const stalled = await stallMany(server.url, STALLED)
    sockets = stalled.map((entry) => entry.socket)
    const health = await timedHealth(server.url)
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ status: 'ok' })
    expect(health.milliseconds).toBeLessThan(1000)
    // Two more connections: the cap is reached (fetch may still hold its connection), so at least
    // one of them is refused, with a 503.
    const lines = await Promise.all([rawHealth(server.url), rawHealth(server.url)])
    expect(lines).toContain('HTTP/1.1 503 Service Unavailable')
  }, 60_000)

  it('closes connections stalled in their headers or body once their timeout has passed', async () => {
    const server = await start(framework, SHORT)
    cleanup = server.close
    const stalled = await stallMany(server.url, 20)
    sockets = stalled.map((entry) => entry.socket)
    // 1 s for headers, 2 s for a whole request, checked every 0.5 s: all closed well within 8 s.
    const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 8000).unref())
    const outcome = await Promise.race([Promise.all(stalled.map((entry) => entry.closed)), deadline])
    expect(outcome, 'stalled connections still open after 8 s').not.toBe('late')
    for (const answer of outcome as string[]) expect(answer).toMatch(/^HTTP\/1\.1 408 /)
  }, 30_000)

  it('answers a connection beyond the cap with 503, JSON and Retry-After, and serves again below it', async () => {
    const server = await start(framework, { HTTP_MAX_CONNECTIONS: '20' })
    cleanup = server.close
    const stalled = await stallMany(server.url, 20)
    sockets = stalled.map((entry) => entry.socket)
    const refused = await fetch(new URL('/health', server.url))
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toEqual({
      status_code: 503,
      error: 'Service Unavailable',
      description: 'Too many open connections: try again shortly',
    })
    for (const entry of stalled) entry.socket.destroy()
    await Promise.all(stalled.map((entry) => entry.closed))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await timedHealth(server.url)).status).toBe(200)
  })
})

describe('HTTP limits from the environment', () => {
  it('has defaults in seconds, and reads every HTTP_* variable', async () => {
    const { readHttpLimits, DEFAULT_HTTP_LIMITS } = await import('../../server/http-limits.js')
    expect(readHttpLimits({})).toEqual(DEFAULT_HTTP_LIMITS)
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      headersTimeout: 10,
      requestTimeout: 15,
      keepAliveTimeout: 5,
      idleTimeout: 30,
      maxConnections: 4096,
    })
    expect(
      readHttpLimits({
        HTTP_HEADERS_TIMEOUT: '2',
        HTTP_REQUEST_TIMEOUT: '3.5',
        HTTP_KEEP_ALIVE_TIMEOUT: '1',
        HTTP_IDLE_TIMEOUT: '9',
        HTTP_MAX_CONNECTIONS: '100',
      }),
    ).toEqual({
      headersTimeout: 2,
      requestTimeout: 3.5,
      keepAliveTimeout: 1,
      idleTimeout: 9,
      maxConnections: 100,
    })
  })

  it.each([
    [{ HTTP_REQUEST_TIMEOUT: '0' }, /HTTP_REQUEST_TIMEOUT must be a number of seconds above 0/],
    [{ HTTP_IDLE_TIMEOUT: '15m' }, /HTTP_IDLE_TIMEOUT must be a number of seconds/],
    [{ HTTP_MAX_CONNECTIONS: '1.5' }, /HTTP_MAX_CONNECTIONS must be a whole number/],
    [
      { HTTP_HEADERS_TIMEOUT: '20' },
      /HTTP_HEADERS_TIMEOUT \(20\) must not exceed HTTP_REQUEST_TIMEOUT \(15\)/,
    ],
  ])('refuses %o at start-up', async (env, message) => {
    const { loadConfig, ConfigError } = await import('../../server/config.js')
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-limits-'))
    try {
      const load = () => loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: 'x'.repeat(40), ...env })
      expect(load).toThrow(ConfigError)
      expect(load).toThrow(message)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
