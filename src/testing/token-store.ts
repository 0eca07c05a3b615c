/**
 * The token-store conformance suite: what every {@link TokenStore} must do, written once and run
 * against memory, SQLite, Redis and any store a third party writes.
 *
 * Times are frozen: each test's clock stands at `t0` (the real time when it starts, in whole
 * seconds), live entries expire an hour later and "expired" ones ten seconds before `t0`, so a
 * store whose backend expires keys on its own clock (Redis) and one that reads the injected clock
 * agree.
 *
 * @module
 */

import { equal, ok } from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { isJwtGuardError } from '../core/errors.js'
import type { RefreshRecord, TokenStore } from '../stores/types.js'
import {
  booleanOption,
  checkFunction,
  checkName,
  checkTestApi,
  rejectionOf,
  same,
  type TestApi,
  waitFor,
} from './api.js'

const KIT = 'runTokenStoreConformance'
const HOUR = 3600

/** Fresh storage for one test, and how to open stores on it. */
export interface TokenStoreHarness {
  /**
   * Opens a store on this harness's storage, reading time from `now` (seconds since the epoch)
   * where the store takes a clock. With `shared`, each call opens another instance on the same
   * storage (another connection, another process's view).
   */
  open(now: () => number): TokenStore | Promise<TokenStore>
  /** Removes the storage after the test (a directory, a key prefix), once every store is closed. */
  cleanup?: (() => void | Promise<void>) | undefined
}

/** A store under test: its name, what it can do, and how each test gets fresh storage. */
export interface TokenStoreSubject {
  /** Shown in the suite's name: `TokenStore conformance: <name>`. */
  name: string
  /** Called before each test: prepares empty storage (a new file, a new key prefix). */
  setup(): TokenStoreHarness | Promise<TokenStoreHarness>
  /**
   * Whether two `open` calls on one harness share storage: enables the persistence and
   * cross-instance atomicity tests.
   * @default false
   */
  shared?: boolean | undefined
  /**
   * Whether the injected clock decides expiry (memory, SQLite); `false` when the backend expires
   * entries on its own clock (Redis), which leaves out the tests that move the clock.
   * @default true
   */
  clockDriven?: boolean | undefined
  /**
   * Whether `prune` reports how many rows it removed (`false` for a backend that expires keys
   * itself and reports 0).
   * @default true
   */
  countsPrune?: boolean | undefined
  /**
   * With `shared`: within how many milliseconds a revocation made through one instance must show
   * in another instance's synchronous `view`. Leave it out when instances share no view.
   * @default undefined (not tested)
   */
  propagationMs?: number | undefined
  /**
   * Whether the store has the optional `claimOnce` (the DPoP replay cache shared by instances):
   * enables its tests.
   * @default true
   */
  claims?: boolean | undefined
}

interface Capabilities {
  shared: boolean
  clockDriven: boolean
  countsPrune: boolean
  propagationMs: number | undefined
  claims: boolean
}

/** What every group of tests reads: the current store, its clock and record factory. */
interface Bench {
  readonly store: TokenStore
  readonly t0: number
  /** Moves the clock the stores read. */
  setNow(seconds: number): void
  /** Opens another store on the test's storage (closed after the test). */
  open(): Promise<TokenStore>
  refresh(overrides?: Partial<RefreshRecord>): RefreshRecord
}

function capabilitiesOf(subject: TokenStoreSubject): Capabilities {
  const propagationMs = subject.propagationMs
  if (propagationMs !== undefined && !(Number.isFinite(propagationMs) && propagationMs > 0)) {
    throw new RangeError(`${KIT}: propagationMs must be a positive number of milliseconds`)
  }
  return {
    shared: booleanOption(subject.shared, false, 'shared', KIT),
    clockDriven: booleanOption(subject.clockDriven, true, 'clockDriven', KIT),
    countsPrune: booleanOption(subject.countsPrune, true, 'countsPrune', KIT),
    propagationMs,
    claims: booleanOption(subject.claims, true, 'claims', KIT),
  }
}

