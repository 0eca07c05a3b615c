/**
 * DPoP-bound access tokens from a real authorization server (issue 19 items 3 and 4): panva's
 * `oidc-provider` issues a JWT access token bound to the client's key (`cnf.jkt`, RFC 9449 §6) to a
 * client-credentials request that carries a proof made by panva's `dpop` client; a resource server
 * on jwtguard (a remote JWKS, `dpop: 'allowed'`) accepts it on every framework only with the `DPoP`
 * scheme and a fresh proof of that key, and refuses it without one, sent as `JWT`, or replayed.
 *
 * The provider is loaded by name at run time: it ships no TypeScript types, and this file needs
 * only its constructor and `callback()`.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop'
import { createJwtGuard, createRemoteJwks, type JwtGuard } from 'jwtguard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS, type TestServer } from '../adapters/fixtures.js'
import { decodeSegment } from '../support/tokens.js'

const CLIENT_ID = 'dpop-client'
const CLIENT_SECRET = 'dpop-client-secret-with-enough-bytes'
const AUDIENCE = 'https://orders.example'
const ORIGIN = 'http://localhost'

type ProviderClass = new (
  issuer: string,
  configuration: Record<string, unknown>,
) => { callback(): (request: IncomingMessage, response: ServerResponse) => void }

let server: Server
let issuer: string
let key: KeyPair
let token: string

beforeAll(async () => {
  const moduleName = 'oidc-provider'
  const { Provider } = (await import(moduleName)) as { Provider: ProviderClass }
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
  server = createServer((request, response) => handler?.(request, response))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  handler = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...signing, kid: 'as-1', alg: 'ES256', use: 'sig' }] },
    scopes: ['orders:read'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          audience: AUDIENCE,
          scope: 'orders:read',
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  }).callback()
  key = await generateKeyPair('ES256')
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      dpop: await generateProof(key, `${issuer}/token`, 'POST'),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: AUDIENCE, scope: 'orders:read' }),
  })
  const body = (await response.json()) as {
    access_token?: string
    token_type?: string
    error?: string
    error_description?: string
  }
  if (body.access_token === undefined)
    throw new Error(`token endpoint: ${response.status} ${body.error} ${body.error_description}`)
  expect(body.token_type).toBe('DPoP')
  token = body.access_token
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
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
