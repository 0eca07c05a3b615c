/**
 * A real JWKS endpoint for tests: node:http on 127.0.0.1, port 0. The served document, status and
 * delay can be changed at any time; requests are counted.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface JwksServer {
  url: string
  /** Requests received so far. */
  readonly requests: number
  /** Replaces the served body (an object is serialised as JSON). */
  serve(body: unknown): void
  /** HTTP status to answer with. */
  status: number
  /** Milliseconds to wait before answering; `Infinity` never answers. */
  delayMs: number
  close(): Promise<void>
}

export async function startJwksServer(initial: unknown = { keys: [] }): Promise<JwksServer> {
  let body = JSON.stringify(initial)
  let requests = 0
  const pending = new Set<NodeJS.Timeout>()
  const state = { status: 200, delayMs: 0 }
  const server: Server = createServer((request, response) => {
    requests += 1
    request.resume()
    const answer = () => {
      response.writeHead(state.status, { 'content-type': 'application/json' })
      response.end(body)
    }
    if (state.delayMs === Number.POSITIVE_INFINITY) return
    if (state.delayMs === 0) return answer()
    const timer = setTimeout(() => {
      pending.delete(timer)
      answer()
    }, state.delayMs)
    pending.add(timer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests
    },
    serve(next) {
      body = typeof next === 'string' ? next : JSON.stringify(next)
    },
    get status() {
      return state.status
    },
    set status(value) {
      state.status = value
    },
    get delayMs() {
      return state.delayMs
    },
    set delayMs(value) {
      state.delayMs = value
    },
    async close() {
      for (const timer of pending) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
