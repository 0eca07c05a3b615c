/**
 * Keys. A key carries its algorithm: a token is verified with the algorithm of the key that
 * verifies it, never with the one its header names (the header must merely agree).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'

/** HMAC algorithms (RFC 7518 §3.2). */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const

/** An HMAC JWS algorithm. */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]

/** Every algorithm a {@link JwtKey} can have. */
export type Algorithm = HmacAlgorithm

/** A key able to verify, and possibly sign, JWS signatures with exactly one algorithm. */
export interface JwtKey {
  /** The only algorithm this key signs and verifies with. */
  readonly alg: Algorithm
  /** Key id placed in the header of tokens it signs, if any. */
  readonly kid: string | undefined
  /** Signs the ASCII signing input `header.payload`. */
  sign(signingInput: string): Buffer
  /** Checks `signature` over `signingInput` in constant time. */
  verify(signingInput: string, signature: Uint8Array): boolean
}

/** A shared secret as accepted by {@link createHmacKey}. */
export type Secret = string | Uint8Array | KeyObject

/** Options of {@link createHmacKey}. */
export interface HmacKeyOptions {
  /**
   * The HMAC algorithm.
   * @default 'HS256'
   */
  alg?: HmacAlgorithm | undefined
  /** Key id to put in token headers. */
  kid?: string | undefined
  /**
   * Accept a secret shorter than the hash output (RFC 7518 §3.2 requires at least as long: 32
   * bytes for HS256). Only for sharing tokens with an existing system, such as a Flask-JWT app
   * with a short `SECRET_KEY`.
   * @default false
   */
  allowShortSecret?: boolean | undefined
}

const HASH: Record<HmacAlgorithm, { name: string; bytes: number }> = {
  HS256: { name: 'sha256', bytes: 32 },
  HS384: { name: 'sha384', bytes: 48 },
  HS512: { name: 'sha512', bytes: 64 },
}

// A public key or certificate in any PEM flavour, or a JWK, is never a shared secret: using one as
// an HMAC secret is the algorithm-confusion attack (CVE-2015-9235, CVE-2023-48223).
const ASYMMETRIC_MATERIAL = /-----BEGIN [A-Z0-9 ]*(KEY|CERTIFICATE)[A-Z ]*-----|ssh-(rsa|ed25519)|ecdsa-sha2-/

function secretBytes(secret: Secret): Buffer {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof Uint8Array) return Buffer.from(secret)
  if (typeof secret === 'object' && secret !== null && 'type' in secret) {
    if (secret.type !== 'secret') {
      throw new TypeError(
        `an HMAC secret must be a secret key, not a ${secret.type} key: use the key's own algorithm instead`,
      )
    }
    return secret.export()
  }
  throw new TypeError('secret must be a string, a Uint8Array or a secret KeyObject')
}

/** Refuses what must never serve as an HMAC secret, with a message that says what to do. */
function assertUsableSecret(bytes: Buffer, alg: HmacAlgorithm, allowShort: boolean): void {
  if (bytes.length === 0) {
    throw new TypeError('secret is empty: set a random secret of at least 32 bytes')
  }
  const text = bytes.toString('latin1')
  if (ASYMMETRIC_MATERIAL.test(text)) {
    throw new TypeError(
      'secret looks like a public/private key or certificate: asymmetric keys must not be used as HMAC secrets',
    )
  }
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') && /"kty"\s*:/.test(trimmed)) {
    throw new TypeError('secret looks like a JWK: import it as a key instead of using it as an HMAC secret')
  }
  const minimum = HASH[alg].bytes
  if (!allowShort && bytes.length < minimum) {
    throw new RangeError(
      `secret is ${bytes.length} bytes; ${alg} needs at least ${minimum} (RFC 7518 §3.2). ` +
        'Generate one with `npx jwtguard secret generate`, or set allowShortSecret to share tokens with an existing system.',
    )
  }
}

/**
 * Creates an HMAC key. The secret is checked once, here: empty secrets, PEM keys, certificates
 * and JWKs are refused, and so are secrets shorter than the hash unless explicitly allowed.
 *
 * @example
 * ```ts
 * import { createHmacKey } from 'jwtguard'
 * const key = createHmacKey(process.env.JWT_SECRET_KEY!, { alg: 'HS256' })
 * ```
 */
export function createHmacKey(secret: Secret, options: HmacKeyOptions = {}): JwtKey {
  const alg = options.alg ?? 'HS256'
  if (!HMAC_ALGORITHMS.includes(alg)) {
    throw new TypeError(`alg must be one of ${HMAC_ALGORITHMS.join(', ')}`)
  }
  const bytes = secretBytes(secret)
  assertUsableSecret(bytes, alg, options.allowShortSecret === true)
  const keyObject = createSecretKey(bytes)
  const { name, bytes: digestLength } = HASH[alg]
  return {
    alg,
    kid: options.kid,
    sign(signingInput) {
      return createHmac(name, keyObject).update(signingInput, 'latin1').digest()
    },
    verify(signingInput, signature) {
      if (signature.length !== digestLength) return false
      const expected = createHmac(name, keyObject).update(signingInput, 'latin1').digest()
      return timingSafeEqual(expected, signature)
    },
  }
}
