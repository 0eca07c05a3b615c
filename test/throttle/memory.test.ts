/**
 * The in-memory login limiter, through the guard's `/auth` route: what a client sees (status,
 * code, Retry-After), and what reaches `authenticate`.
 */

import { createLoginLimiter, type LoginLimiterOptions } from 'jwtguard/throttle'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { guardWith, RIGHT, statuses } from './support.js'

const times = (count: number, status: number): number[] => new Array<number>(count).fill(status)

afterEach(() => {
  vi.useRealTimers()
})

describe('createLoginLimiter (memory) with the guard', () => {
  it('refuses the 11th wrong password with 429, ERR_TOO_MANY_REQUESTS and Retry-After', async () => {
    const { login, calls } = guardWith(createLoginLimiter())
    expect(await statuses(login, 10, 'masnun', 'wrong')).toEqual(times(10, 401))
    const refused = await login('masnun', 'wrong')
    expect(refused.response.status).toBe(429)
    expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(refused.retryAfter).toBeGreaterThan(0)
    expect(refused.retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(Number(refused.response.headers['retry-after'])).toBe(refused.retryAfter)
    expect(JSON.parse(String(refused.response.body))).toMatchObject({
      status_code: 429,
      error: 'Too Many Requests',
    })
    // Refused before the password is checked: the right one is refused too, and costs no hash.
    expect((await login('masnun', RIGHT)).response.status).toBe(429)
    expect(calls.authenticate).toBe(10)
  })

  it('keeps refusing for forty attempts in a row', async () => {
    const { login } = guardWith(createLoginLimiter())
    expect(await statuses(login, 40, 'masnun', 'wrong')).toEqual([...times(10, 401), ...times(30, 429)])
  })

  it('counts each client separately', async () => {
    const { login } = guardWith(createLoginLimiter())
    await statuses(login, 10, 'masnun', 'wrong', '198.51.100.1')
    expect((await login('masnun', 'wrong', '198.51.100.1')).response.status).toBe(429)
    expect((await login('masnun', 'wrong', '198.51.100.2')).response.status).toBe(401)
    expect((await login('masnun', RIGHT, '198.51.100.2')).response.status).toBe(200)
  })

  it('counts the client that X-Forwarded-For names only when the proxy is trusted', async () => {
    const behindProxy = guardWith(createLoginLimiter({ maxFailuresPerUser: 2 }), { trustProxy: 1 })
    const through = (client: string) =>
      behindProxy.login('masnun', 'wrong', '10.0.0.1', { 'x-forwarded-for': client })
    expect([
      (await through('192.0.2.1')).response.status,
      (await through('192.0.2.1')).response.status,
    ]).toEqual([401, 401])
    expect((await through('192.0.2.1')).response.status).toBe(429)
    expect((await through('192.0.2.2')).response.status).toBe(401)

    const direct = guardWith(createLoginLimiter({ maxFailuresPerUser: 2 }))
    for (const client of ['192.0.2.1', '192.0.2.2']) {
      await direct.login('masnun', 'wrong', '10.0.0.1', { 'x-forwarded-for': client })
    }
    // Without trustProxy, a forged header changes nothing: both came from 10.0.0.1.
    expect((await direct.login('masnun', 'wrong', '10.0.0.1', { 'x-forwarded-for': '192.0.2.3' })).code).toBe(
      'ERR_TOO_MANY_REQUESTS',
    )
  })

  it('resets the username count on a successful login', async () => {
    const { login } = guardWith(createLoginLimiter())
    expect(await statuses(login, 9, 'masnun', 'wrong')).toEqual(times(9, 401))
    expect((await login('masnun', RIGHT)).response.status).toBe(200)
    expect(await statuses(login, 10, 'masnun', 'wrong')).toEqual(times(10, 401))
    expect((await login('masnun', 'wrong')).response.status).toBe(429)
  })

  it('refuses a client after 100 failures across usernames, whatever the username', async () => {
    const { login } = guardWith(createLoginLimiter())
    const spray = await statuses(login, 100, (index) => `user${index}`, 'wrong', '198.51.100.9')
    expect(spray).toEqual(times(100, 401))
    const refused = await login('someone-new', RIGHT, '198.51.100.9')
    expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(refused.retryAfter).toBeGreaterThan(0)
    expect((await login('someone-new', RIGHT, '198.51.100.10')).response.status).toBe(200)
  })

  it('does not count successful logins, nor refusals for one username, against the client', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerUser: 2, maxFailuresPerClient: 5 }))
    expect(await statuses(login, 20, 'masnun', RIGHT)).toEqual(times(20, 200))
    expect(await statuses(login, 12, 'victim', 'wrong')).toEqual([401, 401, ...times(10, 429)])
    // 2 failures so far for this client: 3 more are allowed, for other usernames.
    expect(await statuses(login, 4, (index) => `other${index}`, 'wrong')).toEqual([401, 401, 401, 429])
  })

  it('lets no more than the limit through when attempts arrive concurrently', async () => {
    const { login, calls } = guardWith(createLoginLimiter())
    const results = await Promise.all(Array.from({ length: 30 }, () => login('masnun', 'wrong')))
    const counts = results.map((result) => result.response.status).sort()
    expect(counts).toEqual([...times(10, 401), ...times(20, 429)])
    expect(calls.authenticate).toBe(10)
  })

  it('counts usernames case- and width-insensitively', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerUser: 3 }))
    for (const name of ['admin', 'ADMIN', 'ａｄｍｉｎ']) await login(name, 'wrong')
    expect((await login('Admin', 'wrong')).code).toBe('ERR_TOO_MANY_REQUESTS')
  })

  it('counts an IPv6 client per /56 by default, and per address with ipv6Subnet: false', async () => {
    const subnet = guardWith(createLoginLimiter({ maxFailuresPerUser: 2 }))
    await subnet.login('masnun', 'wrong', '2001:db8:aa:bb00::1')
    await subnet.login('masnun', 'wrong', '2001:db8:aa:bbff:1:2:3:4')
    expect((await subnet.login('masnun', 'wrong', '2001:db8:aa:bb12::9')).code).toBe('ERR_TOO_MANY_REQUESTS')
    expect((await subnet.login('masnun', 'wrong', '2001:db8:aa:cc00::1')).response.status).toBe(401)

    const exact = guardWith(createLoginLimiter({ maxFailuresPerUser: 2, ipv6Subnet: false }))
    await exact.login('masnun', 'wrong', '2001:db8::1')
    await exact.login('masnun', 'wrong', '2001:db8::1')
    expect((await exact.login('masnun', 'wrong', '2001:db8::2')).response.status).toBe(401)
  })

  it('treats an IPv4-mapped IPv6 address as the IPv4 client', async () => {
    const { login } = guardWith(createLoginLimiter({ maxFailuresPerUser: 2 }))
    await login('masnun', 'wrong', '::ffff:192.0.2.5')
    await login('masnun', 'wrong', '192.0.2.5')
    expect((await login('masnun', 'wrong', '::ffff:c000:205')).code).toBe('ERR_TOO_MANY_REQUESTS')
  })

  it('lets the client in again once the window has passed', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') })
    const { login } = guardWith(createLoginLimiter({ window: '15m' }))
    const settle = async <T>(promise: Promise<T>): Promise<T> => {
      await vi.advanceTimersByTimeAsync(10)
      return promise
    }
    for (let index = 0; index < 10; index += 1) await settle(login('masnun', 'wrong'))
    const refused = await settle(login('masnun', 'wrong'))
    expect(refused.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect(refused.retryAfter).toBeGreaterThan(14 * 60)
    await vi.advanceTimersByTimeAsync(14 * 60 * 1000)
    expect((await settle(login('masnun', 'wrong'))).code).toBe('ERR_TOO_MANY_REQUESTS')
    await vi.advanceTimersByTimeAsync(60 * 1000)
    expect((await settle(login('masnun', 'wrong'))).response.status).toBe(401)
  })
})

