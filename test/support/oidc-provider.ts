/**
 * A real OAuth 2.0 authorization server for the resource-server tests: panva's `oidc-provider`
 * (certified OpenID provider), on 127.0.0.1 at a free port, issuing RFC 9068 JWT access tokens for
 * resource indicators (RFC 8707) through the client-credentials grant. One resource per signing
 * algorithm, all for one audience, and one resource of another audience. `rotate(keys)` replaces
 * the provider behind the same issuer URL with one holding other keys (its JWKS changes, as after
 * a key rotation at an identity provider). With `dpop`, the provider binds a token to the key of
 * the DPoP proof its request carries (RFC 9449 §5, `cnf.jkt`).
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateProof, type KeyPair } from 'dpop'
import { Provider } from 'oidc-provider'

export const CLIENT_ID = 'orders-client'
const CLIENT_SECRET = 'orders-client-secret-with-enough-bytes'

/** The algorithms the tests sign with, and what each resource indicator asks for. */
export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** A private JWK with its kid (and alg, unless `withoutAlg`). */
export function privateJwk(alg: SigningAlgorithm, kid: string, withoutAlg = false): JsonWebKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = pair.privateKey.export({ format: 'jwk' })
  return withoutAlg ? { ...jwk, kid, use: 'sig' } : { ...jwk, kid, alg, use: 'sig' }
}

export interface AuthorizationServer {
  /** The issuer URL, `http://127.0.0.1:<port>` (loopback: plain http is allowed there). */
  issuer: string
  /**
   * An access token from the token endpoint, for `resource` (`urn:jwtguard:<alg>` or `urn:other`);
   * with `dpopKey`, the request carries a proof of that key and the token must come back DPoP-bound.
   */
  accessToken(resource: string, scope?: string, dpopKey?: KeyPair): Promise<string>
  /** Serves, from now on, a provider with these keys (same issuer, same resources). */
  rotate(keys: JsonWebKey[]): void
  close(): Promise<void>
}

export interface ServerOptions {
  keys: JsonWebKey[]
  /** The audience of the `urn:jwtguard:<alg>` resources. */
  audience: string
  /** The audience of `urn:other`. */
  otherAudience: string
  /** Access-token lifetime, seconds. @default 600 */
  ttl?: number
  /** DPoP (RFC 9449) at the token endpoint. @default false */
  dpop?: boolean
}

function createProvider(issuer: string, options: ServerOptions, keys: JsonWebKey[]): Provider {
  const ttl = options.ttl ?? 600
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys },
    scopes: ['orders:read', 'orders:write'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      dPoP: { enabled: options.dpop === true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const alg = resource.startsWith('urn:jwtguard:') ? resource.slice('urn:jwtguard:'.length) : 'ES256'
          return {
            audience: resource === 'urn:other' ? options.otherAudience : options.audience,
            scope: 'orders:read orders:write',
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg } },
          }
        },
      },
    },
  })
}

/** Starts the authorization server on a free loopback port. */
export async function startAuthorizationServer(options: ServerOptions): Promise<AuthorizationServer> {
  let current: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
  const server: Server = createServer((request, response) => current?.(request, response))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const serve = (keys: JsonWebKey[]) => {
    current = createProvider(issuer, options, keys).callback()
  }
  serve(options.keys)
  return {
    issuer,
    async accessToken(resource, scope = 'orders:read', dpopKey) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          ...(dpopKey === undefined ? {} : { dpop: await generateProof(dpopKey, `${issuer}/token`, 'POST') }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      })
      const body = (await response.json()) as {
        access_token?: string
        token_type?: string
        error?: string
        error_description?: string
      }
      if (body.access_token === undefined) {
        throw new Error(`token endpoint: ${response.status} ${body.error} ${body.error_description}`)
      }
      if (dpopKey !== undefined && body.token_type !== 'DPoP') {
        throw new Error(`token endpoint: a ${body.token_type} token where a DPoP-bound one was asked for`)
      }
      return body.access_token
    },
    rotate: serve,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
