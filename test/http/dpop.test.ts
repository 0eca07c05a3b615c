/**
 * The reference server with `DPOP=required` (issue 19 item 3), on every framework and transport:
 * `/auth` refuses a login without a DPoP proof and binds the session to the proof's key, the API
 * takes the bound token only with the `DPoP` scheme and a fresh proof, `/auth/refresh` and
 * `/auth/revoke` take the session's key, and the OpenAPI document names the DPoP scheme. The
 * proofs name `DPOP_ORIGIN`, the origin a client reaches the server at (a socket's is another).
 */
import { generateKeyPair, generateProof, type KeyPair } from 'dpop'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APPS } from '../support/apps.js'
import type { TestApp } from '../support/server.js'
import { decodeSegment } from '../support/tokens.js'

const ORIGIN = 'https://api.example.test'
const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

interface Pair {
  access_token: string
  refresh_token: string
}

let key: KeyPair
beforeAll(async () => {
  key = await generateKeyPair('ES256')
})

describe.each(APPS)('DPOP=required: $name', ({ create }) => {
  let app: TestApp
  beforeAll(async () => {
    app = await create({ DPOP: 'required', DPOP_ORIGIN: ORIGIN })
  })
  afterAll(async () => {
    await app?.close()
  })

  const login = async (proof?: string) =>
    app.request('POST', '/auth', {
      headers: { ...JSON_HEADERS, ...(proof === undefined ? {} : { dpop: proof }) },
      body: SEED_LOGIN,
    })
  const call = async (path: string, token: string, proof?: string, scheme = 'DPoP') =>
    app.request('GET', path, {
      headers: { authorization: `${scheme} ${token}`, ...(proof === undefined ? {} : { dpop: proof }) },
    })
  const proofFor = (path: string, token?: string, htm = 'GET') =>
    generateProof(key, `${ORIGIN}${path}`, htm, undefined, token)

  it('refuses a login without a proof, and binds the session of one with a proof', async () => {
    const refused = await login()
    expect(refused.status).toBe(401)
    expect(refused.headers['www-authenticate']).toMatch(
      /^DPoP realm="Login Required", error="invalid_dpop_proof"/,
    )
    const response = await login(await proofFor('/auth', undefined, 'POST'))
    expect(response.status).toBe(200)
    const pair = response.json() as Pair
    expect(decodeSegment(pair.access_token, 1)).toHaveProperty('cnf.jkt')
  })

  it('opens the API with the DPoP scheme and a proof, once per proof, never as JWT', async () => {
    const pair = (await login(await proofFor('/auth', undefined, 'POST'))).json() as Pair
    const proof = await proofFor('/api/v1/me', pair.access_token)
    const ok = await call('/api/v1/me', pair.access_token, proof)
    expect(ok.status).toBe(200)
    expect(ok.json()).toEqual({ user_id: 123 })
    const replay = await call('/api/v1/me', pair.access_token, proof)
    expect(replay.status).toBe(401)
    expect(replay.json()).toMatchObject({ description: 'DPoP proof has been used before' })
    const asJwt = await call(
      '/api/v1/private',
      pair.access_token,
      await proofFor('/api/v1/private', pair.access_token),
      'JWT',
    )
    expect(asJwt.status).toBe(401)
    expect(asJwt.headers['www-authenticate']).toMatch(/^DPoP realm="Login Required", error="invalid_token"/)
    const noProof = await call('/api/v1/private', pair.access_token)
    expect(noProof.status).toBe(401)
    expect(noProof.json()).toMatchObject({
      error: 'Invalid DPoP proof',
      description: 'DPoP proof is missing',
    })
  })

  it('refreshes and logs out a bound session with proofs of its key', async () => {
    const pair = (await login(await proofFor('/auth', undefined, 'POST'))).json() as Pair
    const refreshed = await app.request('POST', '/auth/refresh', {
      headers: { ...JSON_HEADERS, dpop: await proofFor('/auth/refresh', undefined, 'POST') },
      body: JSON.stringify({ refresh_token: pair.refresh_token }),
    })
    expect(refreshed.status).toBe(200)
    const next = refreshed.json() as Pair
    const revoked = await app.request('POST', '/auth/revoke', {
      headers: {
        authorization: `DPoP ${next.access_token}`,
        dpop: await proofFor('/auth/revoke', next.access_token, 'POST'),
      },
    })
    expect(revoked.status).toBe(204)
    const after = await call('/api/v1/me', next.access_token, await proofFor('/api/v1/me', next.access_token))
    expect(after.status).toBe(401)
    expect(after.json()).toMatchObject({ description: 'Token has been revoked' })
  })

  it('documents the DPoP scheme and proof header in /openapi.json', async () => {
    const document = (await app.request('GET', '/openapi.json')).json() as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string; name?: string }> }
      paths: Record<string, { get?: { security: unknown[] }; post?: { parameters?: { name: string }[] } }>
    }
    expect(document.components.securitySchemes.DPoP).toMatchObject({ type: 'http', scheme: 'DPoP' })
    expect(document.components.securitySchemes.DPoPProof).toMatchObject({ type: 'apiKey', name: 'DPoP' })
    expect(document.paths['/api/v1/me']?.get?.security).toContainEqual({ DPoP: [], DPoPProof: [] })
    expect(document.paths['/auth']?.post?.parameters).toContainEqual(
      expect.objectContaining({ name: 'DPoP' }),
    )
  })
})
