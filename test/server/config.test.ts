/**
 * Issue 20 item 5 (and issue 16's KEY_ALG finding): what the reference server says it uses is what it
 * uses. The start-up log names the user store and the token store in use, URLs redacted; KEY_ALG
 * reaches the remote JWKS in resource-server mode, as the README's table says; the identity cache is
 * on unless IDENTITY_CACHE=0 (issue 21).
 */
import { constants, generateKeyPairSync, sign } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, storesInUse } from '../../server/config.js'
import { startJwksServer } from '../keys/jwks-server.js'
import { createTestContext } from '../support/server.js'
import { b64url } from '../support/tokens.js'

describe('the stores named at start-up', () => {
  const base = { DATA_DIR: '/srv/jwtguard', JWT_SECRET_KEY: 'x'.repeat(8) + 'config-test-secret-32-bytes!' }

  it('names the SQLite file for both by default', () => {
    expect(storesInUse(loadConfig(base))).toEqual({
      users: 'SQLite /srv/jwtguard/jwtguard.db',
      tokens: 'SQLite /srv/jwtguard/jwtguard.db',
    })
  })

  it('names PostgreSQL and Redis when they are configured, without their passwords', () => {
    const stores = storesInUse(
      loadConfig({
        ...base,
        DATABASE_URL: 'postgres://app:pg-password@db.internal:5432/users',
        REDIS_URL: 'redis://:redis-password@cache.internal:6379/0',
      }),
    )
    expect(stores).toEqual({
      users: 'PostgreSQL postgres://app:***@db.internal:5432/users',
      tokens: 'Redis redis://:***@cache.internal:6379/0',
    })
    expect(JSON.stringify(stores)).not.toMatch(/pg-password|redis-password/)
  })
})

describe('KEY_ALG in resource-server mode', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  // An RSA JWK that names no algorithm, as some identity providers publish them.
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig' }
  const closers: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of closers) await close()
  })

  it('verifies PS256 tokens from an RSA key without alg when KEY_ALG=PS256', async () => {
    const jwks = await startJwksServer({ keys: [jwk] })
    closers.push(() => jwks.close())
    const { context, cleanup } = await createTestContext({
      JWKS_URL: jwks.url,
      JWT_ISSUER: 'https://issuer.test',
      JWT_AUDIENCE: 'api',
      KEY_ALG: 'PS256',
    })
    closers.push(cleanup)
    const now = Math.floor(Date.now() / 1000)
    const input = `${b64url({ alg: 'PS256', typ: 'JWT', kid: 'rsa-1' })}.${b64url({
      iss: 'https://issuer.test',
      aud: 'api',
      exp: now + 300,
      iat: now,
      nbf: now,
      identity: 123,
    })}`
    const signature = sign('sha256', Buffer.from(input), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }).toString('base64url')
    const result = await context.guard.authenticateRequest({ authorization: `JWT ${input}.${signature}` })
    expect(result.identity).toEqual({ user_id: 123 })
  })
})

describe('the reference server’s identity cache (IDENTITY_CACHE)', () => {
  it('is on by default, and off with IDENTITY_CACHE=0', async () => {
    const on = await createTestContext()
    const off = await createTestContext({ IDENTITY_CACHE: '0' })
    try {
      expect(on.context.guard.options.identityCache).toEqual({ maxEntries: 10_000, maxAge: 60 })
      expect(off.context.guard.options.identityCache).toBeUndefined()
    } finally {
      await on.cleanup()
      await off.cleanup()
    }
  })
})