/**
 * Registers the token-store conformance suite with the caller's test runner: revocation by `jti`
 * and by identity, refresh-token rotation with reuse detection (one winner among concurrent
 * consumers), family revocation, the session list (`sessions`), the synchronous view, pruning,
 * argument checks, and with `shared` persistence and cross-instance atomicity. Assertions are `node:assert/strict`.
 *
 * @param test - Your runner's `describe`, `it` and hooks ({@link TestApi}).
 * @param subject - The store: a name, its capabilities, and `setup` giving each test fresh storage.
 * @throws TypeError when `test` or `subject` is incomplete (at declaration, not per test).
 *
 * @example
 * ```ts
 * import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest'
 * import { createMemoryStore } from 'jwtguard/stores/memory'
 * import { runTokenStoreConformance } from 'jwtguard/testing'
 *
 * runTokenStoreConformance(
 *   { describe, it, beforeEach, afterEach, beforeAll, afterAll },
 *   { name: 'memory', setup: () => ({ open: (now) => createMemoryStore({ now }) }) },
 * )
 * ```
 */
export function runTokenStoreConformance(test: TestApi, subject: TokenStoreSubject): void {
  checkTestApi(test, KIT)
  const name = checkName(subject?.name, KIT)
  checkFunction(subject.setup, 'setup', KIT)
  const capabilities = capabilitiesOf(subject)
  test.describe(`TokenStore conformance: ${name}`, () => {
    let harness: TokenStoreHarness
    let t0 = 0
    let current = 0
    const clock = (): number => current
    const opened: TokenStore[] = []
    let store: TokenStore | undefined
    const bench: Bench = {
      get store() {
        if (store === undefined) throw new Error(`${KIT}: no store is open (did setup fail?)`)
        return store
      },
      get t0() {
        return t0
      },
      setNow(seconds) {
        current = seconds
      },
      async open() {
        const next = await harness.open(clock)
        opened.push(next)
        return next
      },
      refresh: (overrides = {}) => ({
        id: randomUUID(),
        familyId: randomUUID(),
        identity: '123',
        issuedAt: t0,
        expiresAt: t0 + HOUR,
        ...overrides,
      }),
    }

    test.beforeEach(async () => {
      harness = await subject.setup()
      t0 = Math.floor(Date.now() / 1000)
      current = t0
      store = await bench.open()
    })
    test.afterEach(async () => {
      for (const each of opened.splice(0)) await each.close()
      store = undefined
      await harness?.cleanup?.()
    })

    revocationTests(test, bench, capabilities)
    cutOffTests(test, bench)
    consumeTests(test, bench, capabilities)
    familyTests(test, bench)
    sessionTests(test, bench, capabilities)
    pruneTests(test, bench, capabilities)
    if (capabilities.shared) sharingTests(test, bench, capabilities)
    argumentTests(test, bench)
    if (capabilities.claims) claimTests(test, bench, capabilities)
  })
}

function revocationTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  test.describe('revoke / isRevoked', () => {
    test.it('reports a revoked jti, in the backend and in the view, and nothing else', async () => {
      const { store, t0 } = bench
      await store.revoke('jti-1', t0 + HOUR)
      equal(await store.isRevoked('jti-1'), true, 'isRevoked of a revoked jti')
      equal(store.view.isRevoked('jti-1'), true, 'view.isRevoked of a revoked jti')
      equal(await store.isRevoked('jti-2'), false, 'isRevoked of another jti')
      equal(store.view.isRevoked('jti-2'), false, 'view.isRevoked of another jti')
      equal(store.view.available, true, 'view.available')
    })

    test.it('forgets an entry whose expiry has passed', async () => {
      const { store, t0 } = bench
      await store.revoke('gone', t0 - 10)
      equal(await store.isRevoked('gone'), false, 'isRevoked of an expired entry')
      equal(store.view.isRevoked('gone'), false, 'view.isRevoked of an expired entry')
    })

    test.it('keeps the later expiry when a jti is revoked twice', async () => {
      const { store, t0 } = bench
      await store.revoke('twice', t0 + HOUR)
      await store.revoke('twice', t0 - 10)
      equal(await store.isRevoked('twice'), true, 'isRevoked after an earlier expiry')
      equal(store.view.isRevoked('twice'), true, 'view.isRevoked after an earlier expiry')
    })

    if (capabilities.clockDriven)
      test.it('expires entries when the clock passes expiresAt', async () => {
        const { store, t0 } = bench
        await store.revoke('short', t0 + 60)
        bench.setNow(t0 + 59)
        equal(await store.isRevoked('short'), true, 'one second before expiry')
        equal(store.view.isRevoked('short'), true, 'view, one second before expiry')
        bench.setNow(t0 + 60)
        equal(await store.isRevoked('short'), false, 'at expiry')
        equal(store.view.isRevoked('short'), false, 'view, at expiry')
      })
  })
}

