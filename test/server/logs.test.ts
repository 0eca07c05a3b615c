/**
 * Issue 17 item 4: nothing secret in the logs. A whole session (logins right and wrong, tokens in
 * the header, in cookies with the CSRF header and in the query string, refresh, logout, bad
 * requests) against the reference server on every framework, logging at `trace`; then the logs
 * are searched for every token, password and CSRF value the session used.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { buildExpressApp, type Listening, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import { type Framework, loadConfig } from '../../server/config.js'
import { createServerContext, type ServerContext } from '../../server/context.js'
import { createLogger, redactUrl } from '../../server/logging.js'
import { TEST_SECRET } from '../support/server.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function listen(framework: Framework, context: ServerContext): Promise<Omit<Listening, 'server'>> {
  if (framework === 'express') return listenExpress(buildExpressApp(context), 0, '127.0.0.1')
  if (framework === 'hono') return listenHono(buildHonoApp(context), 0, '127.0.0.1')
  const app = await buildFastifyApp(context)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { address, close: () => app.close() }
}

/** Runs a session against `base`; returns every secret it sent or received. */
async function session(base: string): Promise<string[]> {
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(new URL(path, base), { method, headers, ...(body === undefined ? {} : { body }) })
  const json = { 'content-type': 'application/json' }
  const wrongPassword = 'wrong-password-7f3a9c'
  const brokenPassword = 'broken-json-password-51d2'
  await send('POST', '/auth', json, JSON.stringify({ username: 'masnun', password: wrongPassword }))
  await send('POST', '/auth', json, `{"username":"masnun","password":"${brokenPassword}"`)
  const login = await send('POST', '/auth', json, JSON.stringify({ username: 'masnun', password: 'abc123' }))
  expect(login.status).toBe(200)
  const tokens = (await login.json()) as { access_token: string; refresh_token: string; csrf_token: string }
  const cookies = login.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ')
  const access = tokens.access_token
  expect((await send('GET', '/api/v1/me', { authorization: `JWT ${access}` })).status).toBe(200)
  await send('GET', `/api/v1/me?jwt=${access}&access_token=${access}&page=2`)
  await send('GET', `/api/v1/private?Token=${encodeURIComponent(access)}`)
  await send('GET', `/no/such/route/${access}`, { authorization: `JWT ${access}` })
  await send('GET', '/api/v1/me', { authorization: `JWT ${access}x` })
  expect((await send('GET', '/api/v1/private', { cookie: cookies })).status).toBe(200)
  await send('POST', '/auth/revoke?dry=1', { cookie: cookies, 'x-csrf-token': 'not-the-value' })
  const refreshed = await send(
    'POST',
    '/auth/refresh',
    json,
    JSON.stringify({ refresh_token: tokens.refresh_token }),
  )
  expect(refreshed.status).toBe(200)
  const next = (await refreshed.json()) as { access_token: string; refresh_token: string; csrf_token: string }
  const revoked = await send(
    'POST',
    '/auth/revoke',
    {
      ...json,
      authorization: `JWT ${next.access_token}`,
      cookie: cookies,
      'x-csrf-token': tokens.csrf_token,
    },
    JSON.stringify({ refresh_token: next.refresh_token }),
  )
  expect(revoked.status).toBe(204)
  const signature = (token: string) => token.slice(token.lastIndexOf('.') + 1)
  return [
    'abc123',
    wrongPassword,
    brokenPassword,
    access,
    tokens.refresh_token,
    next.access_token,
    next.refresh_token,
    signature(access),
    signature(tokens.refresh_token),
    tokens.csrf_token,
    next.csrf_token,
    TEST_SECRET,
  ]
}

describe.each<Framework>(['fastify', 'express', 'hono'])('the logs of a whole session on %s', (framework) => {
  it('hold no token, password or CSRF value', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-logs-'))
    dirs.push(dataDir)
    let logs = ''
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        logs += String(chunk)
        callback()
      },
    })
    const context = await createServerContext(
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: TEST_SECRET }),
      createLogger('trace', stream),
    )
    const server = await listen(framework, context)
    let secrets: string[]
    try {
      secrets = await session(server.address)
    } finally {
      await server.close()
      await context.close()
    }
    // The logs are not empty (the check can fail): at least the start-up line.
    expect(logs).toContain('created the demo user')
    if (framework === 'fastify') expect(logs).toContain('"url":"/api/v1/me?jwt=[REDACTED]')
    for (const secret of secrets) {
      expect(logs.includes(secret), `${secret.slice(0, 12)}... is in the ${framework} logs`).toBe(false)
    }
  })
})

describe('redactUrl', () => {
  it.each([
    ['/api/v1/me?jwt=abc&page=2', '/api/v1/me?jwt=[REDACTED]&page=2'],
    ['/x?ACCESS_TOKEN=abc', '/x?ACCESS_TOKEN=[REDACTED]'],
    ['/x?refresh%5Ftoken=abc', '/x?refresh%5Ftoken=[REDACTED]'],
    ['/x?password=p&password=q', '/x?password=[REDACTED]&password=[REDACTED]'],
    ['/x?page=2&q=eyJhbGciOi.eyJzdWIi.c2ln', '/x?page=2&q=[REDACTED]'],
    ['/users/eyJhbGciOi.eyJzdWIi.c2ln/profile', '/users/[REDACTED]/profile'],
    ['/health', '/health'],
    ['/x?%zz=1&token', '/x?%zz=1&token=[REDACTED]'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected)
  })
})

describe('createLogger', () => {
  it('censors headers that a log object carries, and writes a request without its headers', () => {
    let logs = ''
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, callback) {
          logs += String(chunk)
          callback()
        },
      }),
    )
    logger.info({ headers: { authorization: 'JWT header-secret', cookie: 'a=cookie-secret' } }, 'one')
    logger.info(
      { req: { method: 'GET', url: '/x?jwt=query-secret', headers: { authorization: 'JWT req-secret' } } },
      'two',
    )
    expect(logs).toContain('[REDACTED]')
    expect(logs).toContain('"url":"/x?jwt=[REDACTED]"')
    for (const secret of ['header-secret', 'cookie-secret', 'query-secret', 'req-secret']) {
      expect(logs).not.toContain(secret)
    }
  })
})
