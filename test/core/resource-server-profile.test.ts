/**
 * Issue 19 items 1 and 2: resource-server mode for any OAuth 2.0 authorization server. The RFC 9068
 * profile (`typ` at+jwt, `sub` as the identity, `nbf` optional, `scope`/`scp` and configurable role
 * claims, the claims themselves as the identity), issuer metadata discovery, several issuers at
 * once, and a list of header schemes with their challenges. Against real JWKS and metadata
 * endpoints on 127.0.0.1; tokens signed by the library's signer with keys it never verifies with
 * (public JWKs only reach the resource server).
 */
import {
  type AsymmetricKey,
  createJwtGuard,
  createRemoteJwks,
  generateAsymmetricKey,
  signToken,
  toJwks,
} from 'jwtguard'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { asyncCodeOf } from '../keys/helpers.js'
import { type JwksServer, startJwksServer } from '../keys/jwks-server.js'

const AUDIENCE = 'https://api.test'
const NOW = 1_700_000_000
const now = () => NOW

const servers: JwksServer[] = []
async function serve(body: unknown): Promise<JwksServer> {
  const server = await startJwksServer(body)
  servers.push(server)
  return server
}
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

/** An RFC 9068 access token as oidc-provider issues one: no `nbf`, `typ: at+jwt`. */
function accessToken(key: AsymmetricKey, iss: string, extra: Record<string, unknown> = {}, typ = 'at+jwt') {
  return signToken(
    {
      iss,
      sub: 'user-42',
      aud: AUDIENCE,
      exp: NOW + 600,
      iat: NOW,
      jti: 'j1',
      client_id: 'cli',
      scope: 'read write',
      ...extra,
    },
    key,
    typ,
  )
}

