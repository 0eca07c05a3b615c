/**
 * The token store conformance suite, written once and run against every store (memory, SQLite,
 * Redis). Times are frozen: each test's clock stands at `t0` (the real time when it starts), live
 * entries expire an hour later and "expired" ones ten seconds before `t0`, so a server-side TTL
 * (Redis) and an injected clock (memory, SQLite) agree.
 */
import { randomUUID } from 'node:crypto'
import { isJwtGuardError } from 'jwtguard'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RefreshRecord, TokenStore } from '../../src/stores/types.js'

/** How a store is opened by the suite. */
export interface StoreHarness {
  /** Opens a store; with `shared`, every call opens another instance on the same storage. */
  open(now: () => number): Promise<TokenStore>
  /** Whether two `open` calls share storage (persistence, cross-instance atomicity). */
  shared: boolean
  /** Whether the injected clock decides expiry (memory, SQLite), not the server's (Redis). */
  clockDriven: boolean
  /** Whether `prune` reports the rows it removed (Redis expires keys itself and reports 0). */
  countsPrune: boolean
  /** Within how many ms a revocation through one instance reaches another's view, when `shared`. */
  propagationMs?: number | undefined
  /** Removes the storage after the test. */
  cleanup?: (() => Promise<void>) | undefined
}

/** Polls `predicate` until it holds; returns the elapsed ms, fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const start = performance.now()
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return performance.now() - start
}

/** The `code` of a rejection (or `undefined` when it is not a JwtGuardError). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

const HOUR = 3600

/** What a store can do, known when the suite is declared: tests beyond it are not registered. */
export type StoreCapabilities = Pick<StoreHarness, 'shared' | 'clockDriven' | 'propagationMs'>

