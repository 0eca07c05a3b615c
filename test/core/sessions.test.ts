/**
 * The guard's session list (issue 15 item 7): what a login and a refresh record of the device, and
 * what `sessions` and `revokeSession` refuse to do without a store that lists sessions.
 *
 * @see issue 15
 */
import { createJwtGuard, type JwtGuardOptions, type TokenStore } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { describe, expect, it } from 'vitest'
import { decodeSegment } from '../support/tokens.js'

const SECRET = 'sessions-test-secret-of-32-bytes-long!'
const NOW = 1_700_000_000
const base: JwtGuardOptions<{ id: number }> = {
  secret: SECRET,
  now: () => NOW,
  authenticate: (username) => (username === 'ann' ? { id: 7 } : { id: 8 }),
  identity: (payload) => ({ id: payload.identity as number }),
}
const login = (username: string, headers: Record<string, string> = {}) => ({
  contentType: 'application/json',
  body: JSON.stringify({ username, password: 'pw' }),
  headers,
  remoteAddress: '192.0.2.9',
})

describe('guard.sessions and guard.revokeSession', () => {
  it('records the device of a login: a printable user agent of at most 256 characters, the client address', async () => {
    const store = createMemoryStore({ now: () => NOW, pruneInterval: 0 })
    const guard = createJwtGuard({ ...base, store, trustProxy: 1 })
    const route = guard.routes.find((candidate) => candidate.name === 'login')
    const agent = `Bad\u0000Agent\n${'x'.repeat(400)}`
    const response = await route?.handle(
      login('ann', { 'user-agent': agent, 'x-forwarded-for': '203.0.113.4' }),
    )
    const family = decodeSegment(JSON.parse(String(response?.body)).refresh_token, 1).fam
    const [session] = await guard.sessions(7)
    expect(session).toMatchObject({ id: family, identity: '7', createdAt: NOW, lastUsedAt: NOW })
    expect(session?.userAgent).toBe(`BadAgent${'x'.repeat(248)}`)
    expect(session?.clientAddress).toBe('203.0.113.4')
    await store.close()
  })

  it("ends only a session of the identity's own, and says whether it did", async () => {
    const store = createMemoryStore({ now: () => NOW, pruneInterval: 0 })
    const guard = createJwtGuard({ ...base, store })
    const route = guard.routes.find((candidate) => candidate.name === 'login')
    await route?.handle(login('ann'))
    await route?.handle(login('bob'))
    const [ann] = await guard.sessions(7)
    expect(await guard.revokeSession(8, ann?.id ?? '')).toBe(false)
    expect(await store.isFamilyRevoked(ann?.id ?? '')).toBe(false)
    expect(await guard.revokeSession(7, '')).toBe(false)
    expect(await guard.revokeSession('7', ann?.id ?? '')).toBe(true)
    expect(store.view.isFamilyRevoked(ann?.id ?? '')).toBe(true)
    expect(await guard.sessions(7)).toEqual([])
    expect(await guard.sessions(8)).toHaveLength(1)
    await store.close()
  })

  it('rejects with a TypeError without a store, or with a store that cannot list sessions', async () => {
    await expect(createJwtGuard(base).sessions(7)).rejects.toThrow(/need a token store/)
    const memory = createMemoryStore({ pruneInterval: 0 })
    const { sessions: _unused, ...withoutSessions } = memory
    const store: TokenStore = { ...withoutSessions, view: memory.view }
    const guard = createJwtGuard({ ...base, store })
    await expect(guard.sessions(7)).rejects.toThrow(TypeError)
    await expect(guard.revokeSession(7, 'x')).rejects.toThrow(/cannot list sessions/)
    await memory.close()
  })
})
