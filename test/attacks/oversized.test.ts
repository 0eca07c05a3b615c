/**
 * Oversized tokens and headers. The token size is checked first, before any decoding (default
 * 8192 characters): a large token costs a length comparison. Beyond what the HTTP server itself
 * accepts (Node's 16 KiB of headers), the framework answers a clean 431 and keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  API,
  type AttackRow,
  b64url,
  codeOf,
  FRAMEWORKS,
  HS256,
  hs,
  type ListeningApp,
  listenApp,
  rawAuthorizationRequest,
  rawRequest,
  runAttackTable,
  seedClaims,
} from './support.js'

const valid = hs(HS256, seedClaims())
const [header, payload, signature] = valid.split('.') as [string, string, string]
/** A well-formed token of exactly `length` characters (its payload padded), HS256-signed. */
function tokenOfLength(length: number): string {
  const base = hs(HS256, seedClaims({ pad: '' }))
  const padChars = Math.ceil(((length - base.length) * 3) / 4)
  for (let pad = Math.max(0, padChars - 4); ; pad++) {
    const candidate = hs(HS256, seedClaims({ pad: 'p'.repeat(pad) }))
    if (candidate.length === length) return candidate
    if (candidate.length > length) return `${candidate.slice(0, length - 1)}A`
  }
}

describe('oversized tokens (CWE-400; no advisory against the JS libraries): refused before decoding', () => {
  const rows: AttackRow[] = [
    {
      name: 'a token of 8193 characters',
      token: `${header}.${payload}.${signature}${'A'.repeat(8193 - valid.length)}`,
      code: 'ERR_TOKEN_TOO_LARGE',
    },
    {
      name: 'a token of 9000 characters, all in the payload',
      token: `${header}.${'A'.repeat(9000)}.${signature}`,
      code: 'ERR_TOKEN_TOO_LARGE',
    },
    {
      name: 'a token of 9000 characters, all in the header',
      token: `${'A'.repeat(9000)}.${payload}.${signature}`,
      code: 'ERR_TOKEN_TOO_LARGE',
    },
    { name: 'a 9000-character string of dots', token: '.'.repeat(9000), code: 'ERR_TOKEN_TOO_LARGE' },
  ]
  runAttackTable(rows)

  it('a token of exactly 8192 characters is within the limit (it fails on its signature, not its size)', () => {
    const token = tokenOfLength(8192)
    expect(token.length).toBe(8192)
    expect(['OK', 'ERR_SIGNATURE_INVALID', 'ERR_TOKEN_MALFORMED']).toContain(codeOf(() => API.verify(token)))
    expect(codeOf(() => API.verify(`${token}A`))).toBe('ERR_TOKEN_TOO_LARGE')
  })

  it('a 16 MiB token is refused in well under a millisecond per call (no decoding, no copying)', () => {
    const huge = `${header}.${'A'.repeat(16 * 1024 * 1024)}.${signature}`
    const started = process.hrtime.bigint()
    for (let i = 0; i < 100; i++) expect(codeOf(() => API.verify(huge))).toBe('ERR_TOKEN_TOO_LARGE')
    expect(Number(process.hrtime.bigint() - started) / 1e6 / 100).toBeLessThan(1)
  })

  it('a header nested 3000 deep, within the size limit and unsigned, is parsed without a stack overflow', () => {
    const nested = `{"alg":"HS256","x":${'['.repeat(3000)}${']'.repeat(3000)}}`
    const token = `${b64url(nested)}.${payload}.${signature}`
    expect(token.length).toBeLessThan(8192)
    expect(codeOf(() => API.verify(token))).toBe('ERR_SIGNATURE_INVALID')
  })

  it('a header with 600 members, unsigned: ERR_SIGNATURE_INVALID', () => {
    const members = Array.from({ length: 600 }, (_, i) => `"m${i}":0`).join(',')
    const token = `${b64url(`{"alg":"HS256",${members}}`)}.${payload}.${signature}`
    expect(token.length).toBeLessThan(8192)
    expect(codeOf(() => API.verify(token))).toBe('ERR_SIGNATURE_INVALID')
  })
})

describe.each(FRAMEWORKS)('oversized headers over a real socket: %s', (framework) => {
  let app: ListeningApp
  beforeAll(async () => {
    app = await listenApp(framework)
  })
  afterAll(async () => {
    await app?.close()
  })

  it('a 9 KiB token (under the server header limit): 401 "Token is too large"', async () => {
    const response = await rawAuthorizationRequest(app, `JWT ${'A'.repeat(9 * 1024)}`)
    expect(response.status).toBe(401)
    expect(JSON.parse(response.body)).toMatchObject({
      error: 'Invalid token',
      description: 'Token is too large',
    })
  })

  it('a 20 KiB Authorization header: a clean 431 from the HTTP server, then business as usual', async () => {
    const token = `${header}.${'A'.repeat(20 * 1024)}.${signature}`
    const response = await rawAuthorizationRequest(app, `JWT ${token}`)
    expect(response.status).toBe(431)
    expect(response.body).not.toContain(signature)
    const health = await rawRequest(app, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1')
    expect(health.status).toBe(200)
  })

  it('two hundred 100-byte headers besides the token: a 431, not a crash', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${'f'.repeat(100)}`).join('\r\n')
    const response = await rawRequest(
      app,
      `GET /api/v1/private HTTP/1.1\r\nHost: 127.0.0.1\r\n${many}\r\nAuthorization: JWT ${valid}`,
    )
    expect(response.status).toBe(431)
    expect((await rawRequest(app, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1')).status).toBe(200)
  })
})
