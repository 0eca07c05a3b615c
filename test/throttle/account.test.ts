/**
 * Issue 17 item 3: the throttle knows clients and accounts. Addresses are normalised before they
 * become keys (ports, brackets, IPv4-mapped forms); one username has a budget across all clients
 * that the real user's usual client is exempt from (no lock-out); refreshes are limited per
 * session and per client.
 */
import { createJwtGuard } from 'jwtguard'
import type { HttpResponse } from 'jwtguard/adapter'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createLoginLimiter, createRefreshLimiter } from 'jwtguard/throttle'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { guardWith, RIGHT, SECRET, statuses } from './support.js'

const times = (count: number, status: number): number[] => new Array<number>(count).fill(status)

afterEach(() => {
  vi.useRealTimers()
})

describe('client addresses are normalised before they become keys', () => {
  it('counts ip:port forms from a trusted proxy (Azure Application Gateway style) as one client', async () => {
    const { login } = guardWith(createLoginLimiter(), { trustProxy: 1 })
    const results: number[] = []
    for (let port = 40_000; port < 40_012; port += 1) {
      const forwarded = { 'x-forwarded-for': `203.0.113.7:${port}` }
      results.push((await login('masnun', 'wrong', '10.0.0.1', forwarded)).response.status)
    }
    expect(results).toEqual([...times(10, 401), 429, 429])
  })

  it('counts [v6]:port, v6 and IPv4-mapped forms of one client together', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerUser: 3 }), { trustProxy: 1 })
    const through = (forwarded: string) =>
      login('masnun', 'wrong', '10.0.0.1', { 'x-forwarded-for': forwarded })
    expect((await through('[2001:db8::7]:1111')).response.status).toBe(401)
    expect((await through('2001:db8::7')).response.status).toBe(401)
    expect((await through('[2001:db8::7]')).response.status).toBe(401)
    expect((await through('[2001:db8::7]:2222')).code).toBe('ERR_TOO_MANY_REQUESTS')
    expect((await through('[::ffff:198.51.100.1]:5')).response.status).toBe(401)
    expect((await through('198.51.100.1:6')).response.status).toBe(401)
    expect((await through('::ffff:198.51.100.1')).response.status).toBe(401)
    expect((await through('198.51.100.1')).code).toBe('ERR_TOO_MANY_REQUESTS')
  })
})

describe('the per-account limit', () => {
  const client = (index: number) => `198.51.100.${index + 1}`

  it('refuses a distributed guess (30 clients x 10 guesses) after 50 failures on the account', async () => {
    const { login, calls } = guardWith(createLoginLimiter())
    const results: number[] = []
    for (let index = 0; index < 30; index += 1) {
      results.push(...(await statuses(login, 10, 'masnun', 'wrong', client(index))))
    }
    expect(results.filter((status) => status === 401)).toHaveLength(50)
    expect(results.filter((status) => status === 429)).toHaveLength(250)
    expect(calls.authenticate).toBe(50)
    // Another account is not affected.
    expect((await login('someone-else', 'wrong', client(40))).response.status).toBe(401)
  })

  it('does not lock the real user out of a client that logged in before', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerAccount: 5 }))
    const home = '192.0.2.10'
    expect((await login('masnun', RIGHT, home)).response.status).toBe(200)
    // The attack spends the account's budget from other clients.
    for (let index = 0; index < 8; index += 1) await login('masnun', 'wrong', client(index))
    const attacker = await login('masnun', RIGHT, client(20))
    expect(attacker.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(attacker.retryAfter).toBeGreaterThan(0)
    // The real user's known client still gets in, and still has its own 10 tries.
    expect((await login('masnun', RIGHT, home)).response.status).toBe(200)
    expect(await statuses(login, 3, 'masnun', 'wrong', home)).toEqual(times(3, 401))
    expect((await login('masnun', RIGHT, home)).response.status).toBe(200)
  })

  it('gives back the per-client and per-user counts of an attempt the account refused', async () => {
    const { login } = guardWith(
      createLoginLimiter({ maxFailuresPerAccount: 2, maxFailuresPerClient: 4, maxFailuresPerUser: 3 }),
    )
    await login('victim', 'wrong', client(1))
    await login('victim', 'wrong', client(2))
    // client(3)'s attempts on the spent account are refused, and cost it nothing.
    expect(await statuses(login, 6, 'victim', 'wrong', client(3))).toEqual(times(6, 429))
    expect(await statuses(login, 4, (index) => `other${index}`, 'wrong', client(3))).toEqual(times(4, 401))
  })

  it('a success from a new client takes its failure back from the account', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerAccount: 2 }))
    expect((await login('masnun', RIGHT, client(1))).response.status).toBe(200)
    expect((await login('masnun', RIGHT, client(2))).response.status).toBe(200)
    expect((await login('masnun', RIGHT, client(3))).response.status).toBe(200)
    expect(await statuses(login, 3, 'masnun', 'wrong', client(4))).toEqual([401, 401, 429])
  })

  it('forgets a known client after knownClientFor', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') })
    const { login } = guardWith(
      createLoginLimiter({ maxFailuresPerAccount: 1, knownClientFor: '1d', accountWindow: '2d' }),
    )
    const settle = async <T>(promise: Promise<T>): Promise<T> => {
      await vi.advanceTimersByTimeAsync(10)
      return promise
    }
    expect((await settle(login('masnun', RIGHT, client(1)))).response.status).toBe(200)
    await settle(login('masnun', 'wrong', client(2)))
    expect((await settle(login('masnun', RIGHT, client(1)))).response.status).toBe(200)
    await vi.advanceTimersByTimeAsync(25 * 3600 * 1000)
    await settle(login('masnun', 'wrong', client(3)))
    expect((await settle(login('masnun', RIGHT, client(1)))).code).toBe('ERR_TOO_MANY_REQUESTS')
  })

  it.each([
    [{ maxFailuresPerAccount: 0 }, /maxFailuresPerAccount must be an integer >= 1/],
    [{ accountWindow: 0 }, /accountWindow must be at least 1 second/],
    [{ knownClientFor: 'soon' }, /knownClientFor/],
    [{ knownClientFor: '30d' }, /knownClientFor must be at most 24 days/],
  ])('refuses %o', (options, message) => {
    expect(() => createLoginLimiter(options)).toThrow(message)
  })
})

