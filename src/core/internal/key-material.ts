/**
 * Recognises asymmetric key material in any encoding, so that it can never be used as an HMAC
 * secret (the algorithm-confusion attack: CVE-2015-9235, CVE-2023-48223 and their sequels).
 *
 * Text markers catch PEM/SSH/PuTTY armour anywhere in the value (leading whitespace, a prefix, any
 * case); structural parsing catches what has no armour: DER (SPKI, PKCS#1, PKCS#8, SEC1, X.509),
 * including DER given as base64/base64url or hex text, and JWK or JWK Set JSON.
 */
import { Buffer } from 'node:buffer'
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto'

// Any PEM armour (`-----BEGIN PUBLIC KEY-----`, `-----BEGIN RSA PUBLIC KEY-----`, certificates,
// private keys, `-----begin ...` in any case) and RFC 4716 SSH2 armour (`---- BEGIN SSH2 ...`).
const ARMOUR = /-{3,}\s*BEGIN[ A-Z0-9]*-{3,}|-{3,}\s*BEGIN /i
const OPENSSH =
  /(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@|sk-ecdsa-sha2-nistp256@)/
const PUTTY = /PuTTY-User-Key-File-/
const JWK_MEMBER = /"(kty|keys)"\s*:/
const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/
const HEX_TEXT = /^(?:[0-9a-fA-F]{2})+$/
// Shorter DER than this is no key worth recognising (an Ed25519 SPKI is 44 bytes).
const MIN_DER_BYTES = 40

const DER_PARSERS: ReadonlyArray<(der: Buffer) => unknown> = [
  (der) => createPublicKey({ key: der, format: 'der', type: 'spki' }),
  (der) => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
  (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
  (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
  (der) => createPrivateKey({ key: der, format: 'der', type: 'sec1' }),
  (der) => new X509Certificate(der),
]

function parsesAsDer(der: Buffer): boolean {
  // Every DER key or certificate is a SEQUENCE (tag 0x30).
  if (der.length < MIN_DER_BYTES || der[0] !== 0x30) return false
  for (const parse of DER_PARSERS) {
    try {
      parse(der)
      return true
    } catch {
      // not this encoding
    }
  }
  return false
}

function looksLikeJwk(text: string): boolean {
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false
  if (JWK_MEMBER.test(trimmed)) return true
  try {
    const value: unknown = JSON.parse(trimmed)
    return typeof value === 'object' && value !== null && ('kty' in value || 'keys' in value)
  } catch {
    return false
  }
}

/**
 * Says why `bytes` is asymmetric key material (or a JWK), or returns `undefined` when it is not.
 * Called once per key, at construction: never on the per-token path.
 */
export function describeKeyMaterial(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1')
  if (ARMOUR.test(text)) return 'a PEM-encoded key or certificate'
  if (OPENSSH.test(text) || PUTTY.test(text)) return 'an SSH public or private key'
  if (looksLikeJwk(bytes.toString('utf8'))) return 'a JWK'
  if (parsesAsDer(bytes)) return 'a DER-encoded key or certificate'
  const compact = text.replace(/\s+/g, '')
  if (
    compact.length >= 2 * MIN_DER_BYTES &&
    HEX_TEXT.test(compact) &&
    parsesAsDer(Buffer.from(compact, 'hex'))
  ) {
    return 'a hex-encoded DER key or certificate'
  }
  // 56 base64 characters carry 42 bytes: less than the smallest key (Ed25519 SPKI, 44 bytes).
  if (compact.length >= 56) {
    if (BASE64_TEXT.test(compact)) {
      // Node's base64 decoder reads both alphabets, with or without padding.
      const decoded = Buffer.from(compact, 'base64')
      if (parsesAsDer(decoded)) return 'a base64-encoded DER key or certificate'
      // The base64 blob of an OpenSSH public key names its type in clear once decoded.
      if (OPENSSH.test(decoded.toString('latin1'))) return 'an SSH public key'
    }
  }
  return undefined
}