describe('createLoginLimiter options', () => {
  it('applies the defaults of the contract', () => {
    expect(createLoginLimiter().settings).toEqual({
      maxFailuresPerUser: 10,
      maxFailuresPerClient: 100,
      maxFailuresPerAccount: 50,
      window: 900,
      accountWindow: 3600,
      knownClientFor: 14 * 86400,
      ipv6Subnet: 56,
      backend: 'memory',
    })
  })

  it.each<[string, LoginLimiterOptions, ErrorConstructor, RegExp]>([
    [
      'a zero maxFailuresPerUser',
      { maxFailuresPerUser: 0 },
      RangeError,
      /maxFailuresPerUser must be an integer/,
    ],
    ['a fractional maxFailuresPerClient', { maxFailuresPerClient: 1.5 }, RangeError, /maxFailuresPerClient/],
    ['an unreadable window', { window: 'soon' }, TypeError, /window must be a number of seconds/],
    ['a zero window', { window: 0 }, RangeError, /at least 1 second/],
    ['an ipv6Subnet of 200', { ipv6Subnet: 200 }, RangeError, /ipv6Subnet/],
    ['an empty keyPrefix', { keyPrefix: '' }, TypeError, /keyPrefix/],
    ['a zero commandTimeout', { commandTimeout: 0 }, RangeError, /commandTimeout/],
    [
      'a redis that is not a client',
      { redis: {} as never },
      TypeError,
      /createClient\(\) or createCluster\(\) of the redis package/,
    ],
  ])('refuses %s', (_case, options, type, message) => {
    expect(() => createLoginLimiter(options)).toThrow(type)
    expect(() => createLoginLimiter(options)).toThrow(message)
  })
})
