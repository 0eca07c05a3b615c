/**
 * The current user's sessions on the reference server (issue 15 item 7): `GET /api/v1/sessions`
 * lists them (the current one marked), `DELETE /api/v1/sessions/{id}` ends one ("log out that
 * device") and only one of the user's own, on every framework, with the SQLite and the Redis store.
 *
 * @see issue 15
 */
import { randomUUID } from 'node:crypto'
import { createPasswordHasher } from 'jwtguard/users'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SessionView } from '../../server/sessions.js'
import { APPS } from '../support/apps.js'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'
import type { TestApp } from '../support/server.js'
import { decodeSegment } from '../support/tokens.js'

const redisPrefix = trackRedisPrefixes(afterAll)
const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED = { username: 'masnun', password: 'abc123' }

interface Pair {
  access_token: string
  refresh_token: string
}

type Listed = SessionView

const STORES = [
  { store: 'sqlite', env: () => ({}) },
  { store: 'redis', env: () => ({ REDIS_URL: REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() }) },
]

const MATRIX = APPS.filter((app) => app.name.includes('socket') || app.framework === 'fastify').flatMap(
  (app) => STORES.map((store) => ({ ...app, ...store, label: `${app.name}, ${store.store} store` })),
)

describe.each(MATRIX)('session list: $label', ({ create, env, name }) => {
  let app: TestApp

  beforeAll(async () => {
    app = await create(env())
  })
  afterAll(async () => {
    await app?.close()
  })

  async function login(userAgent: string, credentials = SEED): Promise<Pair> {
    const response = await app.request('POST', '/auth', {
      headers: { ...JSON_HEADERS, 'user-agent': userAgent },
      body: JSON.stringify(credentials),
    })
    expect(response.status).toBe(200)
    return response.json() as Pair
  }
  const withToken = (token: string) => ({ headers: { authorization: `JWT ${token}` } })
  const list = async (token: string): Promise<Listed[]> => {
    const response = await app.request('GET', '/api/v1/sessions', withToken(token))
    expect(response.status).toBe(200)
    return (response.json() as { sessions: Listed[] }).sessions
  }
  const familyOf = (pair: Pair) => decodeSegment(pair.refresh_token, 1).fam as string

  it('lists the live sessions, newest use first, the current one marked, with their device', async () => {
    const laptop = await login(`Laptop ${randomUUID()}`)
    const phone = await login(`Phone ${randomUUID()}`)
    const seen = await list(laptop.access_token)
    const mine = seen.filter((session) => [familyOf(laptop), familyOf(phone)].includes(session.id))
    expect(mine.map((session) => [session.id, session.current])).toEqual([
      [familyOf(phone), false],
      [familyOf(laptop), true],
    ])
    const [phoneSession] = mine
    const refreshExp = decodeSegment(phone.refresh_token, 1).exp as number
    expect(phoneSession).toMatchObject({
      user_agent: expect.stringMatching(/^Phone /),
      expires_at: refreshExp,
      created_at: decodeSegment(phone.refresh_token, 1).iat,
      last_used_at: decodeSegment(phone.refresh_token, 1).iat,
    })
    if (name.includes('socket')) expect(phoneSession?.client_address).toMatch(/127\.0\.0\.1/)
    // Exactly one session is current, whatever else the seed user has open.
    expect(seen.filter((session) => session.current).map((session) => session.id)).toEqual([familyOf(laptop)])
  })

  it('keeps a session one entry through a refresh, its start kept, its device updated', async () => {
    const first = await login('Tablet before')
    const refreshed = await app.request('POST', '/auth/refresh', {
      headers: { ...JSON_HEADERS, 'user-agent': 'Tablet after' },
      body: JSON.stringify({ refresh_token: first.refresh_token }),
    })
    expect(refreshed.status).toBe(200)
    const next = refreshed.json() as Pair
    const session = (await list(next.access_token)).filter((entry) => entry.id === familyOf(first))
    expect(session).toEqual([
      expect.objectContaining({
        created_at: decodeSegment(first.refresh_token, 1).iat,
        last_used_at: decodeSegment(next.refresh_token, 1).iat,
        user_agent: 'Tablet after',
        current: true,
      }),
    ])
  })

  it('ends one session: its access and refresh tokens are refused, the others live on', async () => {
    const keep = await login('Keep')
    const end = await login('End')
    const ended = await app.request(
      'DELETE',
      `/api/v1/sessions/${familyOf(end)}`,
      withToken(keep.access_token),
    )
    expect(ended.status).toBe(204)
    expect(ended.text).toBe('')
    const refused = await app.request('GET', '/api/v1/private', withToken(end.access_token))
    expect(refused.status).toBe(401)
    expect(refused.json()).toMatchObject({ description: 'Token has been revoked' })
    const refresh = await app.request('POST', '/auth/refresh', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: end.refresh_token }),
    })
    expect(refresh.status).toBe(401)
    const ids = (await list(keep.access_token)).map((session) => session.id)
    expect(ids).toContain(familyOf(keep))
    expect(ids).not.toContain(familyOf(end))
    // The current session can end itself too (log out here).
    expect(
      (await app.request('DELETE', `/api/v1/sessions/${familyOf(keep)}`, withToken(keep.access_token)))
        .status,
    ).toBe(204)
    expect((await app.request('GET', '/api/v1/private', withToken(keep.access_token))).status).toBe(401)
  })

  it("answers 404 for another user's session and for an unknown id, and ends nothing", async () => {
    const username = `eve-${randomUUID().slice(0, 8)}`
    const hasher = createPasswordHasher()
    await app.context.users.create({ username, passwordHash: await hasher.hash('eve-password') })
    const eve = await login('Eve', { username, password: 'eve-password' })
    const victim = await login('Victim')
    for (const id of [familyOf(victim), randomUUID(), 'not-a-session']) {
      const response = await app.request('DELETE', `/api/v1/sessions/${id}`, withToken(eve.access_token))
      expect(response.status).toBe(404)
      expect(response.json()).toEqual({
        status_code: 404,
        error: 'Not Found',
        description: 'No such session of the current user',
      })
    }
    expect((await app.request('GET', '/api/v1/private', withToken(victim.access_token))).status).toBe(200)
    expect((await list(eve.access_token)).map((session) => session.id)).toEqual([familyOf(eve)])
  })

  it('needs an access token', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/sessions'],
      ['DELETE', `/api/v1/sessions/${randomUUID()}`],
    ] as const) {
      const response = await app.request(method, path)
      expect(response.status).toBe(401)
      expect(response.json()).toMatchObject({ description: 'Request does not contain an access token' })
    }
  })
})
