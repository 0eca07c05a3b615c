/**
 * DPoP-bound access tokens from a real authorization server (issue 19 items 3 and 4): panva's
 * `oidc-provider` issues a JWT access token bound to the client's key (`cnf.jkt`, RFC 9449 §6) to a
 * client-credentials request that carries a proof made by panva's `dpop` client; a resource server
 * on jwtguard (a remote JWKS, `dpop: 'allowed'`) accepts it on every framework only with the `DPoP`
 * scheme and a fresh proof of that key, and refuses it without one, sent as `JWT`, or replayed.
 *
 * The provider is test/support/oidc-provider.ts's, with DPoP on at its token endpoint.
 */
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop'
import { createJwtGuard, createRemoteJwks, type JwtGuard } from 'jwtguard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS, type TestServer } from '../adapters/fixtures.js'
import {
  type AuthorizationServer,
  CLIENT_ID,
  privateJwk,
  startAuthorizationServer,
} from '../support/oidc-provider.js'
import { decodeSegment } from '../support/tokens.js'

const AUDIENCE = 'https://orders.example'
const ORIGIN = 'http://localhost'

let provider: AuthorizationServer
let issuer: string
let key: KeyPair
let token: string

beforeAll(async () => {
  // ES256 signs the access tokens; the RS256 key is there for the client's ID tokens (its default).
  provider = await startAuthorizationServer({
    keys: [privateJwk('ES256', 'as-1'), privateJwk('RS256', 'as-2')],
    audience: AUDIENCE,
    otherAudience: 'https://other.example',
    dpop: true,
  })
  issuer = provider.issuer
  key = await generateKeyPair('ES256')
  token = await provider.accessToken('urn:jwtguard:ES256', 'orders:read', key)
})

afterAll(async () => {
  await provider?.close()
})

function resourceServer(): JwtGuard<unknown> {
  return createJwtGuard<unknown>({
    jwks: createRemoteJwks({ url: `${issuer}/jwks`, issuer, audience: AUDIENCE }),
    // RFC 9068 tokens carry no nbf and name the client in sub.
    requiredClaims: ['exp', 'iat'],
    identity: (payload) => ({ client: payload.sub }),
    dpop: 'allowed',
  })
}

it("the provider binds its access token to the client's key (cnf.jkt)", async () => {
  expect(decodeSegment(token, 1)).toMatchObject({ cnf: { jkt: await calculateThumbprint(key.publicKey) } })
})

describe.each(FRAMEWORKS)('an oidc-provider DPoP-bound token on $name', (framework) => {
  let app: TestServer
  beforeAll(async () => {
    app = await framework.start(resourceServer(), async (identity) => identity ?? null)
  })
  afterAll(async () => {
    await app?.close()
  })
  const me = async (authorization: string, proof?: string) =>
    app.request('GET', '/api/v1/me', {
      headers: { authorization, ...(proof === undefined ? {} : { dpop: proof }) },
    })
  const proof = () => generateProof(key, `${ORIGIN}/api/v1/me`, 'GET', undefined, token)

  it('opens the route with the DPoP scheme and a proof, once per proof', async () => {
    const once = await proof()
    const response = await me(`DPoP ${token}`, once)
    expect(response.status).toBe(200)
    expect(response.json()).toEqual({ client: CLIENT_ID })
    const replay = await me(`DPoP ${token}`, once)
    expect(replay.status).toBe(401)
    expect(replay.json()).toMatchObject({ description: 'DPoP proof has been used before' })
  })

  it('refuses it without a proof, and sent as JWT', async () => {
    const bare = await me(`DPoP ${token}`)
    expect(bare.status).toBe(401)
    expect(bare.headers['www-authenticate']).toMatch(
      /^DPoP realm="Login Required", error="invalid_dpop_proof"/,
    )
    const asJwt = await me(`JWT ${token}`, await proof())
    expect(asJwt.status).toBe(401)
    expect(asJwt.headers['www-authenticate']).toMatch(/^DPoP realm="Login Required", error="invalid_token"/)
  })
})
