/**
 * The token lifecycle rows of docs/CONTRACT.md (refresh with rotation and reuse detection,
 * revocation, fresh tokens, roles), on every framework, with the SQLite store and the Redis store.
 */
import { randomUUID } from 'node:crypto'
import { createPasswordHasher } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { APPS } from '../support/apps.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'
import type { TestApp } from '../support/server.js'
import { decodeSegment } from '../support/tokens.js'

const redisPrefix = trackRedisPrefixes(afterAll)
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
/** The seed's password, hashed again: a password change that keeps the login working. */
const SEED_HASH = createPasswordHasher().hash('abc123')
const JSON_HEADERS = { 'content-type': 'application/json' }

interface Pair {
  access_token: string
  refresh_token: string
}

const STORES = [
  { store: 'sqlite', env: () => ({}) },
  {
    store: 'redis',
    env: () => ({ REDIS_URL: REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() }),
  },
]

const MATRIX = APPS.filter((app) => app.name.includes('socket') || app.framework === 'fastify').flatMap(
  (app) => STORES.map((store) => ({ ...app, ...store, label: `${app.name}, ${store.store} store` })),
)

describe.each(MATRIX)('token lifecycle: $label', ({ create, env }) => {
  let app: TestApp

  beforeAll(async () => {
    app = await create(env())
  })
  afterAll(async () => {
    await app?.close()
  })

  async function login(): Promise<Pair> {
    const response = await app.request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
    expect(response.status).toBe(200)
    return response.json() as Pair
  }
  const refresh = (refreshToken: string) =>
    app.request('POST', '/auth/refresh', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: refreshToken }),
    })
  const revoke = (accessToken: string, body?: unknown) =>
    app.request('POST', '/auth/revoke', {
      headers: { authorization: `JWT ${accessToken}`, ...(body === undefined ? {} : JSON_HEADERS) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const getPrivate = (accessToken: string, path = '/api/v1/private') =>
    app.request('GET', path, { headers: { authorization: `JWT ${accessToken}` } })

  it('issues a refresh token with its own type marker and lifetime next to the access token', async () => {
    const pair = await login()
    const access = decodeSegment(pair.access_token, 1)
    const refreshPayload = decodeSegment(pair.refresh_token, 1)
    expect(access).toMatchObject({ identity: 123, fresh: true })
    expect(access.type).toBeUndefined()
    expect(refreshPayload).toMatchObject({ identity: 123, type: 'refresh', fam: access.fam })
    expect((refreshPayload.exp as number) - (refreshPayload.iat as number)).toBe(14 * 24 * 3600)
  })

  it('never accepts a refresh token as an access token, nor the reverse', async () => {
    const pair = await login()
    const asAccess = await getPrivate(pair.refresh_token)
    expect(asAccess.status).toBe(401)
    // Refused by its typ header (refresh+jwt), before its signature.
    expect(asAccess.json()).toMatchObject({
      error: 'Invalid token',
      description: 'Token type (typ) is not accepted',
    })
    const asRefresh = await refresh(pair.access_token)
    expect(asRefresh.status).toBe(401)
    expect(asRefresh.json()).toMatchObject({
      error: 'Invalid token',
      description: 'Token type (typ) is not accepted',
    })
  })

  it('rotates: a refresh returns a new pair and spends the old refresh token', async () => {
    const first = await login()
    const response = await refresh(first.refresh_token)
    expect(response.status).toBe(200)
    const second = response.json() as Pair
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(decodeSegment(second.access_token, 1)).toMatchObject({ identity: 123, fresh: false })
    expect((await getPrivate(second.access_token)).json()).toEqual({ meaning_of_life: 42 })
    expect(decodeSegment(second.refresh_token, 1).fam).toBe(decodeSegment(first.refresh_token, 1).fam)
  })

  /** Moves the server's clock (Date only: timers run on) past the default reuse interval, 5 s. */
  function pastReuseInterval(): void {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5_500 })
  }
  afterEach(() => {
    vi.useRealTimers()
  })

  it('detects reuse: a spent refresh token sent after the reuse interval revokes its whole family', async () => {
    const first = await login()
    const second = (await refresh(first.refresh_token)).json() as Pair
    pastReuseInterval()
    const replay = await refresh(first.refresh_token)
    expect(replay.status).toBe(401)
    expect(replay.json()).toMatchObject({
      error: 'Invalid token',
      description: expect.stringMatching(/reuse/),
    })
    const descendant = await refresh(second.refresh_token)
    expect(descendant.status).toBe(401)
    expect(descendant.json()).toMatchObject({ description: 'Token has been revoked' })
  })

  it('gives concurrent refreshes with the same token sibling pairs in one family, which lives on', async () => {
    const pair = await login()
    const family = decodeSegment(pair.refresh_token, 1).fam
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(pair.refresh_token)))
    expect(results.map((response) => response.status)).toEqual(Array(8).fill(200))
    const siblings = results.map((response) => response.json() as Pair)
    expect(new Set(siblings.map((sibling) => decodeSegment(sibling.refresh_token, 1).fam))).toEqual(
      new Set([family]),
    )
    // Past the interval the spent token is theft again; the siblings were each spent once, not reused.
    pastReuseInterval()
    for (const sibling of siblings) expect((await getPrivate(sibling.access_token)).status).toBe(200)
    expect((await refresh(siblings[0]?.refresh_token ?? '')).status).toBe(200)
  })

  it('refuses every replay of a spent token once the reuse interval has passed, and ends the family', async () => {
    const pair = await login()
    const rotated = (await refresh(pair.refresh_token)).json() as Pair
    pastReuseInterval()
    const results = await Promise.all(Array.from({ length: 4 }, () => refresh(pair.refresh_token)))
    expect(results.map((response) => response.status)).toEqual(Array(4).fill(401))
    expect((await refresh(rotated.refresh_token)).status).toBe(401)
  })

  it('revokes the access token and its refresh family', async () => {
    const pair = await login()
    expect((await getPrivate(pair.access_token)).status).toBe(200)
    const response = await revoke(pair.access_token)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    const after = await getPrivate(pair.access_token)
    expect(after.status).toBe(401)
    expect(after.json()).toMatchObject({ error: 'Invalid token', description: 'Token has been revoked' })
    expect(after.headers['www-authenticate']).toBe(
      'JWT realm="Login Required", error="invalid_token", error_description="Token has been revoked"',
    )
    expect((await refresh(pair.refresh_token)).status).toBe(401)
  })

  it('revokes a refresh family named in the body', async () => {
    const session = await login()
    const other = await login()
    expect((await revoke(other.access_token, { refresh_token: session.refresh_token })).status).toBe(204)
    expect((await refresh(session.refresh_token)).status).toBe(401)
    // The family's access tokens too (issue 15 item 3): they carry their family.
    expect((await getPrivate(session.access_token)).json()).toMatchObject({
      description: 'Token has been revoked',
    })
  })

  it('requires an access token to revoke', async () => {
    const response = await app.request('POST', '/auth/revoke')
    expect(response.status).toBe(401)
    expect(response.json()).toMatchObject({ error: 'Authorization Required' })
  })

  it('answers 400 for a refresh without a refresh_token', async () => {
    const response = await app.request('POST', '/auth/refresh', { headers: JSON_HEADERS, body: '{}' })
    expect(response.status).toBe(400)
    expect(response.json()).toMatchObject({ status_code: 400, error: 'Bad Request' })
  })

  it('answers 405 with Allow on the lifecycle routes', async () => {
    for (const path of ['/auth/refresh', '/auth/revoke']) {
      const response = await app.request('GET', path)
      expect(response.status).toBe(405)
      expect(response.headers.allow).toBe('POST')
    }
  })

  it('refuses a user without the admin role with 403 insufficient_scope, and admits one with it', async () => {
    const pair = await login()
    expect((await app.request('GET', '/api/v1/admin')).status).toBe(401)
    const forbidden = await getPrivate(pair.access_token, '/api/v1/admin')
    expect(forbidden.status).toBe(403)
    expect(forbidden.json()).toEqual({
      status_code: 403,
      error: 'Forbidden',
      description: 'Token lacks the role: admin',
    })
    expect(forbidden.headers['www-authenticate']).toBe(
      'JWT realm="Login Required", error="insufficient_scope", error_description="Token lacks the role: admin", scope="admin"',
    )
    await app.context.users.setRoles('masnun', ['admin'])
    try {
      const admin = await login()
      const allowed = await getPrivate(admin.access_token, '/api/v1/admin')
      expect(allowed.status).toBe(200)
      // Custom claims survive a refresh.
      const refreshed = (await refresh(admin.refresh_token)).json() as Pair
      expect(decodeSegment(refreshed.access_token, 1).roles).toEqual(['admin'])
      expect((await getPrivate(refreshed.access_token, '/api/v1/admin')).status).toBe(200)
    } finally {
      await app.context.users.setRoles('masnun', [])
    }
  })

  // Issue 15 item 1: a refresh asks the user store, never copies the old token's claims.
  it('a demoted admin is refused: the token refreshed after a role removal made in the database gets 403', async () => {
    // Another tool changes the role in the database itself: no session is ended, yet the refresh
    // asks the user store and carries the roles the user has now.
    const direct = createSqliteUserStore({ database: app.context.config.databaseFile })
    await direct.setRoles('masnun', ['admin'])
    let pair: Pair
    try {
      pair = await login()
      expect((await getPrivate(pair.access_token, '/api/v1/admin')).status).toBe(200)
    } finally {
      await direct.setRoles('masnun', [])
      await direct.close()
    }
    const refreshed = await refresh(pair.refresh_token)
    expect(refreshed.status).toBe(200)
    const next = refreshed.json() as Pair
    expect(decodeSegment(next.access_token, 1).roles).toBeUndefined()
    const forbidden = await getPrivate(next.access_token, '/api/v1/admin')
    expect(forbidden.status).toBe(403)
    expect(forbidden.json()).toMatchObject({ description: 'Token lacks the role: admin' })
  })

  // Issue 15 item 2: a change through the library API ends the user's sessions at once.
  it.each([
    ['a role removal', () => app.context.users.setRoles('masnun', [])],
    ['a password change', async () => app.context.users.setPasswordHash('masnun', await SEED_HASH)],
  ])('%s ends the sessions: the old access and refresh tokens get 401', async (_name, change) => {
    await app.context.users.setRoles('masnun', ['admin'])
    const pair = await login()
    expect((await getPrivate(pair.access_token, '/api/v1/admin')).status).toBe(200)
    await change()
    await app.context.users.setRoles('masnun', [])
    for (const response of [await getPrivate(pair.access_token), await refresh(pair.refresh_token)]) {
      expect(response.status).toBe(401)
      expect(response.json()).toMatchObject({ description: expect.stringMatching(/revoked/) })
    }
    expect((await getPrivate((await login()).access_token)).status).toBe(200)
  })

  // Issue 15 item 2: disabling ends the sessions; the login of a disabled user answers exactly as a
  // wrong password (no account enumeration); enabled again, it logs in.
  it.each([
    ['in the database (the refresh finds no user)', 'direct', 'User does not exist'],
    ['through the library API (its sessions end)', 'api', 'Token has been revoked'],
  ])('a user disabled %s cannot log in nor refresh', async (_name, how, description) => {
    const username = `off-${randomUUID().slice(0, 8)}`
    const hasher = createPasswordHasher()
    await app.context.users.create({ username, passwordHash: await hasher.hash('pw-of-the-off') })
    const loginAs = (password: string) =>
      app.request('POST', '/auth', { headers: JSON_HEADERS, body: JSON.stringify({ username, password }) })
    const first = await loginAs('pw-of-the-off')
    expect(first.status).toBe(200)
    const pair = first.json() as Pair
    await new Promise((resolve) => setTimeout(resolve, 2)) // a cut-off after the login's millisecond
    if (how === 'api') await app.context.users.setDisabled(username, true)
    else {
      const direct = createSqliteUserStore({ database: app.context.config.databaseFile })
      await direct.setDisabled(username, true)
      await direct.close()
    }
    const refused = await loginAs('pw-of-the-off')
    const wrong = await loginAs('not-the-password')
    expect(refused.status).toBe(401)
    expect([refused.json(), refused.headers['www-authenticate']]).toEqual([
      wrong.json(),
      wrong.headers['www-authenticate'],
    ])
    expect(refused.json()).toMatchObject({ description: 'Invalid credentials' })
    const refreshed = await refresh(pair.refresh_token)
    expect(refreshed.status).toBe(401)
    expect(refreshed.json()).toMatchObject({ description })
    if (how === 'api') expect((await getPrivate(pair.access_token)).status).toBe(401)
    await app.context.users.setDisabled(username, false)
    expect((await loginAs('pw-of-the-off')).status).toBe(200)
  })

  it.each([
    ['in the database (the refresh finds no user)', 'direct', 'User does not exist'],
    ['through the library API (its sessions end)', 'api', 'Token has been revoked'],
  ])('a user removed %s cannot refresh', async (_name, how, description) => {
    const username = `gone-${randomUUID().slice(0, 8)}`
    const hasher = createPasswordHasher()
    await app.context.users.create({ username, passwordHash: await hasher.hash('pw-of-the-gone') })
    const response = await app.request('POST', '/auth', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ username, password: 'pw-of-the-gone' }),
    })
    expect(response.status).toBe(200)
    const pair = response.json() as Pair
    // Cut-offs are to the millisecond and refuse tokens issued strictly before them: a removal in
    // the very millisecond of the login would leave that login's tokens to the user lookup alone.
    await new Promise((resolve) => setTimeout(resolve, 2))
    if (how === 'api') await app.context.users.remove(username)
    else {
      const direct = createSqliteUserStore({ database: app.context.config.databaseFile })
      await direct.remove(username)
      await direct.close()
    }
    const refused = await refresh(pair.refresh_token)
    expect(refused.status).toBe(401)
    expect(refused.json()).toMatchObject({ description })
  })
})
