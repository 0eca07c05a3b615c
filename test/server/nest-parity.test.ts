/**
 * Issue 18: the reference server on NestJS answers byte for byte as on the plain adapter of its
 * platform (status, headers, body) on the contract's refusals. A test of the server's apps
 * (server/apps/nest.ts against server/apps/express.ts and fastify.ts), moved here from
 * test/adapters/nest.test.ts when the adapter tests stopped importing server/ (issue 16).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APPS } from '../support/apps.js'
import type { TestApp, TestResponse } from '../support/server.js'
import { TEST_SECRET } from '../support/server.js'
import { flaskPayload, mint } from '../support/tokens.js'

const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
const UNSTABLE_HEADERS = new Set(['date', 'connection', 'keep-alive'])
const now = Math.floor(Date.now() / 1000)
const forged = mint(flaskPayload(now), { secret: 'another-secret-with-at-least-32-bytes!!' })
const expired = mint(flaskPayload(now - 400), { secret: TEST_SECRET })

/** The requests whose answers must not depend on the framework; `token` is the app's seed token. */
const ROWS: Array<[string, string, string, (token: string) => Record<string, string>, string?]> = [
  ['no token', 'GET', '/api/v1/private', () => ({})],
  ['another scheme', 'GET', '/api/v1/private', () => ({ authorization: 'Bearer abc' })],
  ['JWT alone', 'GET', '/api/v1/private', () => ({ authorization: 'JWT' })],
  ['JWT a b', 'GET', '/api/v1/me', () => ({ authorization: 'JWT a b' })],
  ['a bad signature', 'GET', '/api/v1/private', () => ({ authorization: `JWT ${forged}` })],
  ['an expired token', 'GET', '/api/v1/me', () => ({ authorization: `JWT ${expired}` })],
  ['a missing role (403)', 'GET', '/api/v1/admin', (token) => ({ authorization: `JWT ${token}` })],
  ['HEAD without a token', 'HEAD', '/api/v1/private', () => ({})],
  ['malformed JSON', 'POST', '/auth', () => ({ 'content-type': 'application/json' }), '{"username":'],
  ['text/plain', 'POST', '/auth', () => ({ 'content-type': 'text/plain' }), SEED_LOGIN],
  ['no body', 'POST', '/auth', () => ({ 'content-type': 'application/json' })],
  [
    'a wrong password',
    'POST',
    '/auth',
    () => ({ 'content-type': 'application/json' }),
    '{"username":"masnun","password":"x"}',
  ],
  [
    'a body over the limit',
    'POST',
    '/auth',
    () => ({ 'content-type': 'application/json' }),
    'x'.repeat(17_000),
  ],
  ['GET /auth (405)', 'GET', '/auth', () => ({})],
  ['POST /api/v1/private (405)', 'POST', '/api/v1/private', () => ({})],
  ['PROPFIND /auth (405)', 'PROPFIND', '/auth', () => ({})],
  ['an unknown route', 'GET', '/nope', () => ({})],
  ['a trailing slash', 'GET', '/health/', () => ({})],
]

function comparable(response: TestResponse) {
  const headers = Object.entries(response.headers).filter(([name]) => !UNSTABLE_HEADERS.has(name))
  return { status: response.status, headers: Object.fromEntries(headers.sort()), body: response.text }
}

async function seedToken(app: TestApp): Promise<string> {
  const login = await app.request('POST', '/auth', {
    headers: { 'content-type': 'application/json' },
    body: SEED_LOGIN,
  })
  return (login.json() as { access_token: string }).access_token
}

describe('the reference server on NestJS answers byte for byte as the adapter of its platform', () => {
  // Pairs: each Nest platform against the plain adapter on the same platform (a HEAD answer keeps
  // the GET's Content-Length on Fastify, not on Express: the platform's doing, not the adapter's).
  const names = [
    'express (in-memory)',
    'nest-express (in-memory)',
    'fastify (inject)',
    'nest-fastify (inject)',
  ] as const
  const apps: TestApp[] = []
  const tokens: string[] = []
  beforeAll(async () => {
    for (const name of names) {
      const app = await (APPS.find((entry) => entry.name === name)?.create() as Promise<TestApp>)
      apps.push(app)
      tokens.push(await seedToken(app))
    }
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
  })

  it.each(ROWS)('%s', async (_name, method, path, headers, body) => {
    const answers = await Promise.all(
      apps.map(async (app, index) =>
        comparable(
          await app.request(method, path, {
            headers: headers(tokens[index] as string),
            ...(body === undefined ? {} : { body }),
          }),
        ),
      ),
    )
    const [express, nestExpress, fastify, nestFastify] = answers
    expect(express?.status).toBeGreaterThanOrEqual(400)
    expect(nestExpress).toEqual(express)
    expect(nestFastify).toEqual(fastify)
    if (method !== 'HEAD') expect(fastify).toEqual(express)
  })
})
