/**
 * Issue 16 item 2: options typed by mode. A resource server (`jwks`) takes no `authenticate` and
 * no key, mounts no route and cannot issue; an issuer needs `authenticate` and exactly one key
 * source. The type checker refuses the wrong combinations (the `@ts-expect-error` lines fail
 * `npm run typecheck` if they ever compile), and the runtime refuses them too, by name, for
 * JavaScript callers.
 */
import {
  createJwtGuard,
  createRemoteJwks,
  generateAsymmetricKey,
  type JwtGuardOptions,
  type RemoteJwks,
} from 'jwtguard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JwksServer, startJwksServer } from '../keys/jwks-server.js'

const SECRET = 'options-by-mode-secret-of-at-least-32-bytes'
const identity = (payload: Record<string, unknown>) => ({ id: payload.identity })

let server: JwksServer
let jwks: RemoteJwks
beforeAll(async () => {
  server = await startJwksServer({ keys: [] })
  jwks = createRemoteJwks({ url: server.url, issuer: 'https://issuer.test', audience: 'api' })
})
afterAll(() => server.close())

describe('resource-server mode', () => {
  it('needs no authenticate and no key: no routes, nothing to publish, nothing to issue', () => {
    const guard = createJwtGuard({ jwks, identity })
    expect(guard.options.mode).toBe('resource-server')
    expect(guard.routes).toEqual([])
    expect(guard.jwks()).toBeUndefined()
    expect(() => guard.createAccessToken({ id: 1 })).toThrow(/cannot issue tokens/)
  })

  it.each([
    ['authenticate', { authenticate: () => null }],
    ['secret', { secret: SECRET }],
    ['authPath', { authPath: '/login' }],
    ['refreshExpiresIn', { refreshExpiresIn: 60 }],
    ['loginLimiter', { loginLimiter: { check: async () => {} } }],
  ])('refuses the issuer-only option %s by name', (name, extra) => {
    const options = { jwks, identity, ...extra } as unknown as JwtGuardOptions<unknown>
    expect(() => createJwtGuard(options)).toThrow(
      name === 'secret'
        ? 'give one of secret, key, keys or jwks, not secret and jwks'
        : `${name}: a guard over a remote JWKS issues no tokens`,
    )
  })

  it('the type checker refuses issuer options next to jwks', () => {
    // @ts-expect-error authenticate is an issuer's option
    const withAuthenticate: JwtGuardOptions<unknown> = { jwks, identity, authenticate: () => null }
    // @ts-expect-error a resource server has no key of its own
    const withKey: JwtGuardOptions<unknown> = { jwks, identity, secret: SECRET }
    expect([withAuthenticate, withKey]).toHaveLength(2)
  })
})

describe('issuer mode', () => {
  it('resolves to the issuer shape with its routes', () => {
    const guard = createJwtGuard({ secret: SECRET, authenticate: () => null, identity })
    expect(guard.options.mode).toBe('issuer')
    expect(guard.routes.map((route) => [route.name, route.path])).toEqual([['login', '/auth']])
  })

  it('without authenticate, says to give it or jwks', () => {
    expect(() => createJwtGuard({ secret: SECRET, identity } as unknown as JwtGuardOptions<unknown>)).toThrow(
      /authenticate\(username, password\) is required to issue tokens.*or give jwks/,
    )
  })

  it('the type checker needs exactly one key source, and authenticate', () => {
    const key = generateAsymmetricKey('ES256')
    // @ts-expect-error two key sources
    const two: JwtGuardOptions<unknown> = { secret: SECRET, key, authenticate: () => null, identity }
    // @ts-expect-error no key source
    const none: JwtGuardOptions<unknown> = { authenticate: () => null, identity }
    // @ts-expect-error no authenticate
    const noAuthenticate: JwtGuardOptions<unknown> = { secret: SECRET, identity }
    expect([two, none, noAuthenticate]).toHaveLength(3)
    expect(() => createJwtGuard(two)).toThrow('give one of secret, key, keys or jwks, not secret and key')
    expect(() => createJwtGuard(none)).toThrow(/secret is required/)
  })
})
