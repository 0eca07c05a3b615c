/**
 * Issue 17 item 7: the answers Node gives before any framework sees a request (a request it
 * cannot parse, headers too large, a request that did not arrive in time) come with the
 * contract's JSON body on every framework, instead of an empty body (Express, Hono) or Fastify's
 * own shape.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildExpressApp, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import type { Framework } from '../../server/config.js'
import { createTestContext } from '../support/server.js'

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** Writes `request` on a new connection and parses what comes back before the server closes it. */
function raw(url: URL, request: string | Buffer, keepOpen = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const status = Number(statusLine.split(' ')[1])
      if (!Number.isInteger(status)) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`))
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      )
      resolve({ status, headers, body: rest.join('\r\n\r\n') })
    })
    socket.write(request)
    if (!keepOpen) socket.end()
  })
}

describe.each<Framework>(['fastify', 'express', 'hono'])("Node's own error answers on %s", (framework) => {
  let url: URL
  let close: () => Promise<void>

  beforeAll(async () => {
    const { context, cleanup } = await createTestContext({
      HTTP_HEADERS_TIMEOUT: '1',
      HTTP_REQUEST_TIMEOUT: '1',
    })
    const limits = context.config.httpLimits
    let listening: { address: string; close(): Promise<void> }
    if (framework === 'express')
      listening = await listenExpress(buildExpressApp(context), 0, '127.0.0.1', limits)
    else if (framework === 'hono') listening = await listenHono(buildHonoApp(context), 0, '127.0.0.1', limits)
    else {
      const app = await buildFastifyApp(context)
      listening = { address: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() }
    }
    url = new URL(listening.address)
    close = async () => {
      await listening.close()
      await cleanup()
    }
  })
  afterAll(async () => {
    await close?.()
  })

  const expectContract = (answer: RawAnswer, status: number, error: string) => {
    expect(answer.status).toBe(status)
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(answer.headers.connection).toBe('close')
    const body = JSON.parse(answer.body) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['description', 'error', 'status_code'])
    expect(body).toMatchObject({ status_code: status, error })
  }

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nno-colon\r\n\r\n'],
    ['a bad Content-Length', 'POST /auth HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    [
      'two Content-Lengths that disagree',
      'POST /auth HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    ],
    ['a control character in a header value', 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n'],
  ])('answers %s with a JSON 400', async (_name, request) => {
    expectContract(await raw(url, request), 400, 'Bad Request')
  })

  it('answers headers over the size limit with a JSON 431', async () => {
    const request = `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`
    expectContract(await raw(url, request), 431, 'Request Header Fields Too Large')
  })

  it('answers a request that stalls past its timeout with a JSON 408', async () => {
    const answer = await raw(url, 'POST /auth HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"u', true)
    expectContract(answer, 408, 'Request Timeout')
  })
})
