/**
 * Issue 17 item 6: the production policy refuses what is unsafe. COOKIE_SECURE=0 (unless a
 * TLS-terminating proxy is declared, which keeps Secure), a low-entropy secret, cookie names
 * without the __Host- prefix, and tokens in the JSON body when the deployment does not want them.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createJwtGuard, secretStrength } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createPasswordHasher } from 'jwtguard/users'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { buildExpressApp, listenExpress } from '../../server/apps/express.js'
import { ConfigError, loadConfig } from '../../server/config.js'
import { createServerContext } from '../../server/context.js'
import { resolveCookies } from '../../src/core/cookies.js'
import type { GuardOverrides } from '../support/guard-options.js'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-policy-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const GOOD_SECRET = randomBytes(48).toString('base64')
const production = (env: Record<string, string> = {}) =>
  loadConfig({ DATA_DIR: tempDir(), NODE_ENV: 'production', JWT_SECRET_KEY: GOOD_SECRET, ...env })

describe('COOKIE_SECURE in production', () => {
  it.each(['0', 'false'])('refuses COOKIE_SECURE=%s, saying what to do instead', (value) => {
    expect(() => production({ COOKIE_SECURE: value })).toThrow(ConfigError)
    expect(() => production({ COOKIE_SECURE: value })).toThrow(
      /COOKIE_SECURE=0 with NODE_ENV=production .*remove COOKIE_SECURE.*BEHIND_TLS_PROXY=1/,
    )
  })

  it('starts behind a declared TLS-terminating proxy, and keeps Secure', () => {
    const config = production({ COOKIE_SECURE: '0', BEHIND_TLS_PROXY: '1' })
    expect(config.cookieSecure).toBe(true)
    expect(config.behindTlsProxy).toBe(true)
  })

  it('leaves development alone: off by default, COOKIE_SECURE=1 turns it on', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).cookieSecure).toBe(false)
    expect(loadConfig({ DATA_DIR: tempDir(), COOKIE_SECURE: '1' }).cookieSecure).toBe(true)
  })
})

describe('the secret in production', () => {
  it.each([
    ['32 repeated characters', 'x'.repeat(32)],
    ['32 spaces', ' '.repeat(32)],
    ['a repeated pair', 'ab'.repeat(20)],
    ['the digits four times', '0123456789'.repeat(4)],
    ['a repeated word', 'password'.repeat(5)],
  ])('refuses %s, saying how to generate a good one', (_name, secret) => {
    expect(() => production({ JWT_SECRET_KEY: secret })).toThrow(ConfigError)
    expect(() => production({ JWT_SECRET_KEY: secret })).toThrow(
      /JWT_SECRET_KEY has low entropy .*openssl rand -base64 48/,
    )
  })

  it.each([
    ['openssl rand -base64 48', randomBytes(48).toString('base64')],
    ['openssl rand -hex 32', randomBytes(32).toString('hex')],
    ['jwtguard secret generate', randomBytes(64).toString('base64url')],
  ])('accepts a secret from %s', (_name, secret) => {
    expect(production({ JWT_SECRET_KEY: secret }).secret).toBe(secret)
  })

  it('accepts a weak secret outside production (Flask-JWT interop, local runs)', () => {
    expect(loadConfig({ DATA_DIR: tempDir(), JWT_SECRET_KEY: 'x'.repeat(32) }).secret).toBe('x'.repeat(32))
  })

  it('estimates by distinct bytes and by the repeating unit', () => {
    expect(secretStrength('x'.repeat(64))).toEqual({ bits: 0, distinct: 1 })
    expect(secretStrength('abcd'.repeat(16))).toEqual({ bits: 8, distinct: 4 })
    expect(secretStrength('')).toEqual({ bits: 0, distinct: 0 })
  })
})

describe('cookies of the production server', () => {
  async function productionServer(env: Record<string, string> = {}) {
    const context = await createServerContext(production(env), pino({ level: 'silent' }))
    const hasher = createPasswordHasher()
    await context.users.create({
      id: 7,
      username: 'alice',
      passwordHash: await hasher.hash('a long password'),
    })
    const server = await listenExpress(buildExpressApp(context), 0, '127.0.0.1')
    const close = async () => {
      await server.close()
      await context.close()
    }
    const login = async () => {
      const response = await fetch(new URL('/auth', server.address), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'a long password' }),
      })
      return {
        status: response.status,
        body: (await response.json()) as object,
        cookies: response.headers.getSetCookie(),
      }
    }
    const me = async (cookie: string) => fetch(new URL('/api/v1/me', server.address), { headers: { cookie } })
    return { login, me, close }
  }

  it('names them __Host- (and __Secure- for the refresh cookie, whose path is not /)', async () => {
    const server = await productionServer()
    try {
      const response = await server.login()
      expect(response.status).toBe(200)
      const byName = new Map(response.cookies.map((cookie) => [cookie.slice(0, cookie.indexOf('=')), cookie]))
      expect([...byName.keys()].sort()).toEqual([
        '__Host-access_token_cookie',
        '__Host-csrf_access_token',
        '__Secure-refresh_token_cookie',
      ])
      for (const [name, cookie] of byName) {
        expect(cookie, name).toMatch(/; Secure(;|$)/)
        expect(cookie, name).not.toMatch(/Domain=/i)
        if (name.startsWith('__Host-')) expect(cookie, name).toMatch(/; Path=\/(;|$)/)
      }
    } finally {
      await server.close()
    }
  })

  it('omits the tokens from the JSON body with TOKENS_IN_BODY=0; the cookies carry the session', async () => {
    const server = await productionServer({ TOKENS_IN_BODY: '0' })
    try {
      const response = await server.login()
      expect(response.status).toBe(200)
      expect(Object.keys(response.body)).toEqual(['csrf_token'])
      const jar = response.cookies.map((cookie) => cookie.split(';')[0]).join('; ')
      const me = await server.me(jar)
      expect(me.status).toBe(200)
      expect(await me.json()).toEqual({ user_id: 7 })
    } finally {
      await server.close()
    }
  })
})

describe('the library: cookie prefixes and tokensInBody', () => {
  const base = { secret: GOOD_SECRET, authenticate: () => ({ id: 1 }), identity: () => ({ id: 1 }) }

  it.each([
    [{ accessName: '__Host-a', secure: false }, /"__Host-a" needs secure/],
    [{ csrfName: '__Secure-c', secure: false }, /"__Secure-c" needs secure/],
    [{ accessName: '__Host-a', domain: 'example.com' }, /cannot have a domain/],
    [{ refreshName: '__Host-r' }, /refresh cookie "__Host-r" .*use __Secure-/],
    [{ tokensInBody: 'yes' as unknown as boolean }, /tokensInBody must be a boolean/],
  ])('refuses %o at start-up', (options, message) => {
    expect(() => resolveCookies(options)).toThrow(message)
  })

  it('omits the tokens by default in cookie-only mode, and keeps them with header and cookies', async () => {
    const store = createMemoryStore({ pruneInterval: 0 })
    try {
      const bodyKeys = async (options: GuardOverrides<unknown>) => {
        const guard = createJwtGuard({ ...base, store, ...options })
        const response = await guard.routes
          .find((route) => route.path === '/auth')
          ?.handle({ contentType: 'application/json', body: '{"username":"u","password":"p"}', headers: {} })
        return Object.keys(JSON.parse(String(response?.body))).sort()
      }
      expect(await bodyKeys({ tokenLocation: ['cookies'] })).toEqual(['csrf_token'])
      expect(await bodyKeys({ tokenLocation: ['header', 'cookies'] })).toEqual([
        'access_token',
        'csrf_token',
        'refresh_token',
      ])
      expect(
        await bodyKeys({ tokenLocation: ['header', 'cookies'], cookies: { tokensInBody: false } }),
      ).toEqual(['csrf_token'])
    } finally {
      await store.close()
    }
  })
})
