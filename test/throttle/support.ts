/**
 * A guard with a login limiter, and a login helper that answers like the adapters do (the route's
 * response, or the error's response).
 */
import { createJwtGuard, type LoginLimiter } from 'jwtguard'
import type { HttpResponse } from 'jwtguard/adapter'
import type { LoginLimiterOptions } from 'jwtguard/throttle'
import { expect, it } from 'vitest'

export const SECRET = 'throttle-test-secret-of-at-least-32-bytes'
export const RIGHT = 'abc123'

export interface LoginResult {
  response: HttpResponse
  retryAfter: number | undefined
  code: string | undefined
}

/** A guard whose `authenticate` accepts any username with the password `abc123`, and counts calls. */
export function guardWith(loginLimiter: LoginLimiter, options: { trustProxy?: number } = {}) {
  const calls = { authenticate: 0 }
  const guard = createJwtGuard({
    secret: SECRET,
    loginLimiter,
    trustProxy: options.trustProxy ?? false,
    authenticate: async (_username, password) => {
      calls.authenticate += 1
      // A little latency, like a password hash, so concurrent logins overlap.
      await new Promise((resolve) => setTimeout(resolve, 5))
      return password === RIGHT ? { id: 123 } : null
    },
    identity: () => ({ user_id: 123 }),
  })
  const route = guard.routes[0]
  if (route === undefined) throw new Error('the guard mounts /auth')

  async function login(
    username: string,
    password: string,
    remoteAddress = '203.0.113.7',
    headers: Record<string, string> = {},
  ): Promise<LoginResult> {
    try {
      const response = await route?.handle({
        contentType: 'application/json',
        body: JSON.stringify({ username, password }),
        headers,
        remoteAddress,
      })
      return { response: response as HttpResponse, retryAfter: undefined, code: undefined }
    } catch (error) {
      const coded = error as { code?: string; retryAfter?: number }
      return { response: guard.errorResponse(error), retryAfter: coded.retryAfter, code: coded.code }
    }
  }

  return { guard, login, calls }
}

/** Runs `count` logins one after the other and returns their statuses. */
export async function statuses(
  login: (username: string, password: string, remoteAddress?: string) => Promise<LoginResult>,
  count: number,
  username: string | ((index: number) => string),
  password: string,
  remoteAddress?: string,
): Promise<number[]> {
  const result: number[] = []
  for (let index = 0; index < count; index += 1) {
    const name = typeof username === 'function' ? username(index) : username
    result.push((await login(name, password, remoteAddress)).response.status)
  }
  return result
}

/** Two guards whose login limiters share one backend, as two server instances would. */
export type TwoInstances = (
  options?: LoginLimiterOptions,
) => Promise<{ keyPrefix: string; first: ReturnType<typeof guardWith>; second: ReturnType<typeof guardWith> }>

/**
 * The rows every shared login-limiter backend (one Redis, a Redis Cluster) must pass: counts,
 * resets and known clients are the same on both instances, and a burst on both lets no more than
 * the limit through. Call it inside the backend's `describe`.
 */
export function sharedLimiterRows(twoInstances: TwoInstances): void {
  it('lets no more than the limit through when both instances get a burst at once', async () => {
    const { first, second } = await twoInstances()
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? first : second).login('masnun', 'wrong')),
    )
    expect(results.filter((result) => result.response.status === 401)).toHaveLength(10)
    expect(results.filter((result) => result.code === 'ERR_TOO_MANY_REQUESTS')).toHaveLength(20)
    expect(first.calls.authenticate + second.calls.authenticate).toBe(10)
  })

  it('resets the username count everywhere on a success through either instance', async () => {
    const { first, second } = await twoInstances()
    await statuses(first.login, 9, 'masnun', 'wrong')
    expect((await second.login('masnun', RIGHT)).response.status).toBe(200)
    expect(await statuses(first.login, 10, 'masnun', 'wrong')).toEqual(new Array(10).fill(401))
    expect((await second.login('masnun', 'wrong')).code).toBe('ERR_TOO_MANY_REQUESTS')
  })

  it('shares the account count and the known clients between instances', async () => {
    const { first, second } = await twoInstances({ maxFailuresPerAccount: 3 })
    expect((await first.login('masnun', RIGHT, '192.0.2.10')).response.status).toBe(200)
    // Three clients spend the account's budget, across both instances.
    expect((await first.login('masnun', 'wrong', '198.51.100.1')).response.status).toBe(401)
    expect((await second.login('masnun', 'wrong', '198.51.100.2')).response.status).toBe(401)
    expect((await first.login('masnun', 'wrong', '198.51.100.3')).response.status).toBe(401)
    expect((await second.login('masnun', RIGHT, '198.51.100.4')).code).toBe('ERR_TOO_MANY_REQUESTS')
    // The client known through the first instance is known to the second.
    expect((await second.login('masnun', RIGHT, '192.0.2.10')).response.status).toBe(200)
  })
}
