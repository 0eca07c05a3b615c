/**
 * `currentIdentity()` is Flask-JWT's `current_identity`: each request sees its own identity in
 * the handler and in every function the handler awaits, however requests interleave.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { currentIdentity } from 'jwtguard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS, makeGuard, type TestServer } from './fixtures.js'

/** Code the handler calls: awaits timers of different lengths, then asks who is calling. */
async function auditTrail(depth: number, delay: number): Promise<unknown[]> {
  const seen = [currentIdentity()]
  await sleep(delay)
  seen.push(currentIdentity())
  if (depth > 0) seen.push(...(await auditTrail(depth - 1, delay)))
  return seen
}

describe.each(FRAMEWORKS)('currentIdentity() on $name', (framework) => {
  const guard = makeGuard({ currentIdentity: true })
  let app: TestServer

  beforeAll(async () => {
    app = await framework.start(guard, async (identityOnRequest) => {
      const before = currentIdentity()
      // Interleave: the lower the id, the longer this request waits at each step.
      const id = (identityOnRequest as { user_id?: number } | undefined)?.user_id ?? 0
      const trail = await auditTrail(2, 20 - id)
      return { onRequest: identityOnRequest ?? null, before: before ?? null, trail }
    })
  })
  afterAll(async () => {
    await app.close()
  })

  it('is the request identity in the handler and in nested async calls, for concurrent requests', async () => {
    const ids = Array.from({ length: 12 }, (_, index) => index + 1)
    const responses = await Promise.all(
      ids.map((id) =>
        app.request('GET', '/protected', {
          headers: { authorization: `JWT ${guard.createAccessToken({ id })}` },
        }),
      ),
    )
    responses.forEach((response, index) => {
      const who = { user_id: ids[index] }
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ onRequest: who, before: who, trail: [who, who, who, who, who, who] })
    })
  })

  it('is undefined on an unprotected route, even while protected requests are in flight', async () => {
    const token = guard.createAccessToken({ id: 7 })
    const [open, protectedResponse] = await Promise.all([
      app.request('GET', '/open'),
      app.request('GET', '/protected', { headers: { authorization: `JWT ${token}` } }),
    ])
    expect(open.json()).toEqual({
      onRequest: null,
      before: null,
      trail: [null, null, null, null, null, null],
    })
    expect((protectedResponse.json() as { before: unknown }).before).toEqual({ user_id: 7 })
    expect(currentIdentity()).toBeUndefined()
  })
})