function cutOffTests(test: TestApi, bench: Bench): void {
  test.describe('revokeAllFor / revokedBefore', () => {
    test.it('keeps a cut-off per identity, merged by keeping the larger values', async () => {
      const { store, t0 } = bench
      equal(await store.revokedBefore('alice'), null)
      await store.revokeAllFor('alice', t0 - 5, t0 + HOUR)
      equal(await store.revokedBefore('alice'), t0 - 5)
      equal(store.view.revokedBefore('alice'), t0 - 5)
      await store.revokeAllFor('alice', t0 - 100, t0 + 2 * HOUR)
      equal(await store.revokedBefore('alice'), t0 - 5, 'an earlier cut-off never moves it back')
      await store.revokeAllFor('alice', t0, t0 + 10)
      equal(await store.revokedBefore('alice'), t0)
      equal(store.view.revokedBefore('alice'), t0)
      equal(await store.revokedBefore('bob'), null)
      equal(store.view.revokedBefore('bob'), null)
    })

    test.it('keeps fractional cut-offs exactly', async () => {
      const { store, t0 } = bench
      await store.revokeAllFor('carol', t0 + 0.5, t0 + HOUR)
      equal(await store.revokedBefore('carol'), t0 + 0.5)
      equal(store.view.revokedBefore('carol'), t0 + 0.5)
    })

    test.it('forgets an expired cut-off', async () => {
      const { store, t0 } = bench
      await store.revokeAllFor('dave', t0 - 20, t0 - 10)
      equal(await store.revokedBefore('dave'), null)
      equal(store.view.revokedBefore('dave'), null)
    })
  })
}

function consumeTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  test.describe('saveRefresh / consumeRefresh', () => {
    test.it('spends a token once, then reports every replay as reused', async () => {
      const { store, t0 } = bench
      const record = bench.refresh()
      await store.saveRefresh(record)
      same(await store.consumeRefresh(record.id, t0), { status: 'ok', record }, 'first consume')
      same(await store.consumeRefresh(record.id, t0), { status: 'reused', record }, 'replay')
      same(await store.consumeRefresh(record.id, t0 + 1), { status: 'reused', record }, 'later replay')
    })

    const unknowns: [string, number | null, number][] = [
      ['an id never saved', null, 0],
      ['a record saved already expired', -10, 0],
      ['a record consumed after its expiry', HOUR, HOUR],
    ]
    for (const [what, expiresIn, consumeAt] of unknowns) {
      test.it(`answers unknown for ${what}`, async () => {
        const { store, t0 } = bench
        const record = bench.refresh(expiresIn === null ? {} : { expiresAt: t0 + expiresIn })
        if (expiresIn !== null) await store.saveRefresh(record)
        same(await store.consumeRefresh(record.id, t0 + consumeAt), { status: 'unknown' })
      })
    }

    test.it('refuses to save an id twice, and never resets a spent marker', async () => {
      const { store, t0 } = bench
      const record = bench.refresh()
      await store.saveRefresh(record)
      equal((await store.consumeRefresh(record.id, t0)).status, 'ok')
      const error = await rejectionOf(
        store.saveRefresh({ ...record, familyId: 'other' }),
        'saving an id twice',
      )
      ok(error instanceof TypeError, `saving an id twice must reject with a TypeError, got ${String(error)}`)
      same(await store.consumeRefresh(record.id, t0), { status: 'reused', record })
    })

    test.it('rounds expiresAt up to a whole second', async () => {
      const { store, t0 } = bench
      const record = bench.refresh({ expiresAt: t0 + HOUR - 0.5 })
      await store.saveRefresh(record)
      same(await store.consumeRefresh(record.id, t0), {
        status: 'ok',
        record: { ...record, expiresAt: t0 + HOUR },
      })
    })

    test.it('keeps the record independent of the caller object', async () => {
      const { store, t0 } = bench
      const record = bench.refresh()
      await store.saveRefresh(record)
      const saved = { ...record }
      record.identity = 'mallory'
      same(await store.consumeRefresh(saved.id, t0), { status: 'ok', record: saved })
    })

    test.it('lets exactly one of 50 concurrent consumers win', async () => {
      const { store, t0 } = bench
      const record = bench.refresh()
      await store.saveRefresh(record)
      const results = await Promise.all(Array.from({ length: 50 }, () => store.consumeRefresh(record.id, t0)))
      const statuses = results.map((result) => result.status)
      equal(statuses.filter((status) => status === 'ok').length, 1, 'winners')
      equal(statuses.filter((status) => status === 'reused').length, 49, 'reused')
    })

    if (capabilities.shared)
      test.it('lets exactly one consumer win across two instances on one storage', async () => {
        const { store, t0 } = bench
        const other = await bench.open()
        const records = Array.from({ length: 10 }, () => bench.refresh())
        for (const record of records) await store.saveRefresh(record)
        const results = await Promise.all(
          records.flatMap((record) =>
            Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).consumeRefresh(record.id, t0)),
          ),
        )
        for (const record of records) {
          const mine = results.filter((result) => 'record' in result && result.record.id === record.id)
          equal(mine.filter((result) => result.status === 'ok').length, 1, 'winners')
          equal(mine.filter((result) => result.status === 'reused').length, 9, 'reused')
        }
      })
  })
}

