/**
 * Identity typed and validated at runtime through Standard Schema (zod and valibot here; no
 * dependency of the library on either).
 */

import { createJwtGuard, type ErrorCode, type IdentityOf, isJwtGuardError } from 'jwtguard'
import * as v from 'valibot'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { flaskPayload, mint } from '../support/tokens.js'

const SECRET = 'schema-test-secret-of-at-least-32-bytes'
const NOW = 1_700_000_000
const authenticate = () => ({ id: 123 })

async function codeAndClaim(
  promise: Promise<unknown>,
): Promise<[ErrorCode | 'no error', string | undefined, string]> {
  try {
    await promise
    return ['no error', undefined, '']
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
    return [error.code, error.claim, error.message]
  }
}

const zodClaims = z.object({ identity: z.number().int(), tenant: z.object({ id: z.string() }) })
const valibotClaims = v.object({ identity: v.number(), tenant: v.object({ id: v.string() }) })

describe.each([
  ['zod', zodClaims],
  ['valibot', valibotClaims],
])('a %s schema', (_vendor, schema) => {
  const guard = createJwtGuard({ secret: SECRET, now: () => NOW, authenticate, schema })
  const headers = (claims: Record<string, unknown>) => ({
    authorization: `JWT ${mint({ ...flaskPayload(NOW), ...claims }, { secret: SECRET })}`,
  })

  it('makes the validated payload the identity', async () => {
    const { identity } = await guard.authenticateRequest(headers({ tenant: { id: 'acme' } }))
    expect(identity).toMatchObject({ identity: 123, tenant: { id: 'acme' } })
  })

  it('refuses a payload that does not match, naming the claim and never its value', async () => {
    const [code, claim, message] = await codeAndClaim(
      guard.authenticateRequest(headers({ tenant: { id: 'SECRET-VALUE-42'.length } })),
    )
    expect(code).toBe('ERR_CLAIM_INVALID')
    expect(claim).toBe('tenant.id')
    expect(message).toBe('Token claim "tenant.id" does not match the schema')
    expect(message).not.toContain('15')
  })

  it('answers 401 Invalid token over HTTP semantics', async () => {
    const [code] = await codeAndClaim(guard.authenticateRequest(headers({})))
    expect(code).toBe('ERR_CLAIM_INVALID')
    const response = guard.errorResponse(
      await guard.authenticateRequest(headers({})).catch((error: unknown) => error),
    )
    expect(response.status).toBe(401)
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ error: 'Invalid token' })
  })
})

describe('types flow from the schema', () => {
  it('infers the identity type from a schema alone', () => {
    const guard = createJwtGuard({ secret: SECRET, authenticate, schema: zodClaims })
    expectTypeOf<IdentityOf<typeof guard>>().toEqualTypeOf<{ identity: number; tenant: { id: string } }>()
    expectTypeOf(guard.currentIdentity).returns.toEqualTypeOf<
      { identity: number; tenant: { id: string } } | undefined
    >()
    expectTypeOf(guard.authenticateRequest).returns.resolves.toHaveProperty('identity').toEqualTypeOf<{
      identity: number
      tenant: { id: string }
    }>()
  })

  it('keeps the identity callback as the loader when both are given', async () => {
    const guard = createJwtGuard({
      secret: SECRET,
      now: () => NOW,
      authenticate,
      schema: z.object({ identity: z.number() }).transform(({ identity }) => ({ user_id: identity })),
      identity: (payload) => ({ user_id: Number(payload.identity) }),
    })
    expectTypeOf<IdentityOf<typeof guard>>().toEqualTypeOf<{ user_id: number }>()
    const token = mint(flaskPayload(NOW), { secret: SECRET })
    expect((await guard.authenticateRequest({ authorization: `JWT ${token}` })).identity).toEqual({
      user_id: 123,
    })
    const bad = mint({ ...flaskPayload(NOW), identity: 'x' }, { secret: SECRET })
    expect((await codeAndClaim(guard.authenticateRequest({ authorization: `JWT ${bad}` })))[1]).toBe(
      'identity',
    )
  })

  it('refuses an object that is not a Standard Schema', () => {
    expect(() =>
      createJwtGuard({ secret: SECRET, authenticate, schema: { parse: () => 1 } as never }),
    ).toThrow(/Standard Schema/)
  })
})
