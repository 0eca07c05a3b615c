/**
 * `currentIdentity()` is opt-in (`currentIdentity: true`): on Node 20 and 22 AsyncLocalStorage
 * taxes every promise of the process once used. While nothing turned it on, reading it is a
 * mistake that must be said aloud, not an `undefined` that reads as "no user". This file runs in
 * its own process (vitest's `forks` pool), so no other test has turned it on before.
 */
import { createJwtGuard, currentIdentity, type JwtGuardOptions, runWithIdentity } from 'jwtguard'
import { describe, expect, it } from 'vitest'

const NOW = 1_700_000_000
const options: JwtGuardOptions<{ user_id: number }> = {
  secret: 'current-identity-test-secret-0123456789abcdef',
  now: () => NOW,
  authenticate: () => null,
  identity: (payload) => ({ user_id: Number(payload.identity) }),
}

describe('currentIdentity() before anything turns it on', () => {
  it('throws, naming the option and the adapters’ own properties', async () => {
    const guard = createJwtGuard(options)
    expect(guard.options.currentIdentity).toBe(false)
    expect(() => currentIdentity()).toThrow(/currentIdentity: true.*request\.identity.*req\.auth.*c\.get/s)
    expect(() => guard.currentIdentity()).toThrow(/currentIdentity: true/)

    // The default guard runs handlers without AsyncLocalStorage: inside one, it is still off.
    const { identity } = await guard.authenticateRequest({
      authorization: `JWT ${guard.createAccessToken({ id: 7 })}`,
    })
    const inside = guard.runWithIdentity(identity, () => {
      try {
        return currentIdentity()
      } catch (error) {
        return error instanceof Error ? error.message : 'not an Error'
      }
    })
    expect(inside).toMatch(/currentIdentity\(\) is off/)
  })

  it('works once a guard is created with currentIdentity: true', async () => {
    const guard = createJwtGuard({ ...options, currentIdentity: true })
    expect(currentIdentity()).toBeUndefined()
    const { identity } = await guard.authenticateRequest({
      authorization: `JWT ${guard.createAccessToken({ id: 7 })}`,
    })
    const seen = await guard.runWithIdentity(identity, async () => {
      await new Promise((resolve) => setImmediate(resolve))
      return guard.currentIdentity()
    })
    expect(seen).toEqual({ user_id: 7 })
    expect(runWithIdentity({ user_id: 8 }, () => currentIdentity())).toEqual({ user_id: 8 })
  })
})
