/**
 * Issue 19 item 4: the reference server in resource-server mode against a real authorization
 * server. oidc-provider (panva's certified OpenID provider) issues RFC 9068 access tokens
 * (`typ: at+jwt`, `sub`, `client_id`, `scope`, no `nbf`) for a resource indicator; the reference
 * server, started with only JWT_ISSUER and JWT_AUDIENCE (its JWKS discovered from the issuer's
 * metadata), opens `/api/v1/private` to them with `Authorization: Bearer`, on every framework and
 * transport, for RS256, PS256, ES256 and EdDSA; and refuses, with the contract's 401 and an RFC 6750
 * challenge, tokens for another audience, of another issuer (same keys), expired (the clock moved
 * past `exp`), and signed by a key the issuer has rotated out of its JWKS.
 */
import type { JsonWebKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { APPS } from '../support/apps.js'
import {
  type AuthorizationServer,
  CLIENT_ID,
  privateJwk,
  type SigningAlgorithm,
  startAuthorizationServer,
} from '../support/oidc-provider.js'
import type { TestApp } from '../support/server.js'
import { decodeSegment } from '../support/tokens.js'

const AUDIENCE = 'https://orders.api.test'
const OTHER_AUDIENCE = 'https://billing.api.test'
const ALGORITHMS: SigningAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA']
const KEYS: JsonWebKey[] = [
  privateJwk('RS256', 'rs-1'),
  privateJwk('PS256', 'ps-1'),
  privateJwk('ES256', 'es-1'),
  privateJwk('EdDSA', 'ed-1'),
]
const CHALLENGE = 'Bearer realm="Login Required", JWT realm="Login Required"'

let idp: AuthorizationServer
/** Another issuer holding the very same keys: only `iss` tells its tokens apart. */
let otherIdp: AuthorizationServer

beforeAll(async () => {
  idp = await startAuthorizationServer({ keys: KEYS, audience: AUDIENCE, otherAudience: OTHER_AUDIENCE })
  otherIdp = await startAuthorizationServer({ keys: KEYS, audience: AUDIENCE, otherAudience: OTHER_AUDIENCE })
})
afterAll(async () => {
  await Promise.all([idp?.close(), otherIdp?.close()])
})

/** Only JWT_ISSUER and JWT_AUDIENCE (the test context's secret unset): resource-server mode. */
const resourceServerEnv = (extra: Record<string, string> = {}) => ({
  JWT_SECRET_KEY: '',
  JWT_ISSUER: idp.issuer,
  JWT_AUDIENCE: AUDIENCE,
  JWKS_COOLDOWN_MS: '0',
  ...extra,
})

describe.each(APPS)('oidc-provider access tokens on $name', ({ create }) => {
  let app: TestApp
  const get = (path: string, token: string, scheme = 'Bearer') =>
    app.request('GET', path, { headers: { authorization: `${scheme} ${token}` } })
  const expectRefused = async (token: string, description: string) => {
    const response = await get('/api/v1/private', token)
    expect(response.status).toBe(401)
    expect(response.json()).toEqual({ status_code: 401, error: 'Invalid token', description })
    expect(response.headers['www-authenticate']).toBe(
      `Bearer realm="Login Required", error="invalid_token", error_description="${description}", JWT realm="Login Required", error="invalid_token", error_description="${description}"`,
    )
  }

  beforeAll(async () => {
    app = await create(resourceServerEnv())
  })
  afterAll(async () => {
    idp.rotate(KEYS)
    await app?.close()
  })

  it('starts in resource-server mode from the issuer URL alone, and issues nothing', async () => {
    expect(app.context.config.keySource).toBe('JWT_ISSUER')
    expect(app.context.guard.options).toMatchObject({ mode: 'resource-server', profile: 'rfc9068' })
    expect(
      (await app.request('POST', '/auth', { headers: { 'content-type': 'application/json' }, body: '{}' }))
        .status,
    ).toBe(404)
  })

  it.each(ALGORITHMS)(
    '%s: an unmodified RFC 9068 token opens /api/v1/private with Bearer; the identity is its sub',
    async (alg) => {
      const token = await idp.accessToken(`urn:jwtguard:${alg}`)
      expect(decodeSegment(token, 0)).toMatchObject({ alg, typ: 'at+jwt' })
      expect(decodeSegment(token, 1)).not.toHaveProperty('nbf')
      const response = await get('/api/v1/private', token)
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ meaning_of_life: 42 })
      const me = await get('/api/v1/me', token)
      expect(me.json()).toEqual({ sub: CLIENT_ID, client_id: CLIENT_ID })
    },
  )

  it('takes the JWT scheme too, and challenges with both schemes when no token is sent', async () => {
    const token = await idp.accessToken('urn:jwtguard:ES256')
    expect((await get('/api/v1/private', token, 'JWT')).status).toBe(200)
    const none = await app.request('GET', '/api/v1/private')
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toBe(CHALLENGE)
  })

  it('refuses a token for another audience', async () => {
    await expectRefused(await idp.accessToken('urn:other'), 'Token audience is not accepted')
  })

  it('refuses a token of another issuer, signed by the same keys', async () => {
    await expectRefused(await otherIdp.accessToken('urn:jwtguard:ES256'), 'Token issuer is not accepted')
  })

  it('refuses an expired token (the clock moved past exp and the leeway)', async () => {
    const token = await idp.accessToken('urn:jwtguard:RS256')
    const { exp } = decodeSegment(token, 1) as { exp: number }
    vi.useFakeTimers({ toFake: ['Date'], now: (exp + 11) * 1000 })
    try {
      await expectRefused(token, 'Signature has expired')
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses a token whose key the issuer rotated out of its JWKS', async () => {
    const before = await idp.accessToken('urn:jwtguard:ES256')
    expect((await get('/api/v1/private', before)).status).toBe(200)
    // The issuer replaces its ES256 key: new tokens carry the new kid, which refreshes the JWKS.
    idp.rotate([...KEYS.filter((key) => key.kid !== 'es-1'), privateJwk('ES256', 'es-2')])
    const after = await idp.accessToken('urn:jwtguard:ES256')
    expect(decodeSegment(after, 0).kid).toBe('es-2')
    expect((await get('/api/v1/private', after)).status).toBe(200)
    await expectRefused(before, 'Token key id is unknown')
  })
})