function familyTests(test: TestApi, bench: Bench): void {
  test.describe('families and cut-offs on refresh', () => {
    test.it('refuses every token of a revoked family, and only that family', async () => {
      const { store, t0 } = bench
      const family = randomUUID()
      const first = bench.refresh({ familyId: family })
      const second = bench.refresh({ familyId: family })
      const stranger = bench.refresh()
      for (const record of [first, second, stranger]) await store.saveRefresh(record)
      equal(await store.isFamilyRevoked(family), false)
      equal(store.view.isFamilyRevoked(family), false)
      await store.revokeFamily(family, t0 + HOUR)
      equal(await store.isFamilyRevoked(family), true)
      // The view answers too: the family's access tokens are refused without a round trip.
      equal(store.view.isFamilyRevoked(family), true, 'view.isFamilyRevoked of the revoked family')
      equal(store.view.isFamilyRevoked(stranger.familyId), false)
      same(await store.consumeRefresh(first.id, t0), { status: 'family-revoked', record: first })
      same(await store.consumeRefresh(second.id, t0), { status: 'family-revoked', record: second })
      equal((await store.consumeRefresh(stranger.id, t0)).status, 'ok')
      equal(await store.isFamilyRevoked(stranger.familyId), false)
    })

    test.it('runs the rotation and reuse-detection flow end to end', async () => {
      const { store, t0 } = bench
      const family = randomUUID()
      const login = bench.refresh({ familyId: family })
      await store.saveRefresh(login)
      equal((await store.consumeRefresh(login.id, t0)).status, 'ok')
      const rotated = bench.refresh({ familyId: family, issuedAt: t0 + 1 })
      await store.saveRefresh(rotated)
      // The old token comes back: a thief or a replay. The caller revokes the family.
      equal((await store.consumeRefresh(login.id, t0 + 2)).status, 'reused')
      await store.revokeFamily(family, t0 + HOUR)
      same(await store.consumeRefresh(rotated.id, t0 + 3), { status: 'family-revoked', record: rotated })
    })

    test.it(
      'reports a token spent within the reuse interval as concurrent, and after it as reused',
      async () => {
        const { store, t0 } = bench
        const record = bench.refresh()
        await store.saveRefresh(record)
        equal((await store.consumeRefresh(record.id, t0 + 0.5, 5)).status, 'ok')
        same(await store.consumeRefresh(record.id, t0 + 5.5, 5), { status: 'concurrent', record })
        same(await store.consumeRefresh(record.id, t0 + 5.5), { status: 'reused', record })
        equal((await store.consumeRefresh(record.id, t0 + 5.75, 5)).status, 'reused')
        // Family revocation still wins over the interval.
        await store.revokeFamily(record.familyId, t0 + HOUR)
        equal((await store.consumeRefresh(record.id, t0 + 1, 5)).status, 'family-revoked')
        const error = await rejectionOf(store.consumeRefresh(record.id, t0, -1), 'a negative reuse interval')
        ok(
          error instanceof TypeError,
          `a negative reuse interval must reject with a TypeError, got ${String(error)}`,
        )
      },
    )

    test.it(
      'lets one of concurrent consumers spend the token, the others get concurrent within the interval',
      async () => {
        const { store, t0 } = bench
        const record = bench.refresh()
        await store.saveRefresh(record)
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.consumeRefresh(record.id, t0, 3)),
        )
        const statuses = results.map((result) => result.status)
        equal(statuses.filter((status) => status === 'ok').length, 1, 'winners')
        equal(statuses.filter((status) => status === 'concurrent').length, 19, 'concurrent')
      },
    )

    test.it('forgets a family revocation once it expires', async () => {
      const { store, t0 } = bench
      const record = bench.refresh()
      await store.saveRefresh(record)
      await store.revokeFamily(record.familyId, t0 - 10)
      equal(await store.isFamilyRevoked(record.familyId), false)
      equal(store.view.isFamilyRevoked(record.familyId), false)
      equal((await store.consumeRefresh(record.id, t0)).status, 'ok')
    })

    test.it('refuses refresh tokens issued before the identity cut-off, not those after', async () => {
      const { store, t0 } = bench
      const before = bench.refresh({ identity: 'erin', issuedAt: t0 - 100 })
      const after = bench.refresh({ identity: 'erin', issuedAt: t0 })
      await store.saveRefresh(before)
      await store.saveRefresh(after)
      await store.revokeAllFor('erin', t0, t0 + HOUR)
      same(await store.consumeRefresh(before.id, t0), { status: 'identity-revoked', record: before })
      equal((await store.consumeRefresh(after.id, t0)).status, 'ok')
    })
  })
}

