/**
 * Asymmetric JWS keys: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA (Ed25519), on
 * node:crypto KeyObjects created once. The key decides the algorithm: an RSA key is given one RS or
 * PS algorithm, an EC key's curve fixes its ES algorithm, an Ed25519 key is EdDSA. A public-only
 * key verifies but cannot sign.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import {
  constants,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  type JsonWebKey,
  KeyObject,
  X509Certificate,
} from 'node:crypto'
import { jwkThumbprint, type PublicJwk, publicJwkOf, readJwk } from './jwk.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  assertRsaKeyAlgorithm,
  type JwtKey,
  RSA_KEY_ALGORITHMS,
} from './keys.js'

/** An asymmetric {@link JwtKey}, made by {@link createAsymmetricKey}. */
export interface AsymmetricKey extends JwtKey {
  readonly alg: AsymmetricAlgorithm
  /** The public key, for publishing (see {@link toJwks}). */
  readonly publicKey: KeyObject
  /** False for a verification-only key: its `sign` throws. */
  readonly canSign: boolean
  /** The public JWK of this key, with `kid`, `alg` and `use: 'sig'`. Never private members. */
  toPublicJwk(): PublicJwk
}

/** What {@link createAsymmetricKey} reads: a KeyObject, PEM text, PEM or DER bytes, or a JWK object. */
export type AsymmetricKeyMaterial = KeyObject | string | Uint8Array | Readonly<Record<string, unknown>>

/** Options of {@link createAsymmetricKey}. */
export interface AsymmetricKeyOptions {
  /**
   * The algorithm. Required for RSA keys (RS256 ... PS512), unless a JWK says it in `alg`; for EC
   * and Ed25519 keys it follows from the curve, and when given it must agree.
   */
  alg?: AsymmetricAlgorithm | undefined
  /**
   * The algorithm of an RSA key when neither `alg` nor the JWK gives one, for loading sets of keys
   * of several types (a key directory, a JWKS). Ignored for EC and Ed25519 keys.
   */
  rsaAlgorithm?: AsymmetricAlgorithm | undefined
  /**
   * Key id written into token headers and the JWKS. `null` writes none.
   * @default the key's RFC 7638 thumbprint, or the JWK's `kid`
   */
  kid?: string | null | undefined
  /**
   * Keep only the public part of a private key: the result verifies but cannot sign.
   * @default false
   */
  publicOnly?: boolean | undefined
}

interface Spec {
  kty: 'RSA' | 'EC' | 'OKP'
  /** Digest name for node:crypto, `null` for EdDSA. */
  hash: string | null
  hashBytes: number
  /** node's curve name for EC keys. */
  curve?: string
  /** Exact signature length, for fixed-length signatures (ECDSA r||s, Ed25519). */
  signatureBytes?: number
  pss?: true
}

const SPEC: Record<AsymmetricAlgorithm, Spec> = {
  RS256: { kty: 'RSA', hash: 'sha256', hashBytes: 32 },
  RS384: { kty: 'RSA', hash: 'sha384', hashBytes: 48 },
  RS512: { kty: 'RSA', hash: 'sha512', hashBytes: 64 },
  PS256: { kty: 'RSA', hash: 'sha256', hashBytes: 32, pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', hashBytes: 48, pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', hashBytes: 64, pss: true },
  ES256: { kty: 'EC', hash: 'sha256', hashBytes: 32, curve: 'prime256v1', signatureBytes: 64 },
  ES384: { kty: 'EC', hash: 'sha384', hashBytes: 48, curve: 'secp384r1', signatureBytes: 96 },
  ES512: { kty: 'EC', hash: 'sha512', hashBytes: 64, curve: 'secp521r1', signatureBytes: 132 },
  EdDSA: { kty: 'OKP', hash: null, hashBytes: 0, signatureBytes: 64 },
}

const ES_BY_CURVE: Record<string, AsymmetricAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/** The smallest RSA modulus accepted, in bits (RFC 7518 §3.3 and §3.5). */
export const MIN_RSA_MODULUS_BITS = 2048

const brand = new WeakSet<object>()

/**
 * True for keys made by {@link createAsymmetricKey} (and so safe to publish as a JWK).
 *
 * @example
 * ```ts
 * import { createHmacKey, generateAsymmetricKey, isAsymmetricKey } from 'jwtguard'
 * isAsymmetricKey(generateAsymmetricKey('ES256')) // true
 * isAsymmetricKey(createHmacKey('a secret of at least thirty-two bytes')) // false
 * ```
 */