describe('KEY_ALG applies to discovered RSA keys that name no algorithm', () => {
  let rsaIdp: AuthorizationServer
  const apps: TestApp[] = []
  beforeAll(async () => {
    rsaIdp = await startAuthorizationServer({
      keys: [privateJwk('PS256', 'rsa-no-alg', true)],
      audience: AUDIENCE,
      otherAudience: OTHER_AUDIENCE,
    })
  })
  afterAll(async () => {
    for (const app of apps) await app.close()
    await rsaIdp?.close()
  })

  it.each(APPS.filter((app) => app.name === 'fastify (inject)' || app.name === 'express (in-memory)'))(
    '$name: PS256 with KEY_ALG=PS256, refused without it',
    async (entry) => {
      const env = { JWT_SECRET_KEY: '', JWT_ISSUER: rsaIdp.issuer, JWT_AUDIENCE: AUDIENCE }
      const token = await rsaIdp.accessToken('urn:jwtguard:PS256')
      expect(decodeSegment(token, 0)).toMatchObject({ alg: 'PS256', kid: 'rsa-no-alg' })
      const withAlg = await entry.create({ ...env, KEY_ALG: 'PS256' })
      apps.push(withAlg)
      const opened = await withAlg.request('GET', '/api/v1/private', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(opened.status).toBe(200)
      const withoutAlg = await entry.create(env)
      apps.push(withoutAlg)
      const refused = await withoutAlg.request('GET', '/api/v1/private', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(refused.status).toBe(401)
      expect(refused.json()).toMatchObject({ description: 'Token algorithm is not allowed' })
    },
  )
})
