/**
 * createHmacKey refuses asymmetric material in every encoding: using a public key as an HMAC secret
 * is the algorithm-confusion attack. Each row is one encoding an attacker-facing configuration may
 * carry (a PEM from an environment variable, a YAML file, a database column, a JWKS ...).
 */
import {
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { createHmacKey } from 'jwtguard'
import { describe, expect, it } from 'vitest'
import { rsaPair } from './helpers.js'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const CERT_PEM = fixture('rsa-cert.pem')
const SSH_ED25519 = fixture('ssh-ed25519.pub')
const SSH_RSA = fixture('ssh-rsa.pub')

const rsa = rsaPair()
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const pem = (key: KeyObject, type: string) => key.export({ format: 'pem', type } as never) as string
const der = (key: KeyObject, type: string) => key.export({ format: 'der', type } as never) as Buffer
const SPKI = pem(rsa.publicKey, 'spki')
const PKCS1 = pem(rsa.publicKey, 'pkcs1')
const rsaJwk = rsa.publicKey.export({ format: 'jwk' })
const body = (text: string) =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('-----'))
    .join('\n')

const refused: Array<[string, string | Uint8Array | KeyObject]> = [
  ['SPKI PEM', SPKI],
  ['PKCS#1 PEM (-----BEGIN RSA PUBLIC KEY-----)', PKCS1],
  ['certificate PEM', CERT_PEM],
  ['PKCS#8 private PEM', pem(rsa.privateKey, 'pkcs8')],
  ['PKCS#1 private PEM', pem(rsa.privateKey, 'pkcs1')],
  ['SEC1 EC private PEM', pem(ec.privateKey, 'sec1')],
  ['EC SPKI PEM', pem(ec.publicKey, 'spki')],
  ['Ed25519 SPKI PEM', pem(ed.publicKey, 'spki')],
  ['PEM with a leading newline', `\n${SPKI}`],
  ['PEM with leading spaces and tabs', ` \t ${PKCS1}`],
  ['PEM with CRLF line ends', SPKI.replace(/\n/g, '\r\n')],
  ['PEM after a byte-order mark', `\uFEFF${SPKI}`],
  ['PEM after a zero-width space', `\u200B${SPKI}`],
  ['PEM after a control character', `\u0000${SPKI}`],
  ['PEM after a comment line', `# production key\n${PKCS1}`],
  ['PEM after a dot', `.${SPKI}`],
  ['PEM inside quotes', JSON.stringify(SPKI)],
  ['PEM with escaped newlines', SPKI.replace(/\n/g, '\\n')],
  ['PEM in lower case', SPKI.toLowerCase()],
  ['PEM without line breaks', SPKI.replace(/\n/g, '')],
  ['PEM body without armour (base64 SPKI)', body(SPKI)],
  ['PKCS#1 body without armour', body(PKCS1)],
  ['certificate body without armour', body(CERT_PEM)],
  ['base64url SPKI DER', der(rsa.publicKey, 'spki').toString('base64url')],
  ['hex SPKI DER', der(rsa.publicKey, 'spki').toString('hex')],
  ['SPKI DER bytes', der(rsa.publicKey, 'spki')],
  ['PKCS#1 DER bytes', der(rsa.publicKey, 'pkcs1')],
  ['PKCS#8 DER bytes', der(rsa.privateKey, 'pkcs8')],
  ['EC SPKI DER bytes', der(ec.publicKey, 'spki')],
  ['Ed25519 SPKI DER bytes', der(ed.publicKey, 'spki')],
  ['certificate DER bytes', new X509Certificate(CERT_PEM).raw],
  ['PEM as a Buffer', Buffer.from(PKCS1)],
  ['PEM as a Uint8Array', new TextEncoder().encode(` ${SPKI}`)],
  ['OpenSSH ed25519 public key', SSH_ED25519],
  ['OpenSSH RSA public key', SSH_RSA],
  ['OpenSSH key blob without its type prefix', SSH_ED25519.split(' ')[1] as string],
  [
    'OpenSSH private key armour',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----',
  ],
  [
    'RFC 4716 SSH2 public key',
    '---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n---- END SSH2 PUBLIC KEY ----',
  ],
  ['JWK JSON', JSON.stringify(rsaJwk)],
  ['JWK JSON with whitespace and a BOM', `\uFEFF  ${JSON.stringify(rsaJwk, null, 2)}`],
  ['JWK Set JSON', JSON.stringify({ keys: [rsaJwk] })],
  ['oct JWK JSON', JSON.stringify({ kty: 'oct', k: randomBytes(32).toString('base64url') })],
  ['JWK JSON as bytes', Buffer.from(JSON.stringify(rsaJwk))],
  ['public KeyObject', rsa.publicKey],
  ['private KeyObject', rsa.privateKey],
  ['EC public KeyObject', ec.publicKey],
]

describe('createHmacKey refuses asymmetric material in every encoding', () => {
  it.each(refused)('refuses %s', (_name, secret) => {
    expect(() => createHmacKey(secret, { allowShortSecret: true })).toThrow(TypeError)
  })

  it.each([
    ['an empty string', ''],
    ['an empty Buffer', Buffer.alloc(0)],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a JWK object', rsaJwk],
    ['an ArrayBuffer', new ArrayBuffer(32)],
  ])('refuses %s', (_name, secret) => {
    expect(() => createHmacKey(secret as never, { allowShortSecret: true })).toThrow(TypeError)
  })
})

describe('createHmacKey keeps accepting real secrets', () => {
  it.each([
    ['a passphrase', 'correct horse battery staple, and then some more'],
    ['openssl rand -base64 48', randomBytes(48).toString('base64')],
    ['openssl rand -hex 32', randomBytes(32).toString('hex')],
    ['32 random bytes', randomBytes(32)],
    ['a secret KeyObject', createSecretKey(randomBytes(32))],
    ['text that mentions keys', 'my -----BEGIN-less secret about PUBLIC KEY rotation!!'],
  ])('accepts %s', (_name, secret) => {
    expect(createHmacKey(secret).alg).toBe('HS256')
  })

  it('never flags random bytes, base64 or hex text as key material', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 256 }), (bytes) => {
        const buffer = Buffer.from(bytes)
        for (const secret of [
          buffer,
          buffer.toString('base64'),
          buffer.toString('base64url'),
          buffer.toString('hex'),
        ]) {
          createHmacKey(secret)
        }
      }),
      { numRuns: 300 },
    )
  })
})
