/**
 * JSON Web Keys (RFC 7517) for asymmetric keys: import to node:crypto KeyObjects, export of the
 * public part only, and RFC 7638 thumbprints. Conversion happens once per key, never per token.
 *
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from './keys.js'

/** The public members of an asymmetric JWK, as published in a JWKS. */
export interface PublicJwk {
  kty: 'RSA' | 'EC' | 'OKP'
  kid?: string
  alg?: AsymmetricAlgorithm
  use?: 'sig'
  /** RSA modulus and exponent. */
  n?: string
  e?: string
  /** EC / OKP curve and coordinates. */
  crv?: string
  x?: string
  y?: string
}

/** The key objects and metadata read from a JWK. */
export interface ImportedJwk {
  publicKey: KeyObject
  /** Present when the JWK carried a private part (`d`) and `publicOnly` was not asked. */
  privateKey: KeyObject | undefined
  alg: AsymmetricAlgorithm | undefined
  kid: string | undefined
}

// Members that make up each key type's public part, in RFC 7638 (lexicographic) order.
const PUBLIC_MEMBERS = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
} as const

type AsymmetricKty = keyof typeof PUBLIC_MEMBERS

function isAsymmetricKty(kty: unknown): kty is AsymmetricKty {
  return kty === 'RSA' || kty === 'EC' || kty === 'OKP'
}

/** The JWK of a public KeyObject, with only the public members of its type. */
function publicMembers(publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>
  const kty = jwk.kty
  if (!isAsymmetricKty(kty)) throw new TypeError(`unsupported key type ${String(kty)}`)
  const out: Record<string, unknown> = {}
  for (const member of PUBLIC_MEMBERS[kty]) {
    const value = jwk[member]
    if (typeof value !== 'string') throw new TypeError(`JWK member "${member}" is missing`)
    out[member] = value
  }
  return out as unknown as PublicJwk
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public or private asymmetric KeyObject.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from 'node:crypto'
 * import { jwkThumbprint } from 'jwtguard'
 * const { publicKey } = generateKeyPairSync('ed25519')
 * const kid = jwkThumbprint(publicKey)
 * ```
 */
export function jwkThumbprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  if (publicKey.type !== 'public') throw new TypeError('a thumbprint needs an asymmetric key')
  const jwk = publicMembers(publicKey) as unknown as Record<string, string>
  // Required members only, lexicographic order, no whitespace (RFC 7638 §3.2).
  const canonical = `{${PUBLIC_MEMBERS[jwk.kty as AsymmetricKty]
    .map((member) => `${JSON.stringify(member)}:${JSON.stringify(jwk[member])}`)
    .join(',')}}`
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * The public JWK for a public key: only `kty` and the public members of its type, plus `kid`,
 * `alg` and `use: 'sig'`. Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`) and symmetric
 * material (`k`) cannot appear: members are copied from an allow-list, never spread.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from 'node:crypto'
 * import { publicJwkOf } from 'jwtguard'
 * const { publicKey } = generateKeyPairSync('ed25519')
 * publicJwkOf(publicKey, 'EdDSA', 'key-1') // { kty: 'OKP', kid: 'key-1', alg: 'EdDSA', use: 'sig', crv: 'Ed25519', x: '...' }
 * ```
 */
export function publicJwkOf(
  publicKey: KeyObject,
  alg: AsymmetricAlgorithm,
  kid: string | undefined,
): PublicJwk {
  if (publicKey.type !== 'public') throw new TypeError('publicJwkOf needs a public key')
  const jwk = publicMembers(publicKey)
  const out: PublicJwk = { kty: jwk.kty }
  if (kid !== undefined) out.kid = kid
  out.alg = alg
  out.use = 'sig'
  for (const member of PUBLIC_MEMBERS[jwk.kty]) {
    if (member !== 'kty') out[member] = jwk[member] as string
  }
  return out
}

function optionalString(jwk: Record<string, unknown>, member: string): string | undefined {
  const value = jwk[member]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`JWK "${member}" must be a non-empty string`)
  return value
}

/**
 * Reads an asymmetric JWK into node:crypto KeyObjects, checking what a JWK may say about its use:
 * `kty` must be RSA, EC or OKP (an `oct` JWK is a shared secret: use createHmacKey with its bytes);
 * `use`, when present, must be `sig`; `key_ops`, when present, must allow `sign` or `verify`;
 * `alg`, when present, must be an asymmetric JWS algorithm. Whether `alg` fits the key is checked
 * by createAsymmetricKey.
 *
 * @example
 * ```ts
 * import { readJwk } from 'jwtguard'
 * const { publicKey, kid } = readJwk({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' })
 * ```
 *
 * @throws {TypeError} naming the member at fault.
 */
export function readJwk(value: unknown, options: { publicOnly?: boolean | undefined } = {}): ImportedJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('a JWK must be a JSON object')
  }
  const jwk = value as Record<string, unknown>
  if (jwk.kty === 'oct') {
    throw new TypeError('this JWK is a symmetric (oct) key: asymmetric algorithms need an RSA, EC or OKP key')
  }
  if (!isAsymmetricKty(jwk.kty)) throw new TypeError('JWK "kty" must be RSA, EC or OKP')
  const use = optionalString(jwk, 'use')
  if (use !== undefined && use !== 'sig')
    throw new TypeError(`JWK "use" is "${use}": only "sig" keys sign tokens`)
  const keyOps = jwk.key_ops
  if (keyOps !== undefined) {
    if (!Array.isArray(keyOps) || !keyOps.some((op) => op === 'sign' || op === 'verify')) {
      throw new TypeError('JWK "key_ops" must include "sign" or "verify"')
    }
  }
  const alg = optionalString(jwk, 'alg')
  if (alg !== undefined && !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TypeError(`JWK "alg" is "${alg}": expected one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
  }
  const kid = optionalString(jwk, 'kid')
  // Only the members node needs, copied from an allow-list: anything else (x5u, jku, ...) is ignored.
  const material: Record<string, unknown> = { kty: jwk.kty }
  for (const member of PUBLIC_MEMBERS[jwk.kty]) material[member] = jwk[member]
  const hasPrivate = jwk.d !== undefined
  let privateKey: KeyObject | undefined
  let publicKey: KeyObject
  try {
    if (hasPrivate && options.publicOnly !== true) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
        if (jwk[member] !== undefined) material[member] = jwk[member]
      }
      privateKey = createPrivateKey({ key: material as JsonWebKey, format: 'jwk' })
      publicKey = createPublicKey(privateKey)
    } else {
      publicKey = createPublicKey({ key: material as JsonWebKey, format: 'jwk' })
    }
  } catch (error) {
    throw new TypeError(`JWK is not a valid ${jwk.kty} key: ${(error as Error).message}`, { cause: error })
  }
  return { publicKey, privateKey, alg: alg as AsymmetricAlgorithm | undefined, kid }
}
