/**
 * Issue 18: a login body streamed past the limit is refused with 413, and the connection it came
 * on stays usable or is closed as announced. Found on NestJS: the next request on the same
 * keep-alive connection got ECONNRESET after about 6 s (nest-express) or no answer at all
 * (nest-fastify), because the body reader stopped midway and left the rest of the body in the
 * socket. Raw sockets, so nothing (no client's retry, no new connection) hides it.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildExpressApp, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildFetchApp, listenFetch } from '../../server/apps/fetch.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import { buildNestApp, listenNest } from '../../server/apps/nest.js'
import type { ServerContext } from '../../server/context.js'
import { createTestContext } from '../support/server.js'

type Listen = (context: ServerContext) => Promise<{ address: string; close(): Promise<unknown> }>

const LISTEN: Record<string, Listen> = {
  fastify: async (context) => {
    const app = await buildFastifyApp(context)
    return { address: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() }
  },
  express: async (context) => listenExpress(buildExpressApp(context), 0, '127.0.0.1'),
  hono: async (context) => listenHono(buildHonoApp(context), 0, '127.0.0.1'),
  fetch: async (context) => listenFetch(buildFetchApp(context), 0, '127.0.0.1'),
  'nest-express': async (context) => listenNest(await buildNestApp(context, 'express'), 0, '127.0.0.1'),
  'nest-fastify': async (context) => listenNest(await buildNestApp(context, 'fastify'), 0, '127.0.0.1'),
}

interface Answer {
  status: number
  headers: Record<string, string>
  body: string
}

/** One connection, read as a sequence of answers (each with its Content-Length body). */
class Connection {
  readonly #socket: Socket
  #buffer = Buffer.alloc(0)
  #closed = false
  #wake: (() => void) | undefined

  constructor(url: URL) {
    this.#socket = connect(Number(url.port), url.hostname)
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#wake?.()
    })
    this.#socket.on('error', () => {})
    this.#socket.on('close', () => {
      this.#closed = true
      this.#wake?.()
    })
  }

  write(data: string): void {
    this.#socket.write(data)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Waits for the connection to close: what a server that said `Connection: close` must do. */
  async closing(): Promise<void> {
    while (!this.#closed) await new Promise<void>((resolve) => (this.#wake = resolve))
  }

  /** The next whole answer; `undefined` when the server closes first. */
  async answer(): Promise<Answer | undefined> {
    for (;;) {
      const parsed = this.#parse()
      if (parsed !== undefined) return parsed
      if (this.#closed) return undefined
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
  }

  #parse(): Answer | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n')
    if (end === -1) return undefined
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n')
    const headers = Object.fromEntries(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    )
    const length = Number(headers['content-length'] ?? 0)
    if (this.#buffer.length < end + 4 + length) return undefined
    const body = this.#buffer.subarray(end + 4, end + 4 + length).toString('utf8')
    this.#buffer = this.#buffer.subarray(end + 4 + length)
    return { status: Number(statusLine.split(' ')[1]), headers, body }
  }

  destroy(): void {
    this.#socket.destroy()
  }
}

const LAST_CHUNK = '0\r\n\r\n'

/** A chunked login body past `size` bytes: whole (its last chunk sent) or still open. */
function streamedLogin(size: number, whole: boolean): string {
  const chunk = `"${'x'.repeat(1022)}",`
  let body = `${(13).toString(16)}\r\n{"username":[\r\n`
  for (let sent = 0; sent <= size + 4096; sent += chunk.length)
    body += `${chunk.length.toString(16)}\r\n${chunk}\r\n`
  const head =
    'POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
  return `${head}${body}${whole ? LAST_CHUNK : ''}`
}

describe.each(Object.keys(LISTEN))(
  'a login body streamed past the limit, then another request: %s',
  (framework) => {
    let url: URL
    let limit: number
    let close: () => Promise<void>

    beforeAll(async () => {
      const { context, cleanup } = await createTestContext()
      const listening = await (LISTEN[framework] as Listen)(context)
      url = new URL(listening.address)
      limit = context.guard.options.bodyLimit
      close = async () => {
        await listening.close()
        await cleanup()
      }
    })
    afterAll(async () => {
      await close?.()
    })

    it.each([
      ['sent whole', true],
      ['still open when the answer comes', false],
    ])(
      '%s: 413, then the next request is served or the connection closed as announced',
      async (_name, whole) => {
        const connection = new Connection(url)
        try {
          connection.write(streamedLogin(limit, whole))
          const refused = await connection.answer()
          expect(refused?.status).toBe(413)
          expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({
            status_code: 413,
            error: 'Payload Too Large',
          })
          if (refused?.headers.connection === 'close') {
            // Announced: the server closes, and a client knows to open a new connection.
            await connection.closing()
            return
          }
          // Kept alive: the rest of the body, then the next request on it gets its answer.
          connection.write(`${whole ? '' : LAST_CHUNK}GET /health HTTP/1.1\r\nHost: x\r\n\r\n`)
          const next = await connection.answer()
          expect(next?.status).toBe(200)
        } finally {
          connection.destroy()
        }
      },
    )
  },
)
