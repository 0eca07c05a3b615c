/**
 * Session truth (issue 15) over HTTP, on every framework (Express, Fastify, Hono in both forms)
 * and with the SQLite and the Redis store: what ends a session ends it for every token of it.
 * The clock is frozen (the guard's and the store's) and moved by the tests.
 *
 * @see issue 15
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TokenStore } from 'jwtguard/stores/memory'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createSqliteStore } from 'jwtguard/stores/sqlite'
import { createPasswordHasher, endingSessions, passwordAuthenticator, userLookup } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FRAMEWORKS, makeGuard, type TestServer, type Who } from '../adapters/fixtures.js'
import type { GuardOverrides } from '../support/guard-options.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'

const redisPrefix = trackRedisPrefixes(afterAll)
const JSON_HEADERS = { 'content-type': 'application/json' }
const LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

/** Redis expires keys on its own clock, so the frozen clock starts at the real time. */
const T0 = Math.floor(Date.now() / 1000)

/** A backend shared by every store `open` returns: instances of one deployment. */
type Backend = (now: () => number) => () => Promise<TokenStore>

const STORES: { store: string; backend: Backend }[] = [
  {
    store: 'sqlite',
    backend: (now) => {
      const dir = mkdtempSync(join(tmpdir(), 'jwtguard-sessions-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const database = join(dir, 'tokens.db')
      return async () => createSqliteStore({ database, now, pruneInterval: 0, syncInterval: 0.01 })
    },
  },
  {
    store: 'redis',
    backend: (now) => {
      const keyPrefix = redisPrefix()
      return () => createRedisStore({ url: REDIS_URL, keyPrefix, now, heartbeatInterval: 0 })
    },
  },
]
const cleanups: (() => void)[] = []
/** Milliseconds from a password change to its refusal on the other instance, for the report. */
const elapsed: number[] = []
afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  if (process.env.JWTGUARD_REPORT_PROPAGATION) console.log('propagation ms', elapsed.map(Math.round))
})