describe('createRefreshLimiter with the guard', () => {
  const stores: ReturnType<typeof createMemoryStore>[] = []
  afterAll(async () => {
    for (const store of stores) await store.close()
  })

  function refreshingGuard(limiter = createRefreshLimiter()) {
    const store = createMemoryStore({ pruneInterval: 0 })
    stores.push(store)
    const guard = createJwtGuard({
      secret: SECRET,
      store,
      refreshLimiter: limiter,
      authenticate: (_username, password) => (password === RIGHT ? { id: 123 } : null),
      identity: () => ({ user_id: 123 }),
    })
    const route = (path: string) => guard.routes.find((candidate) => candidate.path === path)
    async function call(path: string, body: unknown, remoteAddress: string) {
      try {
        const response = (await route(path)?.handle({
          contentType: 'application/json',
          body: JSON.stringify(body),
          headers: {},
          remoteAddress,
        })) as HttpResponse
        return { response, code: undefined as string | undefined }
      } catch (error) {
        return { response: guard.errorResponse(error), code: (error as { code?: string }).code }
      }
    }
    const tokensOf = (response: HttpResponse) =>
      JSON.parse(String(response.body)) as { access_token: string; refresh_token: string }
    const login = async (address: string) =>
      tokensOf((await call('/auth', { username: 'masnun', password: RIGHT }, address)).response)
    const refresh = (token: string, address: string) =>
      call('/auth/refresh', { refresh_token: token }, address)
    return { login, refresh, tokensOf }
  }

  it('refuses the 11th refresh of one session within a minute with 429, and leaves its token unspent', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') })
    const { login, refresh, tokensOf } = refreshingGuard()
    let token = (await login('192.0.2.1')).refresh_token
    for (let index = 0; index < 10; index += 1) {
      const rotated = await refresh(token, '192.0.2.1')
      expect(rotated.response.status).toBe(200)
      token = tokensOf(rotated.response).refresh_token
    }
    const refused = await refresh(token, '192.0.2.1')
    expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(refused.response.status).toBe(429)
    expect(Number(refused.response.headers['retry-after'])).toBeGreaterThan(0)
    // Another client with the same session is refused too: the count is the session's.
    expect((await refresh(token, '198.51.100.1')).code).toBe('ERR_TOO_MANY_REQUESTS')
    await vi.advanceTimersByTimeAsync(61_000)
    // Not spent by the refusals: it rotates once the window has passed.
    expect((await refresh(token, '192.0.2.1')).response.status).toBe(200)
  })

  it('refuses one client refreshing many sessions beyond maxPerClient', async () => {
    const { login, refresh } = refreshingGuard(createRefreshLimiter({ maxPerClient: 5 }))
    const sessions = await Promise.all(Array.from({ length: 7 }, () => login('192.0.2.1')))
    const results: number[] = []
    for (const session of sessions)
      results.push((await refresh(session.refresh_token, '192.0.2.1')).response.status)
    expect(results).toEqual([...times(5, 200), 429, 429])
    // Another client is not affected.
    expect((await refresh((await login('192.0.2.2')).refresh_token, '192.0.2.2')).response.status).toBe(200)
  })

  it.each([
    [{ maxPerFamily: 0 }, /maxPerFamily must be an integer >= 1/],
    [{ maxPerClient: 1.5 }, /maxPerClient must be an integer >= 1/],
    [{ window: 0 }, /window must be at least 1 second/],
    [{ ipv6Subnet: 200 }, /ipv6Subnet/],
  ])('refuses %o', (options, message) => {
    expect(() => createRefreshLimiter(options)).toThrow(message)
  })
})

describe('createRefreshLimiter in Redis', () => {
  it('counts refreshes of one family across instances', async () => {
    const { createClient } = await import('redis')
    const { randomUUID } = await import('node:crypto')
    const prefix = `jwtguard-test:${randomUUID()}:refresh:`
    const clients = [createClient({ url: process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379' })]
    clients.push(clients[0]?.duplicate() as (typeof clients)[number])
    for (const client of clients) await client.connect()
    try {
      const [one, two] = clients.map((redis) =>
        createRefreshLimiter({ redis: redis as never, keyPrefix: prefix, maxPerFamily: 3 }),
      )
      const attempt = { familyId: 'family-1', clientAddress: '192.0.2.1' }
      await one?.check(attempt)
      await two?.check(attempt)
      await one?.check(attempt)
      await expect(two?.check(attempt)).rejects.toMatchObject({ code: 'ERR_TOO_MANY_REQUESTS' })
      await expect(one?.check({ ...attempt, familyId: 'family-2' })).resolves.toBeUndefined()
    } finally {
      const keys: string[] = []
      for await (const batch of (clients[0] as (typeof clients)[number]).scanIterator({
        MATCH: `${prefix}*`,
      }))
        keys.push(...batch)
      if (keys.length > 0) await clients[0]?.del(keys)
      for (const client of clients) client.destroy()
    }
  })
})