export function isAsymmetricKey(key: unknown): key is AsymmetricKey {
  return typeof key === 'object' && key !== null && brand.has(key)
}

function isAsymmetricAlgorithm(value: unknown): value is AsymmetricAlgorithm {
  return (ASYMMETRIC_ALGORITHMS as readonly unknown[]).includes(value)
}

interface KeyPair {
  publicKey: KeyObject
  privateKey: KeyObject | undefined
  jwkAlg: AsymmetricAlgorithm | undefined
  jwkKid: string | undefined
}

const DER_PUBLIC = ['spki', 'pkcs1'] as const
const DER_PRIVATE = ['pkcs8', 'pkcs1', 'sec1'] as const

function fromDer(der: Buffer): KeyPair {
  for (const type of DER_PRIVATE) {
    try {
      const privateKey = createPrivateKey({ key: der, format: 'der', type })
      return { privateKey, publicKey: createPublicKey(privateKey), jwkAlg: undefined, jwkKid: undefined }
    } catch {
      // try the next encoding
    }
  }
  for (const type of DER_PUBLIC) {
    try {
      const publicKey = createPublicKey({ key: der, format: 'der', type })
      return { publicKey, privateKey: undefined, jwkAlg: undefined, jwkKid: undefined }
    } catch {
      // try the next encoding
    }
  }
  try {
    const publicKey = new X509Certificate(der).publicKey
    return { publicKey, privateKey: undefined, jwkAlg: undefined, jwkKid: undefined }
  } catch {
    throw new TypeError('key bytes are neither PEM nor a DER key (SPKI, PKCS#1, PKCS#8, SEC1) or certificate')
  }
}

function fromText(text: string): KeyPair {
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  if (trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (error) {
      throw new TypeError('key text starts with "{" but is not valid JSON (expected a JWK)', { cause: error })
    }
    return fromJwk(parsed)
  }
  if (!trimmed.includes('-----BEGIN ')) {
    throw new TypeError(
      'key text must be PEM (-----BEGIN ...-----) or a JWK; for an HMAC secret use createHmacKey()',
    )
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(trimmed)) {
    throw new TypeError(
      'encrypted private keys are not supported: decrypt it first (openssl pkey -in key.pem)',
    )
  }
  try {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) {
      const privateKey = createPrivateKey(trimmed)
      return { privateKey, publicKey: createPublicKey(privateKey), jwkAlg: undefined, jwkKid: undefined }
    }
    // Public keys (SPKI or PKCS#1) and certificates.
    return {
      publicKey: createPublicKey(trimmed),
      privateKey: undefined,
      jwkAlg: undefined,
      jwkKid: undefined,
    }
  } catch (error) {
    throw new TypeError(`PEM key could not be read: ${(error as Error).message}`, { cause: error })
  }
}

function fromJwk(jwk: unknown): KeyPair {
  const read = readJwk(jwk)
  return { publicKey: read.publicKey, privateKey: read.privateKey, jwkAlg: read.alg, jwkKid: read.kid }
}