export function describeTokenStore(
  name: string,
  capabilities: StoreCapabilities,
  makeHarness: () => Promise<StoreHarness> | StoreHarness,
): void {
  describe(`TokenStore conformance: ${name}`, () => {
    let harness: StoreHarness
    let t0: number
    let current: number
    const clock = (): number => current
    const opened: TokenStore[] = []
    let store: TokenStore

    async function open(): Promise<TokenStore> {
      const next = await harness.open(clock)
      opened.push(next)
      return next
    }

    function refresh(overrides: Partial<RefreshRecord> = {}): RefreshRecord {
      return {
        id: randomUUID(),
        familyId: randomUUID(),
        identity: '123',
        issuedAt: t0,
        expiresAt: t0 + HOUR,
        ...overrides,
      }
    }

    beforeEach(async () => {
      harness = await makeHarness()
      t0 = Math.floor(Date.now() / 1000)
      current = t0
      store = await open()
    })

    afterEach(async () => {
      for (const each of opened.splice(0)) await each.close()
      await harness.cleanup?.()
    })

    describe('revoke / isRevoked', () => {
      it('reports a revoked jti, in the backend and in the view, and nothing else', async () => {
        await store.revoke('jti-1', t0 + HOUR)
        expect(await store.isRevoked('jti-1')).toBe(true)
        expect(store.view.isRevoked('jti-1')).toBe(true)
        expect(await store.isRevoked('jti-2')).toBe(false)
        expect(store.view.isRevoked('jti-2')).toBe(false)
        expect(store.view.available).toBe(true)
      })

      it('forgets an entry whose expiry has passed', async () => {
        await store.revoke('gone', t0 - 10)
        expect(await store.isRevoked('gone')).toBe(false)
        expect(store.view.isRevoked('gone')).toBe(false)
      })

      it('keeps the later expiry when a jti is revoked twice', async () => {
        await store.revoke('twice', t0 + HOUR)
        await store.revoke('twice', t0 - 10)
        expect(await store.isRevoked('twice')).toBe(true)
        expect(store.view.isRevoked('twice')).toBe(true)
      })

      // Only where the store has this capability: registered, never skipped.

      if (capabilities.clockDriven)
        it('expires entries when the clock passes expiresAt', async () => {
          await store.revoke('short', t0 + 60)
          current = t0 + 59
          expect(await store.isRevoked('short')).toBe(true)
          expect(store.view.isRevoked('short')).toBe(true)
          current = t0 + 60
          expect(await store.isRevoked('short')).toBe(false)
          expect(store.view.isRevoked('short')).toBe(false)
        })
    })

    describe('revokeAllFor / revokedBefore', () => {
      it('keeps a cut-off per identity, merged by keeping the larger values', async () => {
        expect(await store.revokedBefore('alice')).toBeNull()
        await store.revokeAllFor('alice', t0 - 5, t0 + HOUR)
        expect(await store.revokedBefore('alice')).toBe(t0 - 5)
        expect(store.view.revokedBefore('alice')).toBe(t0 - 5)
        await store.revokeAllFor('alice', t0 - 100, t0 + 2 * HOUR)
        expect(await store.revokedBefore('alice')).toBe(t0 - 5)
        await store.revokeAllFor('alice', t0, t0 + 10)
        expect(await store.revokedBefore('alice')).toBe(t0)
        expect(store.view.revokedBefore('alice')).toBe(t0)
        expect(await store.revokedBefore('bob')).toBeNull()
        expect(store.view.revokedBefore('bob')).toBeNull()
      })

      it('keeps fractional cut-offs exactly', async () => {
        await store.revokeAllFor('carol', t0 + 0.5, t0 + HOUR)
        expect(await store.revokedBefore('carol')).toBe(t0 + 0.5)
        expect(store.view.revokedBefore('carol')).toBe(t0 + 0.5)
      })

      it('forgets an expired cut-off', async () => {
        await store.revokeAllFor('dave', t0 - 20, t0 - 10)
        expect(await store.revokedBefore('dave')).toBeNull()
        expect(store.view.revokedBefore('dave')).toBeNull()
      })
    })

    describe('saveRefresh / consumeRefresh', () => {
      it('spends a token once, then reports every replay as reused', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        expect(await store.consumeRefresh(record.id, t0)).toEqual({ status: 'ok', record })
        expect(await store.consumeRefresh(record.id, t0)).toEqual({ status: 'reused', record })
        expect(await store.consumeRefresh(record.id, t0 + 1)).toEqual({ status: 'reused', record })
      })

      it.each([
        ['an id never saved', null, 0],
        ['a record saved already expired', -10, 0],
        ['a record consumed after its expiry', HOUR, HOUR],
      ])('answers unknown for %s', async (_case, expiresIn, consumeAt) => {
        const record = refresh(expiresIn === null ? {} : { expiresAt: t0 + expiresIn })
        if (expiresIn !== null) await store.saveRefresh(record)
        expect(await store.consumeRefresh(record.id, t0 + consumeAt)).toEqual({ status: 'unknown' })
      })

      it('refuses to save an id twice, and never resets a spent marker', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        expect((await store.consumeRefresh(record.id, t0)).status).toBe('ok')
        const error = await rejectionOf(store.saveRefresh({ ...record, familyId: 'other' }))
        expect(error).toBeInstanceOf(TypeError)
        expect(await store.consumeRefresh(record.id, t0)).toEqual({ status: 'reused', record })
      })

      it('rounds expiresAt up to a whole second', async () => {
        const record = refresh({ expiresAt: t0 + HOUR - 0.5 })
        await store.saveRefresh(record)
        const result = await store.consumeRefresh(record.id, t0)
        expect(result).toEqual({ status: 'ok', record: { ...record, expiresAt: t0 + HOUR } })
      })

      it('keeps the record independent of the caller object', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        const saved = { ...record }
        record.identity = 'mallory'
        expect(await store.consumeRefresh(saved.id, t0)).toEqual({ status: 'ok', record: saved })
      })

      it('lets exactly one of 50 concurrent consumers win', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.consumeRefresh(record.id, t0)),
        )
        const statuses = results.map((result) => result.status)
        expect(statuses.filter((status) => status === 'ok')).toHaveLength(1)
        expect(statuses.filter((status) => status === 'reused')).toHaveLength(49)
      })

      // Only where the store has this capability: registered, never skipped.

      if (capabilities.shared)
        it('lets exactly one consumer win across two instances on one storage', async () => {
          const other = await open()
          const records = Array.from({ length: 10 }, () => refresh())
          for (const record of records) await store.saveRefresh(record)
          const results = await Promise.all(
            records.flatMap((record) =>
              Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).consumeRefresh(record.id, t0)),
            ),
          )
          for (const record of records) {
            const mine = results.filter((result) => 'record' in result && result.record.id === record.id)
            expect(mine.filter((result) => result.status === 'ok')).toHaveLength(1)
            expect(mine.filter((result) => result.status === 'reused')).toHaveLength(9)
          }
        })
    })

    describe('families and cut-offs on refresh', () => {
      it('refuses every token of a revoked family, and only that family', async () => {
        const family = randomUUID()
        const first = refresh({ familyId: family })
        const second = refresh({ familyId: family })
        const stranger = refresh()
        for (const record of [first, second, stranger]) await store.saveRefresh(record)
        expect(await store.isFamilyRevoked(family)).toBe(false)
        expect(store.view.isFamilyRevoked(family)).toBe(false)
        await store.revokeFamily(family, t0 + HOUR)
        expect(await store.isFamilyRevoked(family)).toBe(true)
        // The view answers too: the family's access tokens are refused without a round trip.
        expect(store.view.isFamilyRevoked(family)).toBe(true)
        expect(store.view.isFamilyRevoked(stranger.familyId)).toBe(false)
        expect(await store.consumeRefresh(first.id, t0)).toEqual({ status: 'family-revoked', record: first })
        expect(await store.consumeRefresh(second.id, t0)).toEqual({
          status: 'family-revoked',
          record: second,
        })
        expect((await store.consumeRefresh(stranger.id, t0)).status).toBe('ok')
        expect(await store.isFamilyRevoked(stranger.familyId)).toBe(false)
      })

      it('runs the rotation and reuse-detection flow end to end', async () => {
        const family = randomUUID()
        const login = refresh({ familyId: family })
        await store.saveRefresh(login)
        expect((await store.consumeRefresh(login.id, t0)).status).toBe('ok')
        const rotated = refresh({ familyId: family, issuedAt: t0 + 1 })
        await store.saveRefresh(rotated)
        // The old token comes back: a thief or a replay. The caller revokes the family.
        const replay = await store.consumeRefresh(login.id, t0 + 2)
        expect(replay.status).toBe('reused')
        await store.revokeFamily(family, t0 + HOUR)
        expect(await store.consumeRefresh(rotated.id, t0 + 3)).toEqual({
          status: 'family-revoked',
          record: rotated,
        })
      })

      it('reports a token spent within the reuse interval as concurrent, and after it as reused', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        expect((await store.consumeRefresh(record.id, t0 + 0.5, 5)).status).toBe('ok')
        expect(await store.consumeRefresh(record.id, t0 + 5.5, 5)).toEqual({ status: 'concurrent', record })
        expect(await store.consumeRefresh(record.id, t0 + 5.5)).toEqual({ status: 'reused', record })
        expect((await store.consumeRefresh(record.id, t0 + 5.75, 5)).status).toBe('reused')
        // Family revocation still wins over the interval.
        await store.revokeFamily(record.familyId, t0 + HOUR)
        expect((await store.consumeRefresh(record.id, t0 + 1, 5)).status).toBe('family-revoked')
        await expect(store.consumeRefresh(record.id, t0, -1)).rejects.toThrow(TypeError)
      })

      it('lets one of concurrent consumers spend the token and the others get concurrent within the interval', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.consumeRefresh(record.id, t0, 3)),
        )
        const statuses = results.map((result) => result.status).sort()
        expect(statuses.filter((status) => status === 'ok')).toHaveLength(1)
        expect(statuses.filter((status) => status === 'concurrent')).toHaveLength(19)
      })

      it('forgets a family revocation once it expires', async () => {
        const record = refresh()
        await store.saveRefresh(record)
        await store.revokeFamily(record.familyId, t0 - 10)
        expect(await store.isFamilyRevoked(record.familyId)).toBe(false)
        expect(store.view.isFamilyRevoked(record.familyId)).toBe(false)
        expect((await store.consumeRefresh(record.id, t0)).status).toBe('ok')
      })

      it('refuses refresh tokens issued before the identity cut-off, not those after', async () => {
        const before = refresh({ identity: 'erin', issuedAt: t0 - 100 })
        const after = refresh({ identity: 'erin', issuedAt: t0 })
        await store.saveRefresh(before)
        await store.saveRefresh(after)
        await store.revokeAllFor('erin', t0, t0 + HOUR)
        expect(await store.consumeRefresh(before.id, t0)).toEqual({
          status: 'identity-revoked',
          record: before,
        })
        expect((await store.consumeRefresh(after.id, t0)).status).toBe('ok')
      })
    })

    describe('prune', () => {
      // Only where the store has this capability: registered, never skipped.
      if (capabilities.clockDriven)
        it('removes expired entries and keeps live ones', async () => {
          const live = refresh()
          const dying = refresh({ expiresAt: t0 + 10 })
          await store.revoke('live', t0 + HOUR)
          await store.revoke('dying', t0 + 10)
          await store.revokeAllFor('live', t0, t0 + HOUR)
          await store.revokeAllFor('dying', t0, t0 + 10)
          await store.saveRefresh(live)
          await store.saveRefresh(dying)
          await store.revokeFamily('live', t0 + HOUR)
          await store.revokeFamily('dying', t0 + 10)
          current = t0 + 20
          const removed = await store.prune(current)
          if (harness.countsPrune) expect(removed).toBe(4)
          expect(await store.prune(current)).toBe(0)
          expect(await store.isRevoked('live')).toBe(true)
          expect(await store.revokedBefore('live')).toBe(t0)
          expect(await store.isFamilyRevoked('live')).toBe(true)
          expect(await store.consumeRefresh(live.id, current)).toEqual({ status: 'ok', record: live })
          expect(await store.consumeRefresh(dying.id, current)).toEqual({ status: 'unknown' })
          expect(await store.isRevoked('dying')).toBe(false)
          expect(await store.revokedBefore('dying')).toBeNull()
          expect(await store.isFamilyRevoked('dying')).toBe(false)
        })

      it('returns a count and keeps live entries', async () => {
        await store.revoke('kept', t0 + HOUR)
        expect(await store.prune(t0)).toBeGreaterThanOrEqual(0)
        expect(await store.isRevoked('kept')).toBe(true)
        expect(store.view.isRevoked('kept')).toBe(true)
      })
    })

    // Only for stores whose storage outlives an instance: registered, never skipped.
    if (capabilities.shared)
      describe('sharing and persistence', () => {
        it('keeps everything across a close and reopen', async () => {
          const spent = refresh()
          const fresh = refresh()
          await store.revoke('persisted', t0 + HOUR)
          await store.revokeAllFor('frank', t0, t0 + HOUR)
          await store.saveRefresh(spent)
          await store.saveRefresh(fresh)
          expect((await store.consumeRefresh(spent.id, t0)).status).toBe('ok')
          await store.revokeFamily('persisted-family', t0 + HOUR)
          await store.close()
          const reopened = await open()
          expect(await reopened.isRevoked('persisted')).toBe(true)
          expect(reopened.view.isRevoked('persisted')).toBe(true)
          expect(reopened.view.revokedBefore('frank')).toBe(t0)
          expect(await reopened.consumeRefresh(spent.id, t0)).toEqual({ status: 'reused', record: spent })
          expect(await reopened.consumeRefresh(fresh.id, t0)).toEqual({ status: 'ok', record: fresh })
          expect(await reopened.isFamilyRevoked('persisted-family')).toBe(true)
          expect(reopened.view.isFamilyRevoked('persisted-family')).toBe(true)
        })

        // Only where the store has this capability: registered, never skipped.

        if (capabilities.shared && capabilities.propagationMs !== undefined)
          it('shows a revocation made through one instance in the view of another', async () => {
            const other = await open()
            const limit = capabilities.propagationMs as number
            await store.revoke('propagated', t0 + HOUR)
            await waitFor(() => other.view.isRevoked('propagated'), limit, 'revocation in the other view')
            await other.revokeAllFor('gina', t0, t0 + HOUR)
            await waitFor(() => store.view.revokedBefore('gina') === t0, limit, 'cut-off in the other view')
            await store.revokeFamily('propagated-family', t0 + HOUR)
            await waitFor(
              () => other.view.isFamilyRevoked('propagated-family'),
              limit,
              'family in the other view',
            )
          })
      })

    describe('argument checks', () => {
      const cases: [string, (store: TokenStore) => Promise<unknown>][] = [
        ['revoke with an empty jti', (s) => s.revoke('', t0 + HOUR)],
        ['revoke with a NaN expiry', (s) => s.revoke('x', Number.NaN)],
        ['isRevoked with a non-string', (s) => s.isRevoked(42 as unknown as string)],
        ['revokeAllFor with an infinite cut-off', (s) => s.revokeAllFor('x', Number.POSITIVE_INFINITY, t0)],
        ['saveRefresh without a family', (s) => s.saveRefresh({ ...refresh(), familyId: '' })],
        [
          'saveRefresh with a string expiry',
          (s) => s.saveRefresh({ ...refresh(), expiresAt: '1' as unknown as number }),
        ],
        ['consumeRefresh without now', (s) => s.consumeRefresh('x', undefined as unknown as number)],
        ['revokeFamily with an empty id', (s) => s.revokeFamily('', t0)],
        ['prune with a NaN time', (s) => s.prune(Number.NaN)],
      ]
      it.each(cases)('rejects %s with a TypeError', async (_case, call) => {
        const error = await rejectionOf(call(store))
        expect(error).toBeInstanceOf(TypeError)
        expect(isJwtGuardError(error)).toBe(false)
      })
    })

    it('closes idempotently', async () => {
      await store.close()
      await store.close()
    })
  })
}
