/**
 * Issue 18: workerd's node:crypto refuses a KeyObject inside an options object (`{ key, padding }`,
 * `{ key, dsaEncoding }`) with ERR_INVALID_ARG_TYPE, which PS* and ES* need; the same key as a JWK
 * works there. node:crypto is replaced here by one that refuses the same way, and PS256, ES256 and
 * ES384 keys still sign and verify (the runtime matrix, npm run test:runtimes, proves it on workerd).
 */
import { describe, expect, it, vi } from 'vitest'

const refusals = vi.hoisted(() => ({ count: 0 }))

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  const refuse = (key: unknown) => {
    const inner = (key as { key?: unknown } | null)?.key
    if (!(key instanceof actual.KeyObject) && inner instanceof actual.KeyObject) {
      refusals.count++
      throw Object.assign(new TypeError('The "options.key" property must be of type string ...'), {
        code: 'ERR_INVALID_ARG_TYPE',
      })
    }
  }
  const sign: typeof actual.sign = ((algorithm, data, key) => {
    refuse(key)
    return actual.sign(algorithm, data, key)
  }) as typeof actual.sign
  const verify: typeof actual.verify = ((algorithm, data, key, signature) => {
    refuse(key)
    return actual.verify(algorithm, data, key, signature)
  }) as typeof actual.verify
  return { ...actual, default: { ...actual, sign, verify }, sign, verify }
})

const { generateAsymmetricKey } = await import('jwtguard')

describe('a runtime whose node:crypto takes no KeyObject in options (workerd)', () => {
  it.each(['PS256', 'ES256', 'ES384'] as const)('%s signs and verifies with the key as a JWK', (alg) => {
    refusals.count = 0
    const key = generateAsymmetricKey(alg)
    const signature = key.sign('header.payload')
    expect(key.verify('header.payload', signature)).toBe(true)
    expect(key.verify('header.payloaD', signature)).toBe(false)
    // One refusal each for signing and verifying, then the JWK form is kept: none per token after.
    expect(key.verify('header.payload', key.sign('header.payload'))).toBe(true)
    expect(refusals.count).toBe(2)
  })

  it('RS256 and EdDSA pass the KeyObject itself, which every runtime takes', () => {
    refusals.count = 0
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const key = generateAsymmetricKey(alg)
      expect(key.verify('a.b', key.sign('a.b'))).toBe(true)
    }
    expect(refusals.count).toBe(0)
  })
})
