/**
 * The user-store conformance suite: what every {@link UserStore} must do, written once and run
 * against memory, SQLite, PostgreSQL and any store a third party writes.
 *
 * @module
 */
import { equal, notEqual, ok } from 'node:assert/strict'
import type { UserStore } from '../users/types.js'
import { checkFunction, checkName, checkTestApi, rejectionOf, same, type TestApi } from './api.js'

const KIT = 'runUserStoreConformance'

/** A user store under test. */
export interface UserStoreSubject {
  /** Shown in the suite's name: `UserStore conformance: <name>`. */
  name: string
  /** Opens an empty store; called before each test, and the store is closed after it. */
  open(): UserStore | Promise<UserStore>
}

/**
 * Registers the user-store conformance suite with the caller's test runner: create with and
 * without an id, ids never reused after a removal, exact username matching, duplicates refused
 * with a `TypeError`, password and role updates, disabling and re-enabling, removal, listing by id. Assertions are
 * `node:assert/strict`.
 *
 * @param test - Your runner's `describe`, `it` and hooks ({@link TestApi}).
 * @param subject - The store: a name, and `open` giving each test an empty store.
 * @throws TypeError when `test` or `subject` is incomplete (at declaration, not per test).
 *
 * @example
 * ```ts
 * import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest'
 * import { createMemoryUserStore } from 'jwtguard/users'
 * import { runUserStoreConformance } from 'jwtguard/testing'
 *
 * runUserStoreConformance(
 *   { describe, it, beforeEach, afterEach, beforeAll, afterAll },
 *   { name: 'memory', open: () => createMemoryUserStore() },
 * )
 * ```
 */
export function runUserStoreConformance(test: TestApi, subject: UserStoreSubject): void {
  checkTestApi(test, KIT)
  const name = checkName(subject?.name, KIT)
  checkFunction(subject.open, 'open', KIT)
  test.describe(`UserStore conformance: ${name}`, () => {
    let current: UserStore | undefined
    const store = (): UserStore => {
      if (current === undefined) throw new Error(`${KIT}: no store is open (did open fail?)`)
      return current
    }
    test.beforeEach(async () => {
      current = await subject.open()
    })
    test.afterEach(async () => {
      await current?.close()
      current = undefined
    })
    creationTests(test, store)
    updateTests(test, store)
  })
}

function creationTests(test: TestApi, store: () => UserStore): void {
  test.it('creates a user with a given id and finds it by name and id', async () => {
    const created = await store().create({
      id: 123,
      username: 'masnun',
      passwordHash: '$argon2id$x',
      roles: ['a'],
    })
    same(
      created,
      { id: 123, username: 'masnun', passwordHash: '$argon2id$x', roles: ['a'], disabled: false },
      'the created record',
    )
    same(await store().findByUsername('masnun'), created, 'findByUsername')
    same(await store().findById(123), created, 'findById')
  })

  test.it('assigns ids when none is given', async () => {
    const first = await store().create({ username: 'one', passwordHash: 'h' })
    const second = await store().create({ username: 'two', passwordHash: 'h' })
    ok(
      Number.isSafeInteger(first.id) && first.id > 0,
      `a generated id is a positive integer, got ${first.id}`,
    )
    notEqual(second.id, first.id, 'two generated ids')
    same(first.roles, [], 'roles default to []')
  })

  test.it(
    'never hands out the id of a removed user again (its tokens would log in as the new user)',
    async () => {
      await store().create({ username: 'one', passwordHash: 'h' })
      const last = await store().create({ username: 'two', passwordHash: 'h' })
      await store().remove('two')
      const next = await store().create({ username: 'three', passwordHash: 'h' })
      ok(next.id > last.id, `the id after a removal (${next.id}) must exceed the removed one (${last.id})`)
    },
  )

  test.it('returns null for unknown users, and matches usernames exactly', async () => {
    await store().create({ username: 'masnun', passwordHash: 'h' })
    equal(await store().findByUsername('nobody'), null)
    equal(await store().findByUsername('MASNUN'), null, 'usernames are case-sensitive')
    equal(await store().findById(999_999), null)
  })

  test.it('refuses a duplicate username or id with a TypeError', async () => {
    await store().create({ id: 5, username: 'masnun', passwordHash: 'h' })
    const byName = await rejectionOf(
      store().create({ username: 'masnun', passwordHash: 'h' }),
      'a duplicate username',
    )
    ok(byName instanceof TypeError, `a duplicate username: expected a TypeError, got ${String(byName)}`)
    const byId = await rejectionOf(
      store().create({ id: 5, username: 'other', passwordHash: 'h' }),
      'a duplicate id',
    )
    ok(byId instanceof TypeError, `a duplicate id: expected a TypeError, got ${String(byId)}`)
  })
}

function updateTests(test: TestApi, store: () => UserStore): void {
  test.it('updates password hashes and roles, and removes users', async () => {
    await store().create({ username: 'masnun', passwordHash: 'old' })
    equal(await store().setPasswordHash('masnun', 'new'), true)
    equal(await store().setRoles('masnun', ['admin']), true)
    const found = await store().findByUsername('masnun')
    same([found?.passwordHash, found?.roles], ['new', ['admin']], 'the updated hash and roles')
    equal(await store().setPasswordHash('nobody', 'x'), false, 'setPasswordHash of an unknown user')
    equal(await store().setRoles('nobody', []), false, 'setRoles of an unknown user')
    equal(await store().remove('masnun'), true)
    equal(await store().remove('masnun'), false, 'removing twice')
    equal(await store().findByUsername('masnun'), null)
  })

  test.it('disables and re-enables a user, and creates one disabled', async () => {
    await store().create({ id: 7, username: 'masnun', passwordHash: 'h', roles: ['admin'] })
    equal(await store().setDisabled('masnun', true), true)
    same(
      await store().findById(7),
      { id: 7, username: 'masnun', passwordHash: 'h', roles: ['admin'], disabled: true },
      'the disabled user, found by id',
    )
    equal((await store().findByUsername('masnun'))?.disabled, true, 'findByUsername sees the flag')
    equal((await store().list())[0]?.disabled, true, 'list sees the flag')
    equal(await store().setDisabled('masnun', false), true)
    equal((await store().findById(7))?.disabled, false, 'enabled again')
    equal(await store().setDisabled('nobody', true), false, 'setDisabled of an unknown user')
    const created = await store().create({ username: 'off', passwordHash: 'h', disabled: true })
    equal(created.disabled, true, 'created disabled')
    equal((await store().findByUsername('off'))?.disabled, true, 'stored disabled')
  })

  test.it('lists users by id', async () => {
    await store().create({ id: 2, username: 'b', passwordHash: 'h' })
    await store().create({ id: 1, username: 'a', passwordHash: 'h' })
    same(
      (await store().list()).map((user) => user.username),
      ['a', 'b'],
    )
  })
}
