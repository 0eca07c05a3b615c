/**
 * The route options every adapter passes through to the core: `jwtOptional()`, an `allow`
 * predicate that receives the framework's own request object, and a route's own `audience`
 * (checked on every request, with the verified-token cache on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRefused, INVALID_TOKEN } from '../attacks/support.js'
import { TEST_SECRET } from '../support/http.js'
import { mint } from '../support/tokens.js'
import { FRAMEWORKS, makeGuard, type TestServer } from './fixtures.js'

describe.each(FRAMEWORKS)('route options on $name', (framework) => {
  const guard = makeGuard()
  const token = guard.createAccessToken({ id: 9 })
  let app: TestServer

  beforeAll(async () => {
    app = await framework.start(guard, async (identity) => ({ identity: identity ?? null }))
  })
  afterAll(async () => {
    await app.close()
  })

  it.each([
    ['no token', {}, 200, { identity: null }],
    ['a valid token', { authorization: `JWT ${token}` }, 200, { identity: { user_id: 9 } }],
  ])('jwtOptional() admits a request with %s', async (_name, headers, status, body) => {
    const response = await app.request('GET', '/optional', { headers })
    expect(response.status).toBe(status)
    expect(response.json()).toEqual(body)
  })

  it('jwtOptional() still refuses an invalid token', async () => {
    const forged = mint({ exp: 2e9, iat: 1e9, nbf: 1e9, identity: 9 }, { secret: `${TEST_SECRET}-other` })
    const response = await app.request('GET', '/optional', { headers: { authorization: `JWT ${forged}` } })
    expect(response.status).toBe(401)
    expect(response.json()).toMatchObject({ description: 'Signature verification failed' })
  })

  it.each([
    ['yes', 200],
    ['no', 403],
  ])("hands the framework's request to allow() (x-allow: %s)", async (allow, status) => {
    const response = await app.request('GET', '/predicate', {
      headers: { authorization: `JWT ${token}`, 'x-allow': allow },
    })
    expect(response.status).toBe(status)
  })
})

describe.each(FRAMEWORKS)("a route's own audience on $name, with the verified-token cache", (framework) => {
  const guard = makeGuard({ cache: true })
  const forOrders = mint(
    { exp: 2e9, iat: 1e9, nbf: 1e9, identity: 9, aud: ['orders'] },
    { secret: TEST_SECRET },
  )
  const forBilling = mint(
    { exp: 2e9, iat: 1e9, nbf: 1e9, identity: 9, aud: 'billing' },
    { secret: TEST_SECRET },
  )
  let app: TestServer

  beforeAll(async () => {
    app = await framework.start(guard, async (identity) => ({ identity: identity ?? null }))
  })
  afterAll(async () => {
    await app.close()
  })

  it('refuses a token of another audience with 401 invalid_token, however often it was admitted elsewhere', async () => {
    const headers = { authorization: `JWT ${forOrders}` }
    // Verified, admitted to the cache on its second sighting, then answered from it.
    for (let i = 0; i < 3; i++) expect((await app.request('GET', '/protected', { headers })).status).toBe(200)
    const response = await expectRefused(
      app,
      headers.authorization,
      INVALID_TOKEN('Token audience is not accepted'),
      '/billing',
    )
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"')
  })

  it('admits a token of its audience', async () => {
    const headers = { authorization: `JWT ${forBilling}` }
    for (let i = 0; i < 3; i++) {
      const response = await app.request('GET', '/billing', { headers })
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ identity: { user_id: 9 } })
    }
  })
})
