/**
 * A refresh asks the source of truth (issue 15 item 1): the claims of a refreshed token are built
 * from the user as `lookupUser` returns it now, exactly as a login builds them, never copied from
 * the old token; a user removed or disabled since cannot refresh.
 *
 * @see issue 15
 */
import { type AuthenticatedUser, createJwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { describe, expect, it } from 'vitest'
import { rejectionCode } from '../support/errors.js'
import type { GuardOverrides } from '../support/guard-options.js'
import { decodeSegment } from '../support/tokens.js'

const SECRET = 'refresh-user-test-secret-of-32-bytes!'
const NOW = 1_700_000_000
const LOGIN = { contentType: 'application/json', body: JSON.stringify({ username: 'ann', password: 'pw' }) }

interface User extends AuthenticatedUser {
  id: number
  roles: string[]
  tenant: string
}

function setup(overrides: GuardOverrides<{ id: number }> = {}) {
  const users = new Map<number, User>([[7, { id: 7, roles: ['admin'], tenant: 'a' }]])
  const lookups: (string | number)[] = []
  const guard = createJwtGuard<{ id: number }>({
    secret: SECRET,
    now: () => NOW,
    store: createMemoryStore({ now: () => NOW, pruneInterval: 0 }),
    authenticate: (username, password) =>
      username === 'ann' && password === 'pw' ? (users.get(7) ?? null) : null,
    lookupUser: (id) => {
      lookups.push(id)
      return users.get(Number(id)) ?? null
    },
    identity: (payload) => ({ id: payload.identity as number }),
    additionalClaims: (user) => ({ roles: (user as User).roles }),
    payloadHandler: (user, defaults) => ({ ...defaults, tenant: (user as User).tenant }),
    ...overrides,
  })
  const route = (path: string) => {
    const found = guard.routes.find((candidate) => candidate.path === path)
    if (found === undefined) throw new Error(path)
    return found
  }
  async function login(): Promise<{ access_token: string; refresh_token: string }> {
    return JSON.parse((await route('/auth').handle(LOGIN)).body ?? '{}')
  }
  const refresh = (token: string) =>
    route('/auth/refresh').handle({
      contentType: 'application/json',
      body: JSON.stringify({ refresh_token: token }),
    })
  return { guard, users, lookups, login, refresh }
}

describe('refresh asks the user store', () => {
  it("builds the new token's claims from the user as it is now, through additionalClaims and payloadHandler", async () => {
    const { users, lookups, login, refresh } = setup()
    const pair = await login()
    expect(decodeSegment(pair.access_token, 1)).toMatchObject({ roles: ['admin'], tenant: 'a' })
    users.set(7, { id: 7, roles: ['reader'], tenant: 'b' })
    const refreshed = await refresh(pair.refresh_token)
    expect(refreshed.status).toBe(200)
    const access = decodeSegment(JSON.parse(refreshed.body ?? '{}').access_token, 1)
    expect(access).toMatchObject({ identity: 7, roles: ['reader'], tenant: 'b', fresh: false })
    expect(lookups).toEqual([7])
  })

  it('refuses a user removed since the login with ERR_USER_NOT_FOUND', async () => {
    const { users, login, refresh } = setup()
    const pair = await login()
    users.delete(7)
    expect(await rejectionCode(refresh(pair.refresh_token))).toBe('ERR_USER_NOT_FOUND')
  })

  it('refuses a lookup that answers for another id', async () => {
    const { login, refresh } = setup({ lookupUser: () => ({ id: 8 }) })
    expect(await rejectionCode(refresh((await login()).refresh_token))).toBe('ERR_USER_NOT_FOUND')
  })

  it('without lookupUser (and without custom claims), refreshed tokens carry only jwtguard claims', async () => {
    const { login, refresh, guard } = setup({
      lookupUser: undefined,
      additionalClaims: undefined,
      payloadHandler: undefined,
    })
    expect(guard.options).toBeDefined()
    const refreshed = await refresh((await login()).refresh_token)
    const access = decodeSegment(JSON.parse(refreshed.body ?? '{}').access_token, 1)
    expect(Object.keys(access).sort()).toEqual([
      'exp',
      'fam',
      'fresh',
      'iat',
      'iat_ms',
      'identity',
      'jti',
      'nbf',
    ])
  })

  it.each([
    ['additionalClaims', { payloadHandler: undefined }],
    ['payloadHandler', { additionalClaims: undefined }],
  ])('refuses a store with %s but no lookupUser at construction, saying how to fix it', (_name, options) => {
    expect(() => setup({ lookupUser: undefined, ...options })).toThrow(/lookupUser\(id\) is required/)
  })

  it('needs no lookupUser without a store (nothing is ever refreshed)', () => {
    expect(() => setup({ lookupUser: undefined, store: undefined })).not.toThrow()
  })
})
