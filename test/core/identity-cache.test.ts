/**
 * Issue 21 item 2: the identity cache. A guard with it answers exactly as a guard without it, over
 * random sequences of logins, requests, user changes (through `endingSessions`) and time: on the
 * instance whose `revokeAllFor` runs, and on another instance that only sees the shared store.
 *
 * @see issue 21
 */
import fc from 'fast-check'
import { createJwtGuard, type JwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { createRedisStore } from 'jwtguard/stores/redis'
import { createMemoryUserStore, endingSessions, type UserStore } from 'jwtguard/users'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { REDIS_URL, trackRedisPrefixes } from '../support/redis.js'

const SECRET = 'identity-cache-test-secret-of-32-bytes'
const START = 1_700_000_000

interface Identity {
  id: number
  username: string
  roles: readonly string[]
  passwordHash: string
}

type Command =
  | { kind: 'login'; user: number }
  | { kind: 'request'; token: number }
  | { kind: 'roles'; user: number; roles: string[] }
  | { kind: 'password'; user: number; hash: string }
  | { kind: 'remove'; user: number }
  | { kind: 'create'; user: number; roles: string[] }
  | { kind: 'tick'; seconds: number }

const USERS = [1, 2, 3]
const ROLES = fc.subarray(['admin', 'editor', 'viewer'])
const user = fc.constantFrom(...USERS.keys())
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('login' as const), user }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('request' as const), token: fc.nat(40) }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('roles' as const), user, roles: ROLES }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('password' as const), user, hash: fc.constantFrom('h1', 'h2') }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('remove' as const), user }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('create' as const), user, roles: ROLES }), weight: 1 },
  // Within an instant, across a second, past the cache's maxAge, past the token's life.
  {
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      seconds: fc.constantFrom(0, 0.001, 1, 61, 301),
    }),
    weight: 2,
  },
)

/** One world: a clock, a user store, a token store, and three guards on them. */
function world() {
  let now = START
  const clock = () => now
  const store = createMemoryStore({ now: clock, pruneInterval: 0 })
  const raw = createMemoryUserStore()
  const loads = { cached: 0, plain: 0 }
  const identity =
    (counter: keyof typeof loads) =>
    async (payload: { identity?: unknown }): Promise<Identity | null> => {
      loads[counter] += 1
      const found = await raw.findById(payload.identity as number)
      return found === null
        ? null
        : { id: found.id, username: found.username, roles: found.roles, passwordHash: found.passwordHash }
    }
  const guard = (cached: boolean): JwtGuard<Identity> =>
    createJwtGuard<Identity>({
      secret: SECRET,
      now: clock,
      store,
      authenticate: () => null,
      identity: identity(cached ? 'cached' : 'plain'),
      identityCache: cached ? { maxEntries: 2, maxAge: 60 } : false,
    })
  const plain = guard(false)
  const cached = guard(true)
  // Another instance on the same store: its revokeAllFor never runs, it sees the store's view only.
  const elsewhere = guard(true)
  const users: UserStore = endingSessions(raw, {
    endSessions: async (id) => {
      await cached.revokeAllFor(id)
      await plain.revokeAllFor(id)
    },
    onRoleGrant: true, // every change of the identity ends the sessions, so none may show stale
  })
  return {
    users,
    guards: { plain, cached, elsewhere },
    loads,
    tick(seconds: number) {
      now += seconds
    },
  }
}

type Outcome = { identity: Identity } | { code: string }

async function outcome(guard: JwtGuard<Identity>, token: string): Promise<Outcome> {
  try {
    const { identity } = await guard.authenticateRequest({ authorization: `JWT ${token}` })
    return { identity }
  } catch (error) {
    return { code: (error as { code: string }).code }
  }
}

async function run(commands: readonly Command[]): Promise<{ loads: { cached: number; plain: number } }> {
  const { users, guards, loads, tick } = world()
  for (const id of USERS)
    await users.create({ id, username: `u${id}`, passwordHash: 'h0', roles: ['viewer'] })
  const tokens: string[] = []
  for (const step of commands) {
    const id = USERS[step.kind === 'request' || step.kind === 'tick' ? 0 : step.user] as number
    switch (step.kind) {
      case 'login':
        if ((await users.findById(id)) !== null) tokens.push(guards.cached.createAccessToken({ id }))
        break
      case 'request': {
        const token = tokens[step.token % Math.max(tokens.length, 1)]
        if (token === undefined) break
        const expected = await outcome(guards.plain, token)
        expect(await outcome(guards.cached, token)).toEqual(expected)
        expect(await outcome(guards.elsewhere, token)).toEqual(expected)
        break
      }
      case 'roles':
        await users.setRoles(`u${id}`, step.roles)
        break
      case 'password':
        await users.setPasswordHash(`u${id}`, step.hash)
        break
      case 'remove':
        await users.remove(`u${id}`)
        break
      case 'create':
        if ((await users.findById(id)) === null) {
          await users.create({ id, username: `u${id}`, passwordHash: 'h0', roles: step.roles })
        }
        break
      case 'tick':
        tick(step.seconds)
        break
    }
  }
  return { loads }
}