/** The store's `sessions`, or a failure saying it is missing. */
function sessionsOf(store: TokenStore): NonNullable<TokenStore['sessions']> {
  const list = store.sessions
  if (typeof list !== 'function') {
    throw new Error(`${KIT}: the store has no sessions(identity, now): the guard's session list needs it`)
  }
  return list.bind(store)
}

function sessionTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  test.describe('sessions', () => {
    test.it('lists each live family once, described by its newest token, newest use first', async () => {
      const { store, t0 } = bench
      const sessions = sessionsOf(store)
      const laptop = bench.refresh({
        identity: 'ann',
        issuedAt: t0 - 50,
        createdAt: t0 - 50,
        userAgent: 'Firefox',
        clientAddress: '192.0.2.1',
      })
      const rotated = bench.refresh({
        familyId: laptop.familyId,
        identity: 'ann',
        issuedAt: t0 - 10.25,
        expiresAt: t0 + 2 * HOUR,
        createdAt: t0 - 50,
        userAgent: 'Firefox 2',
        clientAddress: '192.0.2.2',
      })
      const phone = bench.refresh({ identity: 'ann', issuedAt: t0 - 20 })
      const other = bench.refresh({ identity: 'bob' })
      for (const record of [laptop, phone, other]) await store.saveRefresh(record)
      equal((await store.consumeRefresh(laptop.id, t0 - 10.25)).status, 'ok')
      await store.saveRefresh(rotated)
      same(
        await sessions('ann', t0),
        [
          {
            id: laptop.familyId,
            identity: 'ann',
            createdAt: t0 - 50,
            lastUsedAt: t0 - 10.25,
            expiresAt: t0 + 2 * HOUR,
            userAgent: 'Firefox 2',
            clientAddress: '192.0.2.2',
          },
          {
            id: phone.familyId,
            identity: 'ann',
            createdAt: t0 - 20,
            lastUsedAt: t0 - 20,
            expiresAt: t0 + HOUR,
            userAgent: null,
            clientAddress: null,
          },
        ],
        "ann's sessions",
      )
      same(await sessions('nobody', t0), [], 'an identity without sessions')
    })

    test.it('returns the session fields with the record it spends', async () => {
      const { store, t0 } = bench
      const record = bench.refresh({ createdAt: t0 - 3600.5, userAgent: 'curl/8', clientAddress: '::1' })
      await store.saveRefresh(record)
      same(await store.consumeRefresh(record.id, t0), { status: 'ok', record }, 'consumed')
    })

    test.it('leaves out revoked families and families issued before the cut-off', async () => {
      const { store, t0 } = bench
      const sessions = sessionsOf(store)
      const revoked = bench.refresh({ identity: 'cy', issuedAt: t0 - 30 })
      const old = bench.refresh({ identity: 'cy', issuedAt: t0 - 20 })
      const fresh = bench.refresh({ identity: 'cy', issuedAt: t0 - 5 })
      for (const record of [revoked, old, fresh]) await store.saveRefresh(record)
      await store.revokeFamily(revoked.familyId, t0 + HOUR)
      await store.revokeAllFor('cy', t0 - 10, t0 + HOUR)
      same(
        (await sessions('cy', t0)).map((session) => session.id),
        [fresh.familyId],
        'the one live session',
      )
    })

    if (capabilities.clockDriven) {
      test.it('forgets a family once its newest token expires', async () => {
        const { store, t0 } = bench
        const sessions = sessionsOf(store)
        await store.saveRefresh(bench.refresh({ identity: 'dee', expiresAt: t0 + 60 }))
        equal((await sessions('dee', t0)).length, 1)
        bench.setNow(t0 + 61)
        same(await sessions('dee', t0 + 61), [], 'after the expiry')
      })
    }

    test.it('refuses a userAgent or clientAddress over 256 characters with a TypeError', async () => {
      const error = await rejectionOf(
        bench.store.saveRefresh(bench.refresh({ userAgent: 'x'.repeat(257) })),
        'an oversized userAgent',
      )
      ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`)
    })
  })
}

function pruneTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  test.describe('prune', () => {
    if (capabilities.clockDriven)
      test.it('removes expired entries and keeps live ones', async () => {
        const { store, t0 } = bench
        const live = bench.refresh()
        const dying = bench.refresh({ expiresAt: t0 + 10 })
        await store.revoke('live', t0 + HOUR)
        await store.revoke('dying', t0 + 10)
        await store.revokeAllFor('live', t0, t0 + HOUR)
        await store.revokeAllFor('dying', t0, t0 + 10)
        await store.saveRefresh(live)
        await store.saveRefresh(dying)
        await store.revokeFamily('live', t0 + HOUR)
        await store.revokeFamily('dying', t0 + 10)
        const later = t0 + 20
        bench.setNow(later)
        const removed = await store.prune(later)
        if (capabilities.countsPrune) equal(removed, 4, 'rows removed by prune')
        equal(await store.prune(later), 0, 'rows removed by a second prune')
        equal(await store.isRevoked('live'), true)
        equal(await store.revokedBefore('live'), t0)
        equal(await store.isFamilyRevoked('live'), true)
        same(await store.consumeRefresh(live.id, later), { status: 'ok', record: live })
        same(await store.consumeRefresh(dying.id, later), { status: 'unknown' })
        equal(await store.isRevoked('dying'), false)
        equal(await store.revokedBefore('dying'), null)
        equal(await store.isFamilyRevoked('dying'), false)
      })

    test.it('returns a count and keeps live entries', async () => {
      const { store, t0 } = bench
      await store.revoke('kept', t0 + HOUR)
      const removed = await store.prune(t0)
      ok(Number.isInteger(removed) && removed >= 0, `prune must return a count, got ${String(removed)}`)
      equal(await store.isRevoked('kept'), true)
      equal(store.view.isRevoked('kept'), true)
    })
  })
}

function sharingTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  test.describe('sharing and persistence', () => {
    test.it('keeps everything across a close and reopen', async () => {
      const { store, t0 } = bench
      const spent = bench.refresh()
      const fresh = bench.refresh()
      await store.revoke('persisted', t0 + HOUR)
      await store.revokeAllFor('frank', t0, t0 + HOUR)
      await store.saveRefresh(spent)
      await store.saveRefresh(fresh)
      equal((await store.consumeRefresh(spent.id, t0)).status, 'ok')
      await store.revokeFamily('persisted-family', t0 + HOUR)
      await store.close()
      const reopened = await bench.open()
      equal(await reopened.isRevoked('persisted'), true)
      equal(reopened.view.isRevoked('persisted'), true)
      equal(reopened.view.revokedBefore('frank'), t0)
      same(await reopened.consumeRefresh(spent.id, t0), { status: 'reused', record: spent })
      same(await reopened.consumeRefresh(fresh.id, t0), { status: 'ok', record: fresh })
      equal(await reopened.isFamilyRevoked('persisted-family'), true)
      equal(reopened.view.isFamilyRevoked('persisted-family'), true)
    })

    const limit = capabilities.propagationMs
    if (limit !== undefined)
      test.it('shows a revocation made through one instance in the view of another', async () => {
        const { store, t0 } = bench
        const other = await bench.open()
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
}

function argumentTests(test: TestApi, bench: Bench): void {
  const cases: [string, (store: TokenStore, t0: number) => Promise<unknown>][] = [
    ['revoke with an empty jti', (s, t0) => s.revoke('', t0 + HOUR)],
    ['revoke with a NaN expiry', (s) => s.revoke('x', Number.NaN)],
    ['isRevoked with a non-string', (s) => s.isRevoked(42 as unknown as string)],
    ['revokeAllFor with an infinite cut-off', (s, t0) => s.revokeAllFor('x', Number.POSITIVE_INFINITY, t0)],
    ['saveRefresh without a family', (s) => s.saveRefresh({ ...bench.refresh(), familyId: '' })],
    [
      'saveRefresh with a string expiry',
      (s) => s.saveRefresh({ ...bench.refresh(), expiresAt: '1' as unknown as number }),
    ],
    ['consumeRefresh without now', (s) => s.consumeRefresh('x', undefined as unknown as number)],
    ['revokeFamily with an empty id', (s, t0) => s.revokeFamily('', t0)],
    ['prune with a NaN time', (s) => s.prune(Number.NaN)],
  ]
  test.describe('argument checks', () => {
    for (const [what, call] of cases) {
      test.it(`rejects ${what} with a TypeError`, async () => {
        const error = await rejectionOf(call(bench.store, bench.t0), what)
        ok(error instanceof TypeError, `${what}: expected a TypeError, got ${String(error)}`)
        equal(isJwtGuardError(error), false, `${what}: a programming error, not a coded JwtGuardError`)
      })
    }
  })

  test.it('closes idempotently', async () => {
    await bench.store.close()
    await bench.store.close()
  })
}

/** `claimOnce`: the first claim of a key wins, until its expiry, on every instance. */
function claimTests(test: TestApi, bench: Bench, capabilities: Capabilities): void {
  const claimOnce = (store: TokenStore, key: string, expiresAt: number) => {
    if (store.claimOnce === undefined)
      throw new Error(`${KIT}: the store has no claimOnce (set claims: false)`)
    return store.claimOnce(key, expiresAt)
  }
  test.describe('claimOnce', () => {
    test.it('grants the first claim of a key and refuses the next ones, key by key', async () => {
      const { store, t0 } = bench
      equal(await claimOnce(store, 'proof-1', t0 + 60), true)
      equal(await claimOnce(store, 'proof-1', t0 + 60), false)
      equal(await claimOnce(store, 'proof-1', t0 + HOUR), false)
      equal(await claimOnce(store, 'proof-2', t0 + 60), true)
    })

    test.it('lets exactly one of 50 concurrent claims of a key win', async () => {
      const { store, t0 } = bench
      const results = await Promise.all(Array.from({ length: 50 }, () => claimOnce(store, 'race', t0 + 60)))
      equal(results.filter(Boolean).length, 1)
    })

    if (capabilities.clockDriven)
      test.it('grants a key again once its claim has expired', async () => {
        const { store, t0 } = bench
        equal(await claimOnce(store, 'expiring', t0 + 60), true)
        bench.setNow(t0 + 59)
        equal(await claimOnce(store, 'expiring', t0 + 120), false)
        bench.setNow(t0 + 60)
        equal(await claimOnce(store, 'expiring', t0 + 120), true)
        equal(await claimOnce(store, 'expiring', t0 + 180), false)
      })

    if (capabilities.shared)
      test.it('lets exactly one claim win across two instances on one storage', async () => {
        const { store, t0 } = bench
        const other = await bench.open()
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            claimOnce(index % 2 === 0 ? store : other, 'shared', t0 + 60),
          ),
        )
        equal(results.filter(Boolean).length, 1)
        equal(await claimOnce(other, 'shared', t0 + 60), false)
      })

    for (const [what, key, expiresAt] of [
      ['an empty key', '', 60],
      ['a NaN expiry', 'x', Number.NaN],
    ] as const) {
      test.it(`rejects ${what} with a TypeError`, async () => {
        const error = await rejectionOf(claimOnce(bench.store, key, bench.t0 + expiresAt), what)
        ok(error instanceof TypeError, `${what}: expected a TypeError, got ${String(error)}`)
      })
    }
  })
}