describe("profile: 'rfc9068'", () => {
  let key: AsymmetricKey
  let jwks: JwksServer
  const ISSUER = 'https://idp.test'
  const remote = () =>
    createRemoteJwks({ url: jwks.url, issuer: ISSUER, audience: AUDIENCE, now: () => NOW * 1000 })

  beforeEach(async () => {
    key = generateAsymmetricKey('ES256', { kid: 'k1' })
    jwks = await serve(toJwks([key]))
  })

  it('opens with a token without nbf; the identity is the verified claims, sub the identity claim', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', now })
    expect(guard.options).toMatchObject({ identityClaim: 'sub', requiredClaims: ['exp', 'iat', 'sub'] })
    const { identity } = await guard.authenticateRequest({ authorization: `JWT ${accessToken(key, ISSUER)}` })
    expect(identity).toMatchObject({ sub: 'user-42', client_id: 'cli', scope: 'read write' })
  })

  it("jwtguard's own profile (the default) still wants nbf and an identity callback", async () => {
    expect(() => createJwtGuard({ jwks: remote(), now } as never)).toThrow(/identity\(payload\) is required/)
    const guard = createJwtGuard({ jwks: remote(), now, identity: (payload) => payload })
    const error = await guard
      .authenticateRequest({ authorization: `JWT ${accessToken(key, ISSUER)}` })
      .catch((e) => e)
    expect(error).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim: 'nbf' })
  })

  it('accepts at+jwt, application/at+jwt and JWT; refuses refresh+jwt and other types', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', now })
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT']) {
      await expect(
        guard.authenticateRequest({ authorization: `JWT ${accessToken(key, ISSUER, {}, typ)}` }),
        typ,
      ).resolves.toBeDefined()
    }
    for (const typ of ['refresh+jwt', 'dpop+jwt', 'logout+jwt']) {
      const token = accessToken(key, ISSUER, {}, typ)
      expect(await asyncCodeOf(guard.authenticateRequest({ authorization: `JWT ${token}` })), typ).toBe(
        'ERR_TOKEN_TYPE_INVALID',
      )
    }
  })

  it('requireAccessTokenType: only at+jwt', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', requireAccessTokenType: true, now })
    await expect(
      guard.authenticateRequest({ authorization: `JWT ${accessToken(key, ISSUER)}` }),
    ).resolves.toBeDefined()
    const typed = accessToken(key, ISSUER, {}, 'JWT')
    expect(await asyncCodeOf(guard.authenticateRequest({ authorization: `JWT ${typed}` }))).toBe(
      'ERR_TOKEN_TYPE_INVALID',
    )
  })

  it('requires sub, iss and aud; pins iss and aud', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', now })
    const cases: [Record<string, unknown>, string][] = [
      [{ sub: undefined }, 'sub'],
      [{ aud: undefined }, 'aud'],
      [{ aud: 'https://other.test' }, 'aud'],
      [{ iss: undefined }, 'iss'],
      [{ iss: 'https://other-idp.test' }, 'iss'],
      [{ client_id: 7 }, 'client_id'],
      [{ auth_time: '1700000000' }, 'auth_time'],
      [{ acr: ['1'] }, 'acr'],
      [{ scope: ['read'] }, 'scope'],
      [{ scp: [1] }, 'scp'],
    ]
    for (const [extra, claim] of cases) {
      const payload = { ...extra }
      const token = accessToken(key, ISSUER, payload)
      const error = await guard.authenticateRequest({ authorization: `JWT ${token}` }).catch((e) => e)
      expect(error, claim).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim })
    }
  })

  it('scope and scp feed the scopes requirement; roles, groups, permissions (or the names given) the roles one', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', now })
    const route = guard.protect({ scopes: ['orders:read'], roles: ['admin'] })
    const okta = accessToken(key, ISSUER, { scope: undefined, scp: ['orders:read'], groups: ['admin'] })
    await expect(route.authenticate({ authorization: `JWT ${okta}` })).resolves.toBeDefined()
    const auth0 = accessToken(key, ISSUER, { scope: 'openid orders:read', permissions: ['admin'] })
    await expect(route.authenticate({ authorization: `JWT ${auth0}` })).resolves.toBeDefined()
    const lacking = accessToken(key, ISSUER, { scope: 'orders:write', roles: ['admin'] })
    expect(await asyncCodeOf(route.authenticate({ authorization: `JWT ${lacking}` }))).toBe(
      'ERR_INSUFFICIENT_SCOPE',
    )
    const named = createJwtGuard({
      jwks: remote(),
      profile: 'rfc9068',
      roleClaims: ['https://example.com/roles'],
      now,
    })
    const namespaced = accessToken(key, ISSUER, { 'https://example.com/roles': ['admin'], roles: ['user'] })
    await expect(
      named.protect({ roles: ['admin'] }).authenticate({ authorization: `JWT ${namespaced}` }),
    ).resolves.toBeDefined()
    const plain = accessToken(key, ISSUER, { roles: ['admin'] })
    expect(
      await asyncCodeOf(named.protect({ roles: ['admin'] }).authenticate({ authorization: `JWT ${plain}` })),
    ).toBe('ERR_INSUFFICIENT_SCOPE')
  })

  it('gives client_id, auth_time and acr to allow', async () => {
    const guard = createJwtGuard({ jwks: remote(), profile: 'rfc9068', now })
    const seen: unknown[] = []
    const route = guard.protect({
      allow: (claims) => {
        seen.push([claims.client_id, claims.auth_time, claims.acr])
        return (
          claims.acr === 'urn:mace:incommon:iap:silver' &&
          typeof claims.auth_time === 'number' &&
          NOW - claims.auth_time < 300
        )
      },
    })
    const recent = accessToken(key, ISSUER, { auth_time: NOW - 60, acr: 'urn:mace:incommon:iap:silver' })
    await expect(route.authenticate({ authorization: `JWT ${recent}` })).resolves.toBeDefined()
    const old = accessToken(key, ISSUER, { auth_time: NOW - 3600, acr: 'urn:mace:incommon:iap:silver' })
    expect(await asyncCodeOf(route.authenticate({ authorization: `JWT ${old}` }))).toBe(
      'ERR_INSUFFICIENT_SCOPE',
    )
    expect(seen[0]).toEqual(['cli', NOW - 60, 'urn:mace:incommon:iap:silver'])
  })

  it('an identity callback still decides the identity', async () => {
    const guard = createJwtGuard({
      jwks: remote(),
      profile: 'rfc9068',
      now,
      identity: (p) => (p.sub === 'user-42' ? { id: p.sub } : null),
    })
    const { identity } = await guard.authenticateRequest({ authorization: `JWT ${accessToken(key, ISSUER)}` })
    expect(identity).toEqual({ id: 'user-42' })
  })

  it('refuses the profile options on an issuer, and bad values, at construction', () => {
    const issuer = {
      secret: 'Jq3v8Zr1tWk0pXc5sYb7nHf2mLd9aGe4uR6iOy',
      authenticate: () => null,
      identity: () => null,
    }
    expect(() => createJwtGuard({ ...issuer, profile: 'rfc9068' } as never)).toThrow(
      /profile: only a resource server/,
    )
    expect(() => createJwtGuard({ jwks: remote(), profile: 'oidc' } as never)).toThrow(
      /profile must be "jwtguard" or "rfc9068"/,
    )
    expect(() => createJwtGuard({ jwks: remote(), profile: 'rfc9068', roleClaims: [] })).toThrow(
      /roleClaims must be a non-empty list/,
    )
    expect(() =>
      createJwtGuard({ jwks: remote(), profile: 'rfc9068', requireAccessTokenType: 'yes' } as never),
    ).toThrow(/requireAccessTokenType must be true or false/)
  })
})

