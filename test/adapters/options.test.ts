/**
 * A bad setup fails at start-up, never per request, on every framework: a guard that is not one,
 * and route options the core refuses.
 */
import Fastify from 'fastify'
import { jwtGuard as expressGuard } from 'jwtguard/express'
import { jwtGuardPlugin } from 'jwtguard/fastify'
import { jwtGuard as honoGuard } from 'jwtguard/hono'
import { describe, expect, it } from 'vitest'
import { makeGuard } from './fixtures.js'

const BAD_ROUTE_OPTIONS = [
  ['an empty realm', { realm: '' }],
  ['a realm with a line break', { realm: 'a\r\nb' }],
  ['empty roles', { roles: [] }],
  ['an empty audience list', { audience: [] }],
  ['an empty issuer', { issuer: '' }],
  ['an allow that is not a function', { allow: true as never }],
] as const

describe.each([
  ['express', (guard: never) => expressGuard(guard)],
  ['hono', (guard: never) => honoGuard(guard)],
])('%s', (_name, setup) => {
  it('refuses a guard that is not one', () => {
    expect(() => setup({} as never)).toThrow(/createJwtGuard/)
  })

  it.each(BAD_ROUTE_OPTIONS)('refuses %s when the route is declared', (_option, options) => {
    const auth = setup(makeGuard() as never)
    expect(() => auth.jwtRequired(options)).toThrow(TypeError)
    expect(() => auth.jwtOptional(options)).toThrow(TypeError)
  })
})

describe('fastify', () => {
  it.each(BAD_ROUTE_OPTIONS)('refuses %s when the route is declared', async (_option, options) => {
    const app = Fastify()
    await app.register(jwtGuardPlugin, { guard: makeGuard() })
    expect(() => app.jwtRequired(options)).toThrow(TypeError)
    await app.close()
  })
})
