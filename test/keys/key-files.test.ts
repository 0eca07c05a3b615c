/**
 * Keys from files: a single key file in each format, and a key directory read as a keystore
 * (name order: the last private key signs, the others verify).
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVerifier, readKeyDirectory, readKeyFile, signToken, syncKeyDirectory, toJwks } from 'jwtguard'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { claims, NOW, rsaPair } from './helpers.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jwtguard-keys-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

const ed = () => generateKeyPairSync('ed25519')
const pem = (key: import('node:crypto').KeyObject, type = 'pkcs8') =>
  key.export({ format: 'pem', type } as never) as string

describe('readKeyFile', () => {
  it('reads PEM, DER and JWK files', () => {
    const rsa = rsaPair()
    writeFileSync(join(dir, 'rsa.pem'), pem(rsa.privateKey))
    writeFileSync(join(dir, 'rsa.der'), rsa.publicKey.export({ format: 'der', type: 'spki' }))
    writeFileSync(
      join(dir, 'ec.jwk'),
      JSON.stringify({
        ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }),
        kid: 'ec-1',
      }),
    )
    expect(readKeyFile(join(dir, 'rsa.pem'), { alg: 'RS256' }).canSign).toBe(true)
    expect(readKeyFile(join(dir, 'rsa.der'), { alg: 'PS256' }).canSign).toBe(false)
    const ec = readKeyFile(join(dir, 'ec.jwk'))
    expect([ec.alg, ec.kid, ec.canSign]).toEqual(['ES384', 'ec-1', true])
  })

  it('names the file in its errors', () => {
    writeFileSync(join(dir, 'secret.pem'), 'not a key at all, just a long shared secret value')
    expect(() => readKeyFile(join(dir, 'secret.pem'))).toThrow(/secret\.pem/)
    expect(() => readKeyFile(join(dir, 'missing.pem'))).toThrow(/cannot read key file/)
  })
})

describe('readKeyDirectory', () => {
  it('makes the last private key (by name) active and keeps the others verifying', () => {
    const jan = ed()
    const feb = ed()
    writeFileSync(join(dir, '2025-01.pem'), pem(jan.privateKey))
    writeFileSync(join(dir, '2025-02.pem'), pem(feb.privateKey))
    writeFileSync(join(dir, 'partner.pem'), pem(ed().publicKey, 'spki'))
    writeFileSync(join(dir, 'README.txt'), 'ignored')
    writeFileSync(join(dir, '.hidden.pem'), 'ignored')
    mkdirSync(join(dir, 'archive.pem'))
    const store = readKeyDirectory(dir, { now: () => NOW })
    expect(store.activeKey.kid).toBe('2025-02')
    expect(store.entries().map((entry) => entry.key.kid)).toEqual(['2025-02', '2025-01', 'partner'])
    const verify = createVerifier({ keys: store, now: () => NOW })
    const older = signToken(claims(), store.entries()[1]?.key as never)
    expect(verify(older)).toMatchObject({ identity: 1 })
    expect(verify(signToken(claims(), store))).toMatchObject({ identity: 1 })
    expect(toJwks(store).keys.map((jwk) => jwk.kid)).toEqual(['2025-02', '2025-01', 'partner'])
  })

  it('keeps the kid a JWK file names, and needs alg for RSA keys', () => {
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({ ...ed().privateKey.export({ format: 'jwk' }), kid: 'own-kid' }),
    )
    expect(readKeyDirectory(dir).activeKey.kid).toBe('own-kid')
    writeFileSync(join(dir, 'b.pem'), pem(rsaPair().privateKey))
    expect(() => readKeyDirectory(dir)).toThrow(/b\.pem.*alg/)
    expect(readKeyDirectory(dir, { rsaAlgorithm: 'RS256' }).activeKey.kid).toBe('b')
  })

  it('refuses a directory without a private key, or that does not exist', () => {
    writeFileSync(join(dir, 'pub.pem'), pem(ed().publicKey, 'spki'))
    expect(() => readKeyDirectory(dir)).toThrow(/no private key/)
    expect(() => readKeyDirectory(join(dir, 'nope'))).toThrow(/cannot read key directory/)
  })
})

describe('syncKeyDirectory', () => {
  it('rotates to a new last private key, adds new public keys, retires deleted ones', () => {
    let now = NOW
    writeFileSync(join(dir, '2025-01.pem'), pem(ed().privateKey))
    writeFileSync(join(dir, 'partner.pem'), pem(ed().publicKey, 'spki'))
    const store = readKeyDirectory(dir, { now: () => now, maxTokenLifetime: 600 })
    const verify = createVerifier({ keys: store, now: () => now })
    const before = signToken(claims(), store)
    expect(syncKeyDirectory(store, dir)).toEqual({ added: [], rotatedTo: undefined, retired: [] })

    writeFileSync(join(dir, '2025-02.pem'), pem(ed().privateKey))
    writeFileSync(
      join(dir, 'other.jwk'),
      JSON.stringify({ ...ed().publicKey.export({ format: 'jwk' }), kid: 'other' }),
    )
    rmSync(join(dir, 'partner.pem'))
    // The new signing key is new to the store too: the reload log names it among the added.
    expect(syncKeyDirectory(store, dir)).toEqual({
      added: ['2025-02', 'other'],
      rotatedTo: '2025-02',
      retired: ['partner'],
    })
    expect(store.activeKey.kid).toBe('2025-02')
    expect(verify(before)).toMatchObject({ identity: 1 })

    // The replaced key keeps verifying until its retirement even when its file goes.
    rmSync(join(dir, '2025-01.pem'))
    expect(syncKeyDirectory(store, dir).retired).toEqual([])
    expect(verify(before)).toMatchObject({ identity: 1 })
    now += 600
    expect(() => verify(before)).toThrow(/unknown/)
  })

  it('promotes a key published in advance, and refuses a kid that changed key', () => {
    const next = ed()
    writeFileSync(join(dir, '2025-01.pem'), pem(ed().privateKey))
    writeFileSync(join(dir, '2025-02.pem'), pem(next.publicKey, 'spki'))
    const store = readKeyDirectory(dir)
    expect(store.activeKey.kid).toBe('2025-01')
    writeFileSync(join(dir, '2025-02.pem'), pem(next.privateKey))
    expect(syncKeyDirectory(store, dir)).toEqual({ added: [], rotatedTo: '2025-02', retired: [] })
    expect(store.activeKey.kid).toBe('2025-02')
    writeFileSync(join(dir, '2025-01.pem'), pem(ed().privateKey))
    expect(() => syncKeyDirectory(store, dir)).toThrow(/now names another key/)
    expect(store.activeKey.kid).toBe('2025-02')
  })
})
