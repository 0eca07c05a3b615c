/**
 * Issue 5 end to end: an issuer process with a key directory publishes its JWKS; a second process
 * in resource-server mode (JWKS_URL) accepts its tokens, refuses forged ones, and follows a key
 * rotation (SIGHUP) without a restart while old tokens keep working.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from '../support/process.js'
import { b64url, decodeSegment } from '../support/tokens.js'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
const PINS = { JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'jwtguard-api' }

function writeEcKey(dir: string, name: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  writeFileSync(join(dir, name), privateKey.export({ type: 'pkcs8', format: 'pem' }))
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const start = Date.now()
  let value = await probe()
  while (!done(value) && Date.now() - start < ms) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await probe()
  }
  return value
}

describe('asymmetric keys, JWKS and a resource server', () => {
  const root = mkdtempSync(join(tmpdir(), 'jwtguard-keys-'))
  const keyDir = join(root, 'keys')
  let issuer: ServerProcess
  let resource: ServerProcess

  const login = async () => {
    const response = await issuer.request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
    expect(response.status).toBe(200)
    return (response.json() as { access_token: string }).access_token
  }
  const me = (server: ServerProcess, token: string) =>
    server.request('GET', '/api/v1/me', { headers: { authorization: `JWT ${token}` } })
  const jwks = async () =>
    (await issuer.request('GET', '/.well-known/jwks.json')).json() as { keys: Record<string, unknown>[] }

  beforeAll(async () => {
    mkdirSync(keyDir)
    writeEcKey(keyDir, '2026-01-01.pem')
    issuer = await startServerProcess({ ...PINS, KEY_DIR: keyDir, DATA_DIR: join(root, 'a') })
    resource = await startServerProcess({
      ...PINS,
      JWKS_URL: `${issuer.address}/.well-known/jwks.json`,
      JWKS_COOLDOWN_MS: '0',
      DATA_DIR: join(root, 'b'),
      FRAMEWORK: 'express',
    })
  }, 60_000)
  afterAll(async () => {
    await Promise.all([issuer?.stop(), resource?.stop()])
    rmSync(root, { recursive: true, force: true })
  })

  it('publishes public parts only, with Cache-Control', async () => {
    const response = await issuer.request('GET', '/.well-known/jwks.json')
    expect(response.status).toBe(200)
    expect(response.headers['cache-control']).toMatch(/max-age=\d+/)
    const { keys } = response.json() as { keys: Record<string, unknown>[] }
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: '2026-01-01' })
    expect(keys[0]).not.toHaveProperty('d')
  })

  it('issues ES256 tokens with the kid, issuer and audience', async () => {
    const token = await login()
    expect(decodeSegment(token, 0)).toEqual({ alg: 'ES256', typ: 'JWT', kid: '2026-01-01' })
    expect(decodeSegment(token, 1)).toMatchObject({
      iss: PINS.JWT_ISSUER,
      aud: PINS.JWT_AUDIENCE,
      identity: 123,
    })
  })

  it('lets the resource server accept the issuer tokens and issue none itself', async () => {
    const response = await me(resource, await login())
    expect(response.status).toBe(200)
    expect(response.json()).toEqual({ user_id: 123 })
    expect(
      (await resource.request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })).status,
    ).toBe(404)
  })

  it('refuses tokens forged with another key under the same kid, or with the public key as an HMAC secret', async () => {
    const genuine = await login()
    const [header, payload] = genuine.split('.') as [string, string]
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const forgedSignature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url')
    expect((await me(resource, `${header}.${payload}.${forgedSignature}`)).status).toBe(401)
    const published = JSON.stringify((await jwks()).keys[0])
    const hmacHeader = b64url({ alg: 'HS256', typ: 'JWT', kid: '2026-01-01' })
    const hmac = createHmac('sha256', published).update(`${hmacHeader}.${payload}`).digest('base64url')
    const confused = await me(resource, `${hmacHeader}.${payload}.${hmac}`)
    expect(confused.status).toBe(401)
    expect(confused.json()).toMatchObject({ error: 'Invalid token' })
  })

  it('follows a rotation without a restart, and keeps old tokens valid until they expire', async () => {
    const before = await login()
    writeEcKey(keyDir, '2026-02-01.pem')
    issuer.child.kill('SIGHUP')
    const published = await until(jwks, (set) => set.keys.length === 2)
    expect(published.keys.map((key) => key.kid).sort()).toEqual(['2026-01-01', '2026-02-01'])
    const after = await login()
    expect(decodeSegment(after, 0).kid).toBe('2026-02-01')
    expect((await me(resource, after)).status).toBe(200)
    expect((await me(resource, before)).status).toBe(200)
    expect((await me(issuer, before)).status).toBe(200)
  })
})
