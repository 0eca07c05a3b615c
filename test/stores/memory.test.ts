import { runTokenStoreConformance } from 'jwtguard/testing'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryStore } from '../../src/stores/memory.js'
import { VITEST } from '../support/runner.js'

// The reference implementation: it passes the suite first.
runTokenStoreConformance(VITEST, {
  name: 'memory',
  setup: () => ({ open: (now) => createMemoryStore({ now }) }),
})

describe('createMemoryStore', () => {
  it.each([
    [{ pruneInterval: -1 }, RangeError],
    [{ pruneInterval: Number.NaN }, RangeError],
    [{ now: 5 as unknown as () => number }, TypeError],
  ])('refuses the options %o', (options, type) => {
    expect(() => createMemoryStore(options)).toThrow(type)
  })

  it('starts where setInterval returns a number (workerd, Deno): no unref to call (issue 18)', async () => {
    const setInterval = vi.spyOn(globalThis, 'setInterval').mockReturnValue(7 as never)
    const clearInterval = vi.spyOn(globalThis, 'clearInterval').mockImplementation(() => {})
    try {
      const store = createMemoryStore({ pruneInterval: 60 })
      expect(setInterval).toHaveBeenCalledOnce()
      await store.close?.()
    } finally {
      setInterval.mockRestore()
      clearInterval.mockRestore()
    }
  })

  it('prunes on its own timer', async () => {
    let now = 1_000
    const store = createMemoryStore({ now: () => now, pruneInterval: 0.01 })
    await store.saveRefresh({ id: 'r', familyId: 'f', identity: 'i', issuedAt: 990, expiresAt: 1_010 })
    now = 1_020
    // After the timer ran there is nothing left for a manual prune to remove.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await store.prune(now)).toBe(0)
    await store.close()
  })
})