function readMaterial(material: AsymmetricKeyMaterial): KeyPair {
  if (material instanceof KeyObject) {
    if (material.type === 'secret') {
      throw new TypeError('a secret KeyObject is a shared secret: use createHmacKey() for HS256/384/512')
    }
    if (material.type === 'private') {
      return {
        privateKey: material,
        publicKey: createPublicKey(material),
        jwkAlg: undefined,
        jwkKid: undefined,
      }
    }
    return { publicKey: material, privateKey: undefined, jwkAlg: undefined, jwkKid: undefined }
  }
  if (typeof material === 'string') return fromText(material)
  if (material instanceof Uint8Array) {
    const bytes = Buffer.from(material)
    const text = bytes.toString('utf8').replace(/^\uFEFF/, '')
    return /^\s*(-----BEGIN |\{)/.test(text) ? fromText(text) : fromDer(bytes)
  }
  if (typeof material === 'object' && material !== null) return fromJwk(material)
  throw new TypeError('key must be a KeyObject, PEM text, PEM or DER bytes, or a JWK object')
}

/** Decides the algorithm from the key, checking that any algorithm asked for agrees with it. */
function algorithmFor(publicKey: KeyObject, asked: AsymmetricAlgorithm | undefined): AsymmetricAlgorithm {
  const type = publicKey.asymmetricKeyType
  const details = publicKey.asymmetricKeyDetails ?? {}
  switch (type) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0
      if (bits < MIN_RSA_MODULUS_BITS) {
        throw new RangeError(`RSA key is ${bits} bits: at least ${MIN_RSA_MODULUS_BITS} are required`)
      }
      if (asked === undefined) {
        throw new TypeError(`an RSA key serves one algorithm: give alg (${RSA_KEY_ALGORITHMS.join(', ')})`)
      }
      if (SPEC[asked].kty !== 'RSA') throw new TypeError(`an RSA key cannot be used for ${asked}`)
      return asked
    }
    case 'rsa-pss':
      // id-RSASSA-PSS keys carry their own parameters and have no JWK form; a plain RSA key serves
      // PS256/384/512 with exactly the JWA parameters.
      throw new TypeError(
        'RSA-PSS-restricted keys (id-RSASSA-PSS) are not supported: use a plain RSA key with alg PS256, PS384 or PS512',
      )
    case 'ec': {
      const curve = details.namedCurve ?? ''
      const alg = ES_BY_CURVE[curve]
      if (alg === undefined)
        throw new TypeError(`EC curve ${curve} is not supported: use P-256, P-384 or P-521`)
      if (asked !== undefined && asked !== alg) {
        throw new TypeError(`an EC key on ${curve} serves ${alg} only, not ${asked}`)
      }
      return alg
    }
    case 'ed25519':
      if (asked !== undefined && asked !== 'EdDSA') {
        throw new TypeError(`an Ed25519 key serves EdDSA only, not ${asked}`)
      }
      return 'EdDSA'
    default:
      throw new TypeError(
        `${type ?? 'this'} keys are not supported for signatures: use RSA (>= 2048 bits), EC P-256/384/521 or Ed25519`,
      )
  }
}

// Constant options objects, built once per key: nothing is allocated per token but the input buffer.
type KeyOptions = ({ key: KeyObject; format?: undefined } | { key: JsonWebKey; format: 'jwk' }) & {
  padding?: number
  saltLength?: number
  dsaEncoding?: 'ieee-p1363'
}
type VerifyKey = KeyObject | KeyOptions

/**
 * True for the error of a runtime whose node:crypto takes no KeyObject inside an options object
 * (workerd: RSA-PSS and ECDSA need one), where the same key as a JWK works.
 */
function refusesKeyObject(key: VerifyKey, error: unknown): key is KeyOptions {
  return (
    !(key instanceof KeyObject) &&
    key.format === undefined &&
    (error as { code?: unknown } | null)?.code === 'ERR_INVALID_ARG_TYPE'
  )
}

/** The same options with the key as a JWK: made once per key, on the first refusal. */
function withJwk(options: KeyOptions): KeyOptions {
  return { ...options, key: (options.key as KeyObject).export({ format: 'jwk' }), format: 'jwk' }
}

function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  let acc = 0
  for (let i = start; i < end; i++) acc |= bytes[i] as number
  return acc === 0
}

/**
 * Creates an asymmetric key. Everything is decided and checked here, once: the algorithm (from the
 * key; a conflicting `alg` is refused), the RSA modulus (>= 2048 bits), the EC curve, and the key
 * type (DSA, X25519, Ed448 ... are refused: CVE-2022-23539).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { createAsymmetricKey } from 'jwtguard'
 * const key = createAsymmetricKey(readFileSync('private.pem'), { alg: 'RS256' })
 * const es = createAsymmetricKey({ kty: 'EC', crv: 'P-256', x: '...', y: '...' }) // ES256, verify only
 * ```
 *
 * @throws {TypeError | RangeError} with a message that says what to change.
 */
