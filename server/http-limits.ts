/**
 * The reference server's connection layer: timeouts in seconds for headers, whole requests and
 * idle keep-alive connections, and a cap on concurrent connections with a clear refusal (`503`,
 * the contract's JSON, `Retry-After`). Shared by the three frameworks: each builds its Node HTTP
 * server with {@link nodeServerOptions} and calls {@link capConnections} on it.
 */
import type { Server, ServerOptions } from 'node:http'
import type { Socket } from 'node:net'

/** The limits, in seconds (and a count of connections). */
export interface HttpLimits {
  /** Seconds to receive a request's headers. @default 10 */
  headersTimeout: number
  /** Seconds to receive a whole request, headers and body (16 KiB at most). @default 15 */
  requestTimeout: number
  /** Seconds an idle keep-alive connection stays open after a response. @default 5 */
  keepAliveTimeout: number
  /** Seconds a connection may stay silent in either direction (a client that does not read). @default 30 */
  idleTimeout: number
  /** Connections open at once; the next ones get a `503` and are closed. @default 4096 */
  maxConnections: number
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  headersTimeout: 10,
  requestTimeout: 15,
  keepAliveTimeout: 5,
  idleTimeout: 30,
  maxConnections: 4096,
})

/** The environment variable of each limit. */
export const HTTP_LIMIT_VARIABLES: Readonly<Record<keyof HttpLimits, string>> = Object.freeze({
  headersTimeout: 'HTTP_HEADERS_TIMEOUT',
  requestTimeout: 'HTTP_REQUEST_TIMEOUT',
  keepAliveTimeout: 'HTTP_KEEP_ALIVE_TIMEOUT',
  idleTimeout: 'HTTP_IDLE_TIMEOUT',
  maxConnections: 'HTTP_MAX_CONNECTIONS',
})

/**
 * The limits from the environment (seconds; a whole number of connections), defaults for the
 * unset ones. Returns the message of the first invalid one instead of throwing, so the caller
 * raises its own configuration error.
 */
export function readHttpLimits(env: NodeJS.ProcessEnv): HttpLimits | string {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS }
  for (const key of Object.keys(HTTP_LIMIT_VARIABLES) as (keyof HttpLimits)[]) {
    const name = HTTP_LIMIT_VARIABLES[key]
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    const valid =
      key === 'maxConnections' ? Number.isInteger(value) && value >= 1 : value > 0 && value <= 3600
    if (!valid) {
      return key === 'maxConnections'
        ? `${name} must be a whole number of connections >= 1, such as ${DEFAULT_HTTP_LIMITS[key]}, got "${raw}"`
        : `${name} must be a number of seconds above 0 and at most 3600, such as ${DEFAULT_HTTP_LIMITS[key]}, got "${raw}"`
    }
    limits[key] = value
  }
  if (limits.headersTimeout > limits.requestTimeout) {
    return `${HTTP_LIMIT_VARIABLES.headersTimeout} (${limits.headersTimeout}) must not exceed ${HTTP_LIMIT_VARIABLES.requestTimeout} (${limits.requestTimeout})`
  }
  return limits
}

/**
 * Options of `http.createServer` for `limits`. Node checks the header and request timeouts every
 * `connectionsCheckingInterval` (30 s by default): here every second, or faster for shorter timeouts.
 */
export function nodeServerOptions(limits: HttpLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeout * 1000,
    requestTimeout: limits.requestTimeout * 1000,
    keepAliveTimeout: limits.keepAliveTimeout * 1000,
    connectionsCheckingInterval: Math.min(1000, (limits.headersTimeout * 1000) / 2),
  }
}

const REFUSAL_BODY = JSON.stringify({
  status_code: 503,
  error: 'Service Unavailable',
  description: 'Too many open connections: try again shortly',
})
const REFUSAL = [
  'HTTP/1.1 503 Service Unavailable',
  'Content-Type: application/json; charset=utf-8',
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}`,
  'Retry-After: 1',
  'Cache-Control: no-store',
  'Connection: close',
  '',
  REFUSAL_BODY,
].join('\r\n')

/**
 * Applies `limits` to a Node HTTP server that is not yet listening: the timeouts (again, as a
 * framework may have set its own), and the connection cap. Beyond the cap a connection is
 * answered `503` before any of its bytes are read, and closed.
 */
export function capConnections(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeout * 1000
  server.requestTimeout = limits.requestTimeout * 1000
  server.keepAliveTimeout = limits.keepAliveTimeout * 1000
  server.setTimeout(limits.idleTimeout * 1000)
  // Node's own connection listener (and any other) runs only for connections under the cap.
  const listeners = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  let open = 0
  server.on('connection', function gate(this: Server, socket: Socket) {
    if (open >= limits.maxConnections) {
      socket.on('error', () => socket.destroy())
      socket.setTimeout(1000, () => socket.destroy())
      // Read and drop what the client sent, so the close is a FIN after the answer, not a reset.
      socket.resume()
      socket.end(REFUSAL)
      return
    }
    open += 1
    socket.once('close', () => {
      open -= 1
    })
    for (const listener of listeners) listener.call(this, socket)
  })
}
