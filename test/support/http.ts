/**
 * HTTP plumbing of the tests, independent of the reference server: the response shape the suites
 * read, one in-process client per framework (Fastify's inject, Hono's `app.request()`, a fetch
 * handler called with a `Request`, Node's own HTTP client and server joined in memory for
 * Express), a client over a real socket, and listen helpers on a free loopback port that mount
 * what the test gives them and nothing else (no server/ policies).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import type { FastifyInstance } from 'fastify'
import type { Hono } from 'hono'

export const TEST_SECRET = 'test-secret-with-at-least-32-bytes-of-entropy'

export interface TestResponse {
  status: number
  headers: Record<string, string>
  text: string
  json(): unknown
}

export interface RequestInit {
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** Sends one request and reads the whole response. */
export type TestClient = (method: string, path: string, init?: RequestInit) => Promise<TestResponse>

export function toTestResponse(status: number, headers: Record<string, string>, text: string): TestResponse {
  return {
    status,
    headers,
    text,
    json: () => JSON.parse(text),
  }
}

/** Sends a request over a real socket with fetch. */
export async function socketRequest(
  baseUrl: string,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<TestResponse> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return toTestResponse(response.status, headers, await response.text())
}

function headerRecord(headers: Record<string, unknown>): Record<string, string> {
  const record: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
  }
  return record
}

/** Fastify's own in-process client, `inject`. */
export function injectClient(app: Pick<FastifyInstance, 'inject'>): TestClient {
  return async (method, path, init = {}) => {
    const response = await app.inject({
      method: method as 'GET',
      url: path,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { payload: Buffer.from(init.body) }),
    })
    return toTestResponse(response.statusCode, headerRecord(response.headers), response.body)
  }
}

/** Hono's own in-process client, `app.request()`. */
export function honoClient(app: Pick<Hono, 'request'>): TestClient {
  return fetchClient((request) => app.request(request))
}

/** A fetch handler called with a `Request` built in process: no socket, no Node HTTP parser. */
export function fetchClient(fetch: (request: Request) => Response | Promise<Response>): TestClient {
  return async (method, path, init = {}) => {
    const response = await fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: init.headers ?? {},
        ...(init.body === undefined ? {} : { body: init.body }),
      }),
    )
    return toTestResponse(
      response.status,
      Object.fromEntries(response.headers.entries()),
      await response.text(),
    )
  }
}

/** Two connected in-memory streams: what one side writes, the other reads. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = []
  for (const index of [0, 1]) {
    sides.push(
      new Duplex({
        read() {},
        write(chunk, _encoding, callback) {
          sides[1 - index]?.push(chunk)
          callback()
        },
        final(callback) {
          sides[1 - index]?.push(null)
          callback()
        },
      }),
    )
  }
  return sides as [Duplex, Duplex]
}

/**
 * Express has no inject of its own (light-my-request rewrites Express's shared request prototype,
 * which breaks real sockets in the same process). So: Node's own HTTP server and client, joined
 * by an in-memory stream instead of a socket; no port, the real parser on both sides.
 */
export function inMemoryClient(listener: RequestListener): TestClient {
  const server = createServer(listener)
  return (method, path, init = {}) =>
    new Promise((resolve, reject) => {
      const [clientSide, serverSide] = duplexPair()
      server.emit('connection', serverSide)
      const body = init.body === undefined ? undefined : Buffer.from(init.body)
      const headers: Record<string, string> = { connection: 'close', ...init.headers }
      if (body !== undefined) headers['content-length'] = String(body.byteLength)
      const req = httpRequest(
        { method, path, headers, createConnection: () => clientSide },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve(toTestResponse(response.statusCode ?? 0, headerRecord(response.headers), text))
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
}

/** A started Node server on loopback: its `http://127.0.0.1:port` address and a close that waits. */
export interface Listening {
  address: string
  server: Server
  close(): Promise<void>
}

/** Serves a Node request listener (an Express app) on a free loopback port, with Node's defaults. */
export function listenNode(listener: RequestListener): Promise<Listening> {
  const server = createServer(listener)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        address: `http://127.0.0.1:${port}`,
        server,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()))
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** The app as @hono/node-server calls it: the request, then its bindings (`incoming`, `outgoing`). */
export type NodeFetch = (request: Request, bindings?: unknown) => Response | Promise<Response>

/** Serves a fetch handler (a Hono app's `fetch`, a `jwtguard/fetch` app) on a free loopback port. */
export function listenFetch(fetch: NodeFetch): Promise<Listening> {
  return listenNode(getRequestListener(fetch))
}

/** The socket's address from @hono/node-server's bindings, for the login limiter of `jwtguard/fetch`. */
export function nodeRemoteAddress(_request: Request, bindings?: unknown): string | undefined {
  const address = (bindings as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming
    ?.socket?.remoteAddress
  return typeof address === 'string' ? address : undefined
}