describe('identity cache: cached and uncached guards answer alike', () => {
  it('over random sequences of logins, requests, user changes and time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
        await run(commands)
      }),
      { numRuns: Number(process.env.IDENTITY_CACHE_RUNS ?? 300) },
    )
  })

  it('a role change, then a new login: the new identity at once, here and on the other instance', async () => {
    await run([
      { kind: 'login', user: 0 },
      { kind: 'request', token: 0 },
      { kind: 'request', token: 0 },
      { kind: 'tick', seconds: 1 },
      { kind: 'roles', user: 0, roles: ['admin'] },
      { kind: 'tick', seconds: 1 },
      { kind: 'login', user: 0 },
      { kind: 'request', token: 1 },
      { kind: 'request', token: 0 },
    ])
  })

  it('answers from the cache: fewer loads than requests', async () => {
    const commands: Command[] = [{ kind: 'login', user: 0 }]
    for (let i = 0; i < 10; i += 1) commands.push({ kind: 'request', token: 0 })
    const { loads } = await run(commands)
    expect(loads.plain).toBe(10)
    expect(loads.cached).toBe(2) // the cached guard and the other instance: one load each
  })
})

describe('identityCache option', () => {
  const base = { secret: SECRET, authenticate: () => null }
  it.each([
    ['without a store', { identity: () => ({}), identityCache: true }, /needs a token store/],
    [
      'without an identity callback (a schema only)',
      { store: createMemoryStore(), schema: z.object({}), identityCache: true },
      /set identity too/,
    ],
    [
      'a bad maxAge',
      { store: createMemoryStore(), identity: () => ({}), identityCache: { maxAge: 0 } },
      /maxAge/,
    ],
    [
      'a bad maxEntries',
      { store: createMemoryStore(), identity: () => ({}), identityCache: { maxEntries: 0 } },
      /maxEntries/,
    ],
  ])('is refused at construction %s', (_name, options, message) => {
    expect(() => createJwtGuard({ ...base, ...options })).toThrow(message)
  })

  it('is off by default', () => {
    const guard = createJwtGuard({ ...base, store: createMemoryStore(), identity: () => ({}) })
    expect(guard.options.identityCache).toBeUndefined()
  })
})

describe('identity cache across instances (Redis store, pub/sub)', () => {
  const prefix = trackRedisPrefixes(afterAll)

  it('a role removed on one instance: the other serves the new identity once its view has the cut-off', async () => {
    const keyPrefix = prefix()
    const here = await createRedisStore({ url: REDIS_URL, keyPrefix })
    const there = await createRedisStore({ url: REDIS_URL, keyPrefix })
    const raw = createMemoryUserStore() // the database both instances share
    await raw.create({ id: 1, username: 'u1', passwordHash: 'h0', roles: ['admin', 'viewer'] })
    const identity = async (payload: { identity?: unknown }) => raw.findById(payload.identity as number)
    const options = { secret: SECRET, authenticate: () => null, identity, identityCache: true }
    const guardHere = createJwtGuard({ ...options, store: here })
    const guardThere = createJwtGuard({ ...options, store: there })
    const users = endingSessions(raw, { endSessions: (id) => guardHere.revokeAllFor(id) })
    try {
      const before = guardHere.createAccessToken({ id: 1 })
      const seen = await guardThere.authenticateRequest({ authorization: `JWT ${before}` })
      expect(seen.identity?.roles).toEqual(['admin', 'viewer']) // now in the other instance's cache
      await new Promise((resolve) => setTimeout(resolve, 2)) // a cut-off in a later millisecond
      await users.setRoles('u1', ['viewer'])
      await expect.poll(() => there.view.revokedBefore('1'), { timeout: 5_000 }).not.toBeNull()
      await new Promise((resolve) => setTimeout(resolve, 2)) // a login in a later millisecond
      const after = guardHere.createAccessToken({ id: 1 })
      const answer = await guardThere.authenticateRequest({ authorization: `JWT ${after}` })
      expect(answer.identity?.roles).toEqual(['viewer'])
      await expect(guardThere.authenticateRequest({ authorization: `JWT ${before}` })).rejects.toMatchObject({
        code: 'ERR_TOKEN_REVOKED',
      })
    } finally {
      await here.close()
      await there.close()
    }
  })
})
