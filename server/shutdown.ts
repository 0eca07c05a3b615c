/**
 * Process life of the reference server: SIGTERM and SIGINT start one graceful shutdown (requests
 * in flight finish and every response closes its connection; once none is left the server
 * closes), bounded by a deadline after which every connection is closed; repeated
 * signals (a process manager, `tsx` or npm re-sending one) do not restart or cut it short. SIGHUP
 * reloads the keys and never kills the process. Under `npm start`, a server whose parent (npm)
 * died shuts down too instead of serving on as an orphan.
 */
import type { Server } from 'node:http'
import type { Logger } from 'pino'

export interface ProcessLifeOptions {
  /** The HTTP server: its connections are swept and, at the deadline, closed. */
  server: Server
  /** Stops accepting and resolves once the requests in flight have finished. */
  close(): Promise<void>
  /** Releases the backends (stores, clients) once the HTTP server is closed. */
  release(): Promise<void>
  /** What SIGHUP does (reload the key directory). */
  reload(): void
  /** Milliseconds the shutdown may take before open connections are closed. */
  timeoutMs: number
  logger: Logger
  /** @default process.exit */
  exit?: ((code: number) => void) | undefined
}

/** Milliseconds between drain checks, and between parent checks. */
const CHECK_MS = 50
const PARENT_CHECK_MS = 500
/** Milliseconds without a request in flight after which the drain is over. */
const QUIET_MS = 300
/** Extra time after the deadline for the backends to close before the process exits anyway. */
const RELEASE_GRACE_MS = 2000

/**
 * Starts tracking requests in flight; while draining, every response closes its connection.
 * The listener stays open while draining: closing it would reset the connections the kernel has
 * accepted but the server has not read yet, and `closeIdleConnections` would cut connections
 * whose request has not arrived yet. Both are requests a client sent.
 */
function trackRequests(server: Server): { inFlight(): number; drain(): void } {
  let inFlight = 0
  let draining = false
  server.prependListener('request', (_request, response) => {
    inFlight += 1
    response.once('close', () => {
      inFlight -= 1
    })
    if (draining) response.setHeader('connection', 'close')
  })
  return {
    inFlight: () => inFlight,
    drain: () => {
      draining = true
    },
  }
}

/** Resolves once no request has been in flight for {@link QUIET_MS}, or at `deadline`. */
function drained(requests: { inFlight(): number }, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    let quietSince = performance.now()
    const timer = setInterval(() => {
      const at = performance.now()
      if (requests.inFlight() > 0) quietSince = at
      if (at - quietSince >= QUIET_MS || at >= deadline) {
        clearInterval(timer)
        resolve(requests.inFlight() === 0)
      }
    }, CHECK_MS)
  })
}

export function manageProcessLife(options: ProcessLifeOptions): { shutdown(reason: string): void } {
  const { server, logger, timeoutMs } = options
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const requests = trackRequests(server)
  let shuttingDown = false

  async function stop(): Promise<number> {
    const complete = await drained(requests, performance.now() + timeoutMs)
    if (!complete) logger.warn({ timeoutMs }, 'shutdown deadline passed: closing the connections still open')
    const closing = options.close()
    // Every request has ended (or the deadline passed): nothing left to wait for.
    server.closeAllConnections()
    await closing
    setTimeout(() => exit(1), RELEASE_GRACE_MS).unref()
    await options.release()
    return complete ? 0 : 1
  }

  function shutdown(reason: string): void {
    if (shuttingDown) {
      logger.info({ reason }, 'already shutting down')
      return
    }
    shuttingDown = true
    requests.drain()
    logger.info({ reason, timeoutMs }, 'shutting down: finishing the requests in flight')
    stop().then(exit, (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed')
      exit(1)
    })
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => shutdown(signal))
  process.on('SIGHUP', () => options.reload())
  watchParent(shutdown)
  return { shutdown }
}

/** Under npm (`npm start`), shut down when npm dies instead of serving on as an orphan. */
function watchParent(shutdown: (reason: string) => void): void {
  if (process.env.npm_lifecycle_event === undefined) return
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    shutdown('parent process (npm) exited')
  }, PARENT_CHECK_MS)
  timer.unref()
}