describe('issuer metadata discovery', () => {
  let key: AsymmetricKey
  beforeEach(() => {
    key = generateAsymmetricKey('ES256', { kid: 'k1' })
  })

  it('finds the JWKS through /.well-known/openid-configuration, then verifies', async () => {
    const origin = 'http://127.0.0.1:1'
    const documents = new Map<string, unknown>([
      ['/.well-known/openid-configuration', { issuer: origin, jwks_uri: `${origin}/jwks` }],
      ['/jwks', toJwks([key])],
    ])
    const requested: string[] = []
    const jwks = createRemoteJwks({
      issuer: origin,
      audience: AUDIENCE,
      fetch: routed(documents, requested),
      now: () => NOW * 1000,
    })
    const guard = createJwtGuard({ jwks, profile: 'rfc9068', now })
    expect(requested).toEqual([]) // nothing fetched at construction
    const { identity } = await guard.authenticateRequest({ authorization: `JWT ${accessToken(key, origin)}` })
    expect(identity).toMatchObject({ sub: 'user-42' })
    expect(requested).toEqual(['/.well-known/openid-configuration', '/jwks'])
  })

  it("falls back to RFC 8414's oauth-authorization-server (inserted before the issuer's path)", async () => {
    const requested: string[] = []
    const issuer = 'http://127.0.0.1:1/tenant-a'
    const documents = new Map<string, unknown>([
      ['/.well-known/oauth-authorization-server/tenant-a', { issuer, jwks_uri: 'http://127.0.0.1:1/jwks' }],
      ['/jwks', toJwks([key])],
    ])
    const jwks = createRemoteJwks({ issuer, audience: AUDIENCE, fetch: routed(documents, requested) })
    await jwks.ready()
    expect(requested).toEqual([
      '/tenant-a/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant-a',
      '/jwks',
    ])
    expect(jwks.status().keys).toBe(1)
  })

  it('refuses metadata naming another issuer (mix-up), a non-https jwks_uri, a missing document', async () => {
    const issuer = 'http://127.0.0.1:1'
    const cases: [Map<string, unknown>, RegExp][] = [
      [
        new Map([
          [
            '/.well-known/openid-configuration',
            { issuer: 'https://evil.test', jwks_uri: 'http://127.0.0.1:1/jwks' },
          ],
        ]),
        /is for issuer "https:\/\/evil.test", not "http:\/\/127.0.0.1:1"/,
      ],
      [
        new Map([
          [
            '/.well-known/openid-configuration',
            { issuer: `${issuer}/`, jwks_uri: 'http://127.0.0.1:1/jwks' },
          ],
        ]),
        /must be exactly the "issuer"/,
      ],
      [
        new Map([['/.well-known/openid-configuration', { issuer, jwks_uri: 'http://keys.test/jwks' }]]),
        /jwks_uri must use https:/,
      ],
      [new Map([['/.well-known/openid-configuration', { issuer }]]), /has no jwks_uri/],
      [new Map(), /no metadata for issuer http:\/\/127.0.0.1:1: .*HTTP 404.*HTTP 404/],
    ]
    for (const [documents, message] of cases) {
      const jwks = createRemoteJwks({ issuer, audience: AUDIENCE, fetch: routed(documents, []) })
      await expect(jwks.ready()).rejects.toThrow(message)
    }
  })

  it('needs https (or loopback http) and a single issuer without url, at construction', () => {
    expect(() => createRemoteJwks({ issuer: 'http://idp.example', audience: AUDIENCE })).toThrow(
      /issuer \(without url, the JWKS is discovered from it\) must use https:/,
    )
    expect(() =>
      createRemoteJwks({ issuer: ['https://a.test', 'https://b.test'], audience: AUDIENCE }),
    ).toThrow(/url is required with several issuers/)
    expect(() => createRemoteJwks({ issuer: 'https://idp.example', audience: AUDIENCE })).not.toThrow()
  })
})

