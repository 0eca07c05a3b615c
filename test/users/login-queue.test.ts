/**
 * Issue 21 item 5: a login flood waits in a bounded queue. At most `maxConcurrency` password checks
 * run, at most `maxQueue` wait; the next login is answered at once with 503 `ERR_SERVER_BUSY` and
 * `Retry-After`, without counting as a failed attempt, and the queue serves the others in order.
 */
import { createJwtGuard, isJwtGuardError, type LoginLimiter } from 'jwtguard'
import { createPasswordHasher, passwordAuthenticator } from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { limiter } from '../../src/users/password.js'

const SECRET = 'login-queue-test-secret-of-at-least-32-bytes'

describe('the hasher queue', () => {
  it('runs `limit` tasks, queues `maxQueue`, refuses the next with ERR_SERVER_BUSY and a drain estimate', async () => {
    const limit = limiter(1, 2)
    const releases: (() => void)[] = []
    const order: number[] = []
    const task = (id: number) =>
      limit(async () => {
        await new Promise<void>((resolve) => releases.push(resolve))
        order.push(id)
        return id
      })
    const first = task(1)
    const queued = [task(2), task(3)]
    const refused = await task(4).catch((error: unknown) => error)
    expect(isJwtGuardError(refused) && refused.code).toBe('ERR_SERVER_BUSY')
    await Promise.resolve()
    releases.shift()?.()
    expect(await first).toBe(1)
    // A slot and a queue place are free again: a newcomer waits behind the queue, not before it.
    const late = task(5)
    for (let served = 0; served < 3; served += 1) {
      while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve))
      releases.shift()?.()
    }
    expect(await Promise.all([...queued, late])).toEqual([2, 3, 5])
    expect(order).toEqual([1, 2, 3, 5])
  })

  it('estimates Retry-After from the mean task time, queue length and concurrency', async () => {
    const limit = limiter(1, 0)
    await limit(() => new Promise((resolve) => setTimeout(resolve, 30)))
    let release: () => void = () => undefined
    const running = limit(() => new Promise<void>((resolve) => (release = resolve)))
    const refused = await limit(async () => undefined).catch((error: unknown) => error)
    expect(isJwtGuardError(refused) && refused.code).toBe('ERR_SERVER_BUSY')
    // One place (this call) behind a task that took at least 30 ms: at least 0.03 s (no upper
    // bound asserted: a loaded machine may stretch the timer). The HTTP layer rounds it up.
    expect(isJwtGuardError(refused) && refused.retryAfter).toBeGreaterThanOrEqual(0.029)
    release()
    await running
  })

  it('refuses a negative or fractional maxQueue at construction', () => {
    expect(() => createPasswordHasher({ maxQueue: -1 })).toThrow(/maxQueue/)
    expect(() => createPasswordHasher({ maxQueue: 1.5 })).toThrow(/maxQueue/)
    expect(() => createPasswordHasher({ maxQueue: Number.POSITIVE_INFINITY })).not.toThrow()
  })
})

describe('POST /auth past the queue', () => {
  const users = createSqliteUserStore({ database: ':memory:' })
  afterAll(() => users.close())
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, maxConcurrency: 1, maxQueue: 1 })
  // The four logins meet at the user lookup and go on together: from there to the hasher's queue
  // is microtasks only, so all four reach it before the first check (in libuv's pool) can end.
  // Without this meeting point, a loaded machine let the first check end before the fourth login
  // arrived, and the fourth was queued instead of refused.
  const waiting: (() => void)[] = []
  let meet = 1
  const gatedUsers: typeof users = {
    ...users,
    findByUsername: async (username) => {
      // The last to arrive waits too, so all go on in the order they arrived.
      await new Promise<void>((resolve) => {
        waiting.push(resolve)
        if (waiting.length >= meet) for (const go of waiting.splice(0)) go()
      })
      return users.findByUsername(username)
    },
  }
  const outcomes: string[] = []
  const loginLimiter: LoginLimiter = {
    check: async () => undefined,
    recordFailure: async () => void outcomes.push('failure'),
    recordSuccess: async () => void outcomes.push('success'),
    recordAborted: async () => void outcomes.push('aborted'),
  }
  const guard = createJwtGuard({
    secret: SECRET,
    authenticate: passwordAuthenticator(gatedUsers, hasher),
    identity: (payload) => payload,
    loginLimiter,
  })
  const login = guard.routes.find((route) => route.name === 'login')
  // As an adapter does: the route's answer, or its error rendered by the guard.
  const post = (username: string) =>
    login
      ?.handle({ contentType: 'application/json', body: JSON.stringify({ username, password: 'abc123' }) })
      .catch((error: unknown) => guard.errorResponse(error))

  it('answers 503 with Retry-After and the table description, and does not count a failed attempt', async () => {
    await users.create({ username: 'masnun', passwordHash: await hasher.hash('abc123') })
    await hasher.verifyDummy('warm') // the unknown user's dummy hash exists before the race
    meet = 4
    // One check runs, one waits; the third (a known or an unknown user alike) is refused at once.
    const answers = await Promise.all([post('masnun'), post('masnun'), post('masnun'), post('nobody')])
    const statuses = answers.map((answer) => answer?.status)
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    expect(statuses.slice(2)).toEqual([503, 503])
    const busy = answers[2]
    expect(busy?.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    expect(JSON.parse(busy?.body ?? '{}')).toEqual({
      status_code: 503,
      error: 'Service Unavailable',
      description: 'Too many logins in progress, try again shortly',
    })
    expect(outcomes.sort()).toEqual(['aborted', 'aborted', 'success', 'success'])
    // Drained: the next login is served.
    meet = 1
    expect((await post('masnun'))?.status).toBe(200)
  })
})