export function createAsymmetricKey(
  material: AsymmetricKeyMaterial,
  options: AsymmetricKeyOptions = {},
): AsymmetricKey {
  if (options.alg !== undefined && !isAsymmetricAlgorithm(options.alg)) {
    throw new TypeError(`alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
  }
  const pair = readMaterial(material)
  if (options.alg !== undefined && pair.jwkAlg !== undefined && options.alg !== pair.jwkAlg) {
    throw new TypeError(`alg ${options.alg} contradicts the JWK's alg ${pair.jwkAlg}`)
  }
  if (options.rsaAlgorithm !== undefined) assertRsaKeyAlgorithm(options.rsaAlgorithm)
  const rsaDefault = pair.publicKey.asymmetricKeyType === 'rsa' ? options.rsaAlgorithm : undefined
  const alg = algorithmFor(pair.publicKey, options.alg ?? pair.jwkAlg ?? rsaDefault)
  const { publicKey } = pair
  const privateKey = options.publicOnly === true ? undefined : pair.privateKey
  let kid: string | undefined
  if (options.kid === null) kid = undefined
  else if (options.kid !== undefined) {
    if (typeof options.kid !== 'string' || options.kid === '')
      throw new TypeError('kid must be a non-empty string')
    kid = options.kid
  } else kid = pair.jwkKid ?? jwkThumbprint(publicKey)

  const spec = SPEC[alg]
  const hash = spec.hash
  let verifyKey: VerifyKey = publicKey
  let signKey: VerifyKey | undefined = privateKey
  let expectedLength = spec.signatureBytes
  if (spec.kty === 'RSA') {
    expectedLength = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
    if (spec.pss === true) {
      const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.hashBytes }
      verifyKey = { key: publicKey, ...pss }
      if (privateKey !== undefined) signKey = { key: privateKey, ...pss }
    }
  } else if (spec.kty === 'EC') {
    verifyKey = { key: publicKey, dsaEncoding: 'ieee-p1363' }
    if (privateKey !== undefined) signKey = { key: privateKey, dsaEncoding: 'ieee-p1363' }
  }
  const length = expectedLength ?? 0
  const half = length / 2
  const ecdsa = spec.kty === 'EC'
  const canSign = signKey !== undefined

  const key: AsymmetricKey = {
    alg,
    kid,
    publicKey,
    canSign,
    sign(signingInput) {
      if (signKey === undefined) {
        throw new TypeError(`key ${kid ?? alg} is public (verification only): it cannot sign tokens`)
      }
      const input = Buffer.from(signingInput, 'latin1')
      try {
        return cryptoSign(hash, input, signKey)
      } catch (error) {
        if (!refusesKeyObject(signKey, error)) throw error
        signKey = withJwk(signKey)
        return cryptoSign(hash, input, signKey)
      }
    },
    verify(signingInput, signature) {
      // Fixed-length signatures: RSA is exactly the modulus size (RFC 8017 §8.2.2), ECDSA is
      // exactly r||s (RFC 7518 §3.4), Ed25519 is 64 bytes. DER-encoded ECDSA is refused here.
      if (signature.length !== length) return false
      // r = 0 or s = 0 never verifies ("psychic signatures", CVE-2022-21449): refuse it outright.
      if (ecdsa && (isZero(signature, 0, half) || isZero(signature, half, length))) return false
      const input = Buffer.from(signingInput, 'latin1')
      try {
        return cryptoVerify(hash, input, verifyKey, signature)
      } catch (error) {
        if (!refusesKeyObject(verifyKey, error)) return false
      }
      verifyKey = withJwk(verifyKey as KeyOptions)
      try {
        return cryptoVerify(hash, input, verifyKey, signature)
      } catch {
        return false
      }
    },
    toPublicJwk() {
      return publicJwkOf(publicKey, alg, kid)
    },
  }
  brand.add(key)
  return Object.freeze(key)
}

/** Options of {@link generateAsymmetricKey}. */
export interface GenerateKeyOptions {
  /** Key id. @default the RFC 7638 thumbprint */
  kid?: string | undefined
  /**
   * RSA modulus length in bits.
   * @default 2048
   */
  modulusLength?: number | undefined
}

/**
 * Generates a fresh signing key for `alg`: RSA 2048 for RS and PS, the algorithm's curve for ES,
 * Ed25519 for EdDSA.
 *
 * @example
 * ```ts
 * import { generateAsymmetricKey } from 'jwtguard'
 * const key = generateAsymmetricKey('ES256', { kid: '2025-01' })
 * ```
 */
export function generateAsymmetricKey(
  alg: AsymmetricAlgorithm,
  options: GenerateKeyOptions = {},
): AsymmetricKey {
  if (!isAsymmetricAlgorithm(alg))
    throw new TypeError(`alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
  const spec = SPEC[alg]
  let privateKey: KeyObject
  if (spec.kty === 'RSA') {
    privateKey = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 }).privateKey
  } else if (spec.kty === 'EC') {
    privateKey = generateKeyPairSync('ec', { namedCurve: spec.curve as string }).privateKey
  } else {
    privateKey = generateKeyPairSync('ed25519').privateKey
  }
  return createAsymmetricKey(privateKey, { alg, kid: options.kid })
}