/** A fetch over a map of paths to documents (404 elsewhere), recording the paths asked for. */
function routed(documents: Map<string, unknown>, requested: string[]) {
  return async (url: string) => {
    const { pathname } = new URL(url)
    requested.push(pathname)
    const body = documents.get(pathname)
    return body === undefined ? new Response('{}', { status: 404 }) : Response.json(body)
  }
}

describe('several issuers (multi-tenant)', () => {
  const A = 'https://tenant-a.idp.test'
  const B = 'https://tenant-b.idp.test'
  let keyA: AsymmetricKey
  let keyB: AsymmetricKey
  let serverA: JwksServer
  let serverB: JwksServer

  beforeEach(async () => {
    keyA = generateAsymmetricKey('ES256', { kid: 'a1' })
    keyB = generateAsymmetricKey('RS256', { kid: 'b1' })
    serverA = await serve(toJwks([keyA]))
    serverB = await serve(toJwks([keyB]))
  })

  const guardFor = () =>
    createJwtGuard({
      jwks: [
        createRemoteJwks({ url: serverA.url, issuer: A, audience: AUDIENCE, cooldownMs: 0 }),
        createRemoteJwks({ url: serverB.url, issuer: B, audience: 'https://api-b.test', cooldownMs: 0 }),
      ],
      profile: 'rfc9068',
      now,
    })

  it("picks each token's key set by its issuer, with that set's own audience", async () => {
    const guard = guardFor()
    await expect(
      guard.authenticateRequest({ authorization: `JWT ${accessToken(keyA, A)}` }),
    ).resolves.toMatchObject({ identity: { iss: A } })
    const forB = accessToken(keyB, B, { aud: 'https://api-b.test' })
    await expect(guard.authenticateRequest({ authorization: `JWT ${forB}` })).resolves.toMatchObject({
      identity: { iss: B },
    })
    // B's token for A's audience: B's set pins its own.
    expect(
      await asyncCodeOf(guard.authenticateRequest({ authorization: `JWT ${accessToken(keyB, B)}` })),
    ).toBe('ERR_CLAIM_INVALID')
  })

  it('refuses an unknown issuer without fetching any key set', async () => {
    const guard = guardFor()
    const before = serverA.requests + serverB.requests
    const foreign = accessToken(generateAsymmetricKey('ES256', { kid: 'z' }), 'https://unknown.test')
    const error = await guard.authenticateRequest({ authorization: `JWT ${foreign}` }).catch((e) => e)
    expect(error).toMatchObject({
      code: 'ERR_CLAIM_INVALID',
      claim: 'iss',
      message: 'Token issuer is not accepted',
    })
    expect(serverA.requests + serverB.requests).toBe(before)
  })

  it('refuses a list with one issuer twice, at construction', () => {
    const twice = () => createRemoteJwks({ url: serverA.url, issuer: A, audience: AUDIENCE })
    expect(() => createJwtGuard({ jwks: [twice(), twice()], profile: 'rfc9068' })).toThrow(
      /two key sets pin the issuer/,
    )
    expect(() => createJwtGuard({ jwks: [], profile: 'rfc9068' })).toThrow(/non-empty list/)
    const sets = () => [
      createRemoteJwks({ url: serverA.url, issuer: A, audience: AUDIENCE }),
      createRemoteJwks({ url: serverB.url, issuer: B, audience: 'https://api-b.test' }),
    ]
    // A guard-wide audience would replace each set's own: refused, not silently widened.
    expect(() => createJwtGuard({ jwks: sets(), profile: 'rfc9068', audience: AUDIENCE })).toThrow(
      /audience: with several key sets, each pins its own issuer and audience/,
    )
    expect(() => createJwtGuard({ jwks: sets(), profile: 'rfc9068', issuer: [A, B] })).toThrow(
      /issuer: with several/,
    )
  })
})

