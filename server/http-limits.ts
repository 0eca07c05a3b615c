/**
 * The reference server's connection layer: timeouts in seconds for headers, whole requests and
 * idle keep-alive connections, and a cap on concurrent connections with a clear refusal (`503`,
 * the contract's JSON, `Retry-After`). Shared by the three frameworks: each builds its Node HTTP
 * server with {@link nodeServerOptions} and calls {@link capConnections} on it. The `HTTP_*`
 * variables are read with the rest of the environment (src/config/http-limits.ts).
 */
import type { Server, ServerOptions } from 'node:http'
import type { Socket } from 'node:net'
import type { HttpLimits } from '../src/config/http-limits.js'

export {
  DEFAULT_HTTP_LIMITS,
  HTTP_LIMIT_VARIABLES,
  type HttpLimits,
  readHttpLimits,
} from '../src/config/http-limits.js'

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
