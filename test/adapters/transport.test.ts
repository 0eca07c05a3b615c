/**
 * What only a real socket shows, on every framework: a body streamed without Content-Length is cut
 * off at the limit, and the login limiter sees the peer's address.
 */
import { request as httpRequest } from 'node:http'
import type { JwtGuard, LoginAttempt, LoginLimiter } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { FRAMEWORKS, makeGuard, type TestServer } from './fixtures.js'

const noContent = async () => ({})

/** POSTs `chunks` with chunked transfer encoding (no Content-Length); resolves on the response. */
function streamChunks(address: string, path: string, chunks: readonly string[]) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(new URL(path, address), {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
    })
    req.on('response', (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    // The server may answer and close before the last chunk: that is the point.
    req.on('error', (error) => {
      if (!req.writableFinished) return
      reject(error)
    })
    let index = 0
    const writeNext = () => {
      const chunk = chunks[index++]
      if (chunk === undefined) req.end()
      else req.write(chunk, () => setImmediate(writeNext))
    }
    writeNext()
  })
}

async function withServer(
  framework: (typeof FRAMEWORKS)[number],
  guard: JwtGuard<unknown>,
  run: (server: TestServer & { address: string }) => Promise<void>,
): Promise<void> {
  const server = await framework.start(guard, noContent, 'socket')
  try {
    if (server.address === undefined) throw new Error('no socket address')
    await run({ ...server, address: server.address })
  } finally {
    await server.close()
  }
}

function recordingLimiter(attempts: LoginAttempt[]): LoginLimiter {
  return {
    check: async (attempt) => {
      attempts.push(attempt)
    },
    recordFailure: async () => {},
    recordSuccess: async () => {},
  }
}

describe.each(FRAMEWORKS)('$name over a socket', (framework) => {
  it('answers 413 for a body streamed past the limit without Content-Length', async () => {
    await withServer(framework, makeGuard(), async ({ address }) => {
      const chunks = ['{"username":"masnun","password":"', ...Array<string>(17).fill('x'.repeat(1024)), '"}']
      const response = await streamChunks(address, '/auth', chunks)
      expect(response.status).toBe(413)
      expect(JSON.parse(response.body)).toEqual({
        status_code: 413,
        error: 'Payload Too Large',
        description: 'Request body exceeds 16384 bytes',
      })
    })
  })

  it('accepts a login streamed in chunks under the limit', async () => {
    await withServer(framework, makeGuard(), async ({ address }) => {
      const response = await streamChunks(address, '/auth', [
        '{"username":',
        '"masnun","password"',
        ':"abc123"}',
      ])
      expect(response.status).toBe(200)
      expect(Object.keys(JSON.parse(response.body))).toEqual(['access_token'])
    })
  })

  it.each([
    ['the socket address', false, {}, '127.0.0.1'],
    ['X-Forwarded-For behind one trusted proxy', true, { 'x-forwarded-for': '203.0.113.9' }, '203.0.113.9'],
  ])('gives the login limiter %s', async (_name, trustProxy, headers, clientAddress) => {
    const attempts: LoginAttempt[] = []
    const guard = makeGuard({ loginLimiter: recordingLimiter(attempts), trustProxy })
    await withServer(framework, guard, async ({ request }) => {
      const response = await request('POST', '/auth', {
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
      })
      expect(response.status).toBe(200)
      expect(attempts).toEqual([{ username: 'masnun', clientAddress }])
    })
  })
})