describe('headerPrefix as a list of schemes', () => {
  const ISSUER = 'https://idp.test'
  it('accepts each scheme, refuses others, and challenges with each', async () => {
    const key = generateAsymmetricKey('ES256', { kid: 'k1' })
    const jwks = await serve(toJwks([key]))
    const guard = createJwtGuard({
      jwks: createRemoteJwks({ url: jwks.url, issuer: ISSUER, audience: AUDIENCE }),
      profile: 'rfc9068',
      headerPrefix: ['Bearer', 'JWT'],
      now,
    })
    const token = accessToken(key, ISSUER)
    for (const scheme of ['Bearer', 'bearer', 'JWT', 'jwt']) {
      await expect(
        guard.authenticateRequest({ authorization: `${scheme} ${token}` }),
        scheme,
      ).resolves.toBeDefined()
    }
    const other = await guard.authenticateRequest({ authorization: `Basic ${token}` }).catch((e) => e)
    expect(other.code).toBe('ERR_AUTH_SCHEME_UNSUPPORTED')
    expect(guard.errorResponse(other).headers['www-authenticate']).toBe(
      'Bearer realm="Login Required", JWT realm="Login Required"',
    )
    const expired = await guard
      .authenticateRequest({ authorization: `Bearer ${accessToken(key, ISSUER, { exp: NOW - 60 })}` })
      .catch((e) => e)
    expect(guard.errorResponse(expired).headers['www-authenticate']).toBe(
      'Bearer realm="Login Required", error="invalid_token", error_description="Signature has expired", JWT realm="Login Required", error="invalid_token", error_description="Signature has expired"',
    )
  })

  it('refuses an empty list, a scheme with a space, a scheme twice', () => {
    const base = {
      secret: 'Jq3v8Zr1tWk0pXc5sYb7nHf2mLd9aGe4uR6iOy',
      authenticate: () => null,
      identity: () => null,
    }
    expect(() => createJwtGuard({ ...base, headerPrefix: [] })).toThrow(/headerPrefix must be a single word/)
    expect(() => createJwtGuard({ ...base, headerPrefix: ['Bearer x'] })).toThrow(
      /headerPrefix must be a single word/,
    )
    expect(() => createJwtGuard({ ...base, headerPrefix: ['Bearer', 'bearer'] })).toThrow(
      /lists a scheme twice/,
    )
    expect(createJwtGuard({ ...base, headerPrefix: 'Bearer' }).options.headerSchemes).toEqual(['Bearer'])
  })
})
