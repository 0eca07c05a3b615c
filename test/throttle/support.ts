/**
 * A guard with a login limiter, and a login helper that answers like the adapters do (the route's
 * response, or the error's response).
 */
import { createJwtGuard, type LoginLimiter } from 'jwtguard'
import type { HttpResponse } from 'jwtguard/adapter'

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
