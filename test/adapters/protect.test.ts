/**
 * The route options every adapter passes through to the core: `jwtOptional()` and an `allow`
 * predicate that receives the framework's own request object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../support/server.js'
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