/** Polls an async check until it holds; fails after `limitMs` (generous: propagation is ms). */
async function eventually(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const start = performance.now()
  while (!(await check())) {
    if (performance.now() - start > limitMs) throw new Error(`${what} not reached within ${limitMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const MATRIX = FRAMEWORKS.flatMap((framework) =>
  STORES.map((store) => ({ framework, ...store, label: `${framework.name}, ${store.store} store` })),
)

interface Pair {
  access_token: string
  refresh_token: string
}

const protectedGet = (server: TestServer, token: string) =>
  server.request('GET', '/protected', { headers: { authorization: `JWT ${token}` } })
const refreshWith = (server: TestServer, token: string) =>
  server.request('POST', '/auth/refresh', {
    headers: JSON_HEADERS,
    body: JSON.stringify({ refresh_token: token }),
  })

/** A cookie a browser holds: its value, path and absolute expiry on the frozen clock. */
interface JarCookie {
  value: string
  path: string
  expiresAt: number
}

/** Applies `Set-Cookie` values as a browser does (Max-Age 0 deletes). */
function storeCookies(jar: Map<string, JarCookie>, setCookies: string[], at: number): void {
  for (const line of setCookies) {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
    const name = pair.slice(0, pair.indexOf('='))
    const value = pair.slice(pair.indexOf('=') + 1)
    const attribute = (key: string) =>
      attributes.find((part) => part.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
    const path = attribute('path') ?? '/'
    const maxAge = Number(attribute('max-age') ?? '0')
    const key = `${name} ${path}`
    if (maxAge <= 0) jar.delete(key)
    else jar.set(key, { value, path, expiresAt: at + maxAge })
  }
}

/** The Cookie header a browser sends to `path` at time `at`: live cookies whose path matches. */
function cookieHeader(jar: Map<string, JarCookie>, path: string, at: number): string {
  return [...jar.entries()]
    .filter(([, cookie]) => cookie.expiresAt > at)
    .filter(([, cookie]) => path === cookie.path || path.startsWith(`${cookie.path.replace(/\/$/, '')}/`))
    .sort(([, a], [, b]) => b.path.length - a.path.length)
    .map(([key, cookie]) => `${key.split(' ')[0]}=${cookie.value}`)
    .join('; ')
}

describe.each(MATRIX)('sessions: $label', ({ framework, backend }) => {
  let offset = 0
  const now = () => T0 + offset
  const opened: { server: TestServer; store: TokenStore }[] = []
  let open = backend(now)
  beforeEach(() => {
    open = backend(now)
  })

  /** One instance: a store on this test's backend, a guard and a server. */
  async function start(options: GuardOverrides<Who> = {}) {
    const store = await open()
    const guard = makeGuard({ store, now, ...options })
    const server = await framework.start(
      guard as never,
      async (identity) => ({ identity: identity ?? null }),
      'socket',
    )
    opened.push({ server, store })
    return { server, store, guard, base: server.address ?? '' }
  }
  afterEach(async () => {
    offset = 0
    for (const { server, store } of opened.splice(0)) {
      await server.close()
      await store.close()
    }
  })

  describe('family revocation reaches access tokens, on every instance (item 3)', () => {
    const revokedOn = (server: TestServer, token: string) => async () => {
      const response = await protectedGet(server, token)
      return (
        response.status === 401 &&
        (response.json() as { description: string }).description === 'Token has been revoked'
      )
    }

    it('reuse detection: the sibling access tokens of the family are refused here and on another instance', async () => {
      const a = await start()
      const b = await start()
      const login = (
        await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      const rotated = (await refreshWith(a.server, login.refresh_token)).json() as Pair
      for (const token of [login.access_token, rotated.access_token]) {
        expect((await protectedGet(b.server, token)).status).toBe(200)
      }
      offset = 5.5 // past the reuse interval (5 s by default): a replay now is theft, not a second tab
      const replay = await refreshWith(a.server, login.refresh_token)
      expect(replay.json()).toMatchObject({
        description: 'Refresh token reuse detected: the session has been revoked',
      })
      for (const server of [a.server, b.server]) {
        for (const token of [login.access_token, rotated.access_token]) {
          await eventually(revokedOn(server, token), 1_000, 'a sibling access token refused')
        }
      }
      // Another session of the same user is untouched.
      const other = (
        await b.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      expect((await protectedGet(a.server, other.access_token)).status).toBe(200)
    })

    it('logout: every access token of the session is refused, not only the one that logged out', async () => {
      const a = await start()
      const b = await start()
      const login = (
        await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      const rotated = (await refreshWith(a.server, login.refresh_token)).json() as Pair
      const logout = await a.server.request('POST', '/auth/revoke', {
        headers: { ...JSON_HEADERS, authorization: `JWT ${rotated.access_token}` },
      })
      expect(logout.status).toBe(204)
      for (const server of [a.server, b.server]) {
        await eventually(revokedOn(server, login.access_token), 1_000, 'the older access token refused')
      }
    })
  })

  describe('changes to a user end its sessions on every instance (item 2)', () => {
    it.each([
      ['a password change', 'passwd'],
      ['disabling the user', 'disable'],
    ] as const)(
      '%s: the old access and refresh tokens get 401 on another instance',
      async (_name, change) => {
        const hasher = createPasswordHasher()
        const raw = createSqliteUserStore({ database: ':memory:' })
        await raw.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })
        let guardA: { revokeAllFor(id: number): Promise<void> } | undefined
        const users = endingSessions(raw, { endSessions: async (id) => guardA?.revokeAllFor(id) })
        const withUsers = {
          authenticate: passwordAuthenticator(users, hasher),
          lookupUser: userLookup(users),
        }
        const a = await start(withUsers)
        guardA = a.guard
        const b = await start(withUsers)
        const pair = (
          await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
        ).json() as Pair
        expect((await protectedGet(b.server, pair.access_token)).status).toBe(200)
        const newHash = await hasher.hash('a-new-password')
        offset = 0.25 // the frozen clock moves on: a cut-off refuses what was issued strictly before it
        if (change === 'passwd') await users.setPasswordHash('masnun', newHash)
        else await users.setDisabled('masnun', true)
        const changedAt = performance.now()
        await eventually(
          async () => (await protectedGet(b.server, pair.access_token)).status === 401,
          1_000,
          'the old access token refused on the other instance',
        )
        elapsed.push(performance.now() - changedAt)
        const refused = await refreshWith(b.server, pair.refresh_token)
        expect(refused.status).toBe(401)
        expect(refused.json()).toMatchObject({ description: 'Token has been revoked' })
        const relogin = await b.server.request('POST', '/auth', {
          headers: JSON_HEADERS,
          body: JSON.stringify({
            username: 'masnun',
            password: change === 'passwd' ? 'a-new-password' : 'abc123',
          }),
        })
        // A disabled user's login is answered as a wrong password.
        expect(relogin.status).toBe(change === 'passwd' ? 200 : 401)
        if (change === 'disable') expect(relogin.json()).toMatchObject({ description: 'Invalid credentials' })
        await raw.close()
      },
    )
  })

  describe('concurrent rotation within the reuse interval, 5 s by default (item 6)', () => {
    it('two refreshes with the same token at once both succeed and the family lives', async () => {
      const a = await start()
      const b = await start()
      const login = (
        await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      const [first, second] = await Promise.all([
        refreshWith(a.server, login.refresh_token),
        refreshWith(b.server, login.refresh_token),
      ])
      expect([first.status, second.status]).toEqual([200, 200])
      offset = 2
      for (const response of [first, second]) {
        const pair = response.json() as Pair
        expect((await protectedGet(a.server, pair.access_token)).status).toBe(200)
        expect((await refreshWith(b.server, pair.refresh_token)).status).toBe(200)
      }
      expect((await protectedGet(b.server, login.access_token)).status).toBe(200)
    })

    it('after the interval a replay is reuse: the session ends', async () => {
      const a = await start()
      const login = (
        await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      const rotated = (await refreshWith(a.server, login.refresh_token)).json() as Pair
      offset = 5.5
      const replay = await refreshWith(a.server, login.refresh_token)
      expect(replay.json()).toMatchObject({
        description: 'Refresh token reuse detected: the session has been revoked',
      })
      expect((await protectedGet(a.server, rotated.access_token)).status).toBe(401)
      expect((await refreshWith(a.server, rotated.refresh_token)).status).toBe(401)
    })

    it('reuseInterval: 0 makes every replay reuse, even at once', async () => {
      const a = await start({ reuseInterval: 0 })
      const login = (
        await a.server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      ).json() as Pair
      const rotated = (await refreshWith(a.server, login.refresh_token)).json() as Pair
      const replay = await refreshWith(a.server, login.refresh_token)
      expect(replay.json()).toMatchObject({
        description: 'Refresh token reuse detected: the session has been revoked',
      })
      expect((await protectedGet(a.server, rotated.access_token)).status).toBe(401)
    })
  })

  describe('log out everywhere at the second boundary (issue 22 item 1)', () => {
    it('refuses what was issued before the cut-off and admits a login in the same second after it', async () => {
      const { server, guard } = await start()
      const login = async () =>
        (await server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })).json() as Pair
      offset = 0.5
      const before = await login()
      offset = 0.999
      await guard.revokeAllFor(123)
      const atTheCutOff = await login()
      offset = 0.9995
      const sameSecond = await login()
      offset = 1
      const nextSecond = await login()
      expect((await protectedGet(server, before.access_token)).json()).toMatchObject({
        description: 'Token has been revoked',
      })
      expect((await refreshWith(server, before.refresh_token)).status).toBe(401)
      for (const pair of [atTheCutOff, sameSecond, nextSecond]) {
        expect((await protectedGet(server, pair.access_token)).status).toBe(200)
        const refreshed = await refreshWith(server, pair.refresh_token)
        expect(refreshed.status).toBe(200)
        expect((await protectedGet(server, (refreshed.json() as Pair).access_token)).status).toBe(200)
      }
    })
  })

  describe('logout always works (item 4)', () => {
    it('logs a browser out with the refresh cookie alone once the access cookie has expired', async () => {
      const { base } = await start({ tokenLocation: ['header', 'cookies'], cookies: { secure: false } })
      const jar = new Map<string, JarCookie>()
      const login = await fetch(`${base}/auth`, { method: 'POST', headers: JSON_HEADERS, body: LOGIN })
      expect(login.status).toBe(200)
      storeCookies(jar, login.headers.getSetCookie(), now())
      const { csrf_token: csrf } = (await login.json()) as { csrf_token: string }
      offset = 301 + 10 // past the access token's lifetime and the leeway: the browser dropped it
      const cookie = cookieHeader(jar, '/auth/revoke', now())
      expect(cookie).not.toContain('access_token_cookie')
      const logout = await fetch(`${base}/auth/revoke`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf },
      })
      expect(logout.status).toBe(204)
      storeCookies(jar, logout.headers.getSetCookie(), now())
      expect(jar.size).toBe(0)
      // The refresh cookie the browser held before the logout is refused from then on.
      const replay = await fetch(`${base}/auth/refresh`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf },
      })
      expect(replay.status).toBe(401)
      expect(await replay.json()).toMatchObject({
        error: 'Invalid token',
        description: 'Token has been revoked',
      })
    })

    it('refuses a cookie logout without the CSRF header, and the session lives on', async () => {
      const { base } = await start({ tokenLocation: ['header', 'cookies'], cookies: { secure: false } })
      const jar = new Map<string, JarCookie>()
      const login = await fetch(`${base}/auth`, { method: 'POST', headers: JSON_HEADERS, body: LOGIN })
      storeCookies(jar, login.headers.getSetCookie(), now())
      const { csrf_token: csrf } = (await login.json()) as { csrf_token: string }
      offset = 311
      const cookie = cookieHeader(jar, '/auth/revoke', now())
      const forged = await fetch(`${base}/auth/revoke`, { method: 'POST', headers: { cookie } })
      expect(forged.status).toBe(401)
      expect(await forged.json()).toMatchObject({ error: 'CSRF Error' })
      const refreshed = await fetch(`${base}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: cookieHeader(jar, '/auth/refresh', now()), 'x-csrf-token': csrf },
      })
      expect(refreshed.status).toBe(200)
    })

    it('logs out with the refresh token alone in the body, and the family is refused', async () => {
      const { server } = await start()
      const login = await server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      const pair = login.json() as { access_token: string; refresh_token: string }
      const body = JSON.stringify({ refresh_token: pair.refresh_token })
      const logout = await server.request('POST', '/auth/revoke', { headers: JSON_HEADERS, body })
      expect(logout.status).toBe(204)
      const replay = await server.request('POST', '/auth/refresh', { headers: JSON_HEADERS, body })
      expect(replay.status).toBe(401)
      expect(replay.json()).toMatchObject({ description: 'Token has been revoked' })
    })

    it('logs out with an expired access token next to the refresh token', async () => {
      const { server } = await start()
      const login = await server.request('POST', '/auth', { headers: JSON_HEADERS, body: LOGIN })
      const pair = login.json() as { access_token: string; refresh_token: string }
      offset = 400
      const body = JSON.stringify({ refresh_token: pair.refresh_token })
      const logout = await server.request('POST', '/auth/revoke', {
        headers: { ...JSON_HEADERS, authorization: `JWT ${pair.access_token}` },
        body,
      })
      expect(logout.status).toBe(204)
      expect((await server.request('POST', '/auth/refresh', { headers: JSON_HEADERS, body })).status).toBe(
        401,
      )
    })

    it('still needs a token: nothing at all is 401 "Request does not contain an access token"', async () => {
      const { server } = await start()
      const response = await server.request('POST', '/auth/revoke')
      expect(response.status).toBe(401)
      expect(response.json()).toMatchObject({ description: 'Request does not contain an access token' })
    })
  })
})
