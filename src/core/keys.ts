/**
 * Keys. A key carries its algorithm: a token is verified with the algorithm of the key that
 * verifies it, never with the one its header names (the header must merely agree).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import * as nodeCrypto from 'node:crypto'
import { createHmac, createSecretKey, hkdfSync, KeyObject, timingSafeEqual } from 'node:crypto'
import { describeKeyMaterial } from './internal/key-material.js'

/** HMAC algorithms (RFC 7518 §3.2). */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const

/** RSASSA-PKCS1-v1_5 algorithms (RFC 7518 §3.3). */
export const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const

/** RSASSA-PSS algorithms (RFC 7518 §3.5). */
export const PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'] as const

/** The algorithms an RSA key can serve, one per key: RSASSA-PKCS1-v1_5, then RSASSA-PSS. */
export const RSA_KEY_ALGORITHMS = [...RSA_ALGORITHMS, ...PSS_ALGORITHMS] as const

/**
 * Checks an `rsaAlgorithm` option: the algorithm given to an RSA key that names none.
 *
 * @throws {TypeError} for anything but one of {@link RSA_KEY_ALGORITHMS}.
 * @internal
 */
export function assertRsaKeyAlgorithm(value: unknown): asserts value is (typeof RSA_KEY_ALGORITHMS)[number] {
  if (!(RSA_KEY_ALGORITHMS as readonly unknown[]).includes(value)) {
    throw new TypeError(`rsaAlgorithm must be one of ${RSA_KEY_ALGORITHMS.join(', ')}`)
  }
}

/** ECDSA algorithms, each bound to one curve (RFC 7518 §3.4). */
export const ECDSA_ALGORITHMS = ['ES256', 'ES384', 'ES512'] as const

/** Edwards-curve signatures; only Ed25519 is accepted (RFC 8037). */
export const EDDSA_ALGORITHMS = ['EdDSA'] as const

/** Every asymmetric algorithm a key can have. */
export const ASYMMETRIC_ALGORITHMS = [
  ...RSA_KEY_ALGORITHMS,
  ...ECDSA_ALGORITHMS,
  ...EDDSA_ALGORITHMS,
] as const

/** An HMAC JWS algorithm. */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]

/** An asymmetric JWS algorithm. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]

/** Every algorithm a {@link JwtKey} can have. `none` is not one of them. */
export type Algorithm = HmacAlgorithm | AsymmetricAlgorithm

/** A key able to verify, and possibly sign, JWS signatures with exactly one algorithm. */
export interface JwtKey {
  /** The only algorithm this key signs and verifies with. */
  readonly alg: Algorithm
  /** Key id placed in the header of tokens it signs, if any. */
  readonly kid: string | undefined
  /**
   * Signs the ASCII signing input `header.payload`.
   * @throws {TypeError} for a verification-only (public) key.
   */
  sign(signingInput: string): Buffer
  /** Checks `signature` over `signingInput`; false for any malformed signature, never throws. */
  verify(signingInput: string, signature: Uint8Array): boolean
}

/**
 * A set of verification keys at one moment. Immutable: a source that changes returns a new set,
 * so a verifier can cache what it derives from a set for as long as it gets the same object back.
 */
export interface KeySet {
  /** Increases each time the source's keys change. */
  readonly version: number
  /** Keys that may verify. */
  readonly keys: readonly JwtKey[]
  /** The key for a token whose header has no `kid`, if any. */
  readonly defaultKey: JwtKey | undefined
}

/** Claims a key source requires every verifier to check (a remote JWKS pins its issuer). */
export interface PinnedClaims {
  readonly issuer: readonly string[] | undefined
  readonly audience: readonly string[] | undefined
}

/** Keys that may change at runtime: a {@link KeyStore}-like rotation store or a remote JWKS. */
export interface KeySource {
  /** The current key set: cheap and synchronous, called once per token. */
  current(): KeySet
  /** Claims every verifier over this source must check. */
  readonly pinnedClaims?: PinnedClaims | undefined
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

const HASH: Record<HmacAlgorithm, { name: string; bytes: number; block: number }> = {
  HS256: { name: 'sha256', bytes: 32, block: 64 },
  HS384: { name: 'sha384', bytes: 48, block: 128 },
  HS512: { name: 'sha512', bytes: 64, block: 128 },
}

// One-shot hashing (Node >= 20.12): no Hash/Hmac object per call. Looked up at run time so that
// older Node 20 releases, which lack it, still load this module and take createHmac instead.
const oneShotHash = (
  nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }
).hash

// Signing inputs up to this size take the one-shot path through a reused buffer; longer ones,
// never seen on the verify path (maxTokenSize), take createHmac so no large buffer is kept.
const SCRATCH_BYTES = 16 * 1024

/**
 * HMAC (RFC 2104) of an ASCII signing input. Where Node has one-shot hashing, it is computed as
 * H((K ^ opad) || H((K ^ ipad) || m)), both padded key blocks prepared once, into buffers reused
 * by every call (this runs synchronously, so calls cannot interleave): no Hmac object per call,
 * faster than createHmac on a JWT-sized input (bench/README.md, "Figures behind the code").
 * Otherwise, and for long inputs, createHmac.
 */
function hmacFunction(
  name: string,
  block: number,
  digestLength: number,
  secret: Buffer,
): (input: string) => Buffer {
  const keyObject = createSecretKey(secret)
  const withHmac = (input: string) => createHmac(name, keyObject).update(input, 'latin1').digest()
  const hash = oneShotHash
  if (hash === undefined) return withHmac
  const key = secret.length > block ? hash(name, secret, 'buffer') : secret
  const inner = Buffer.alloc(block + SCRATCH_BYTES)
  const outer = Buffer.alloc(block + digestLength)
  for (let index = 0; index < block; index++) {
    inner[index] = 0x36 ^ (key[index] ?? 0)
    outer[index] = 0x5c ^ (key[index] ?? 0)
  }
  return (input) => {
    if (input.length > SCRATCH_BYTES) return withHmac(input)
    const written = inner.write(input, block, 'latin1')
    hash(name, inner.subarray(0, block + written), 'buffer').copy(outer, block)
    return hash(name, outer, 'buffer')
  }
}

function secretBytes(secret: unknown): Buffer {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') {
      throw new TypeError(
        `an HMAC secret must be a secret key, not a ${secret.type} key: use createAsymmetricKey() for it instead`,
      )
    }
    return secret.export()
  }
  if (secret instanceof Uint8Array) return Buffer.from(secret)
  if (secret === undefined || secret === null) {
    throw new TypeError('secret is required: set it to a random value of at least 32 bytes')
  }
  if (typeof secret === 'object' && 'kty' in secret) {
    throw new TypeError(
      'secret is a JWK object: load it with createAsymmetricKey() instead of using it as an HMAC secret',
    )
  }
  throw new TypeError('secret must be a string, a Uint8Array or a secret KeyObject')
}

/** Refuses what must never serve as an HMAC secret, with a message that says what to do. */
function assertUsableSecret(bytes: Buffer, alg: HmacAlgorithm, allowShort: boolean): void {
  if (bytes.length === 0) {
    throw new TypeError('secret is empty: set a random secret of at least 32 bytes')
  }
  const material = describeKeyMaterial(bytes)
  if (material !== undefined) {
    throw new TypeError(
      `secret looks like ${material}: a public/private key, certificate or JWK must never be used as an ` +
        'HMAC secret; load it with createAsymmetricKey() instead',
    )
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
 * A key of its own for one use of a secret: HMAC-`alg` keyed by HKDF-SHA-256 of the secret with
 * `label` as its info (RFC 5869). Tokens signed with it do not verify under the secret itself,
 * nor under a key derived for another label. The secret's strength is checked as for
 * {@link createHmacKey}. (The guard derives its refresh-token key so.)
 *
 * @internal
 */
export function deriveHmacKey(secret: Secret, label: string, options: HmacKeyOptions = {}): JwtKey {
  const alg = options.alg ?? 'HS256'
  if (!HMAC_ALGORITHMS.includes(alg)) throw new TypeError(`alg must be one of ${HMAC_ALGORITHMS.join(', ')}`)
  const bytes = secretBytes(secret)
  assertUsableSecret(bytes, alg, options.allowShortSecret === true)
  const derived = Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), label, HASH[alg].bytes))
  return createHmacKey(derived, { alg, kid: options.kid })
}

/**
 * Creates an HMAC key. The secret is checked once, here: empty secrets, public or private keys and
 * certificates in any encoding (PEM with any label or prefix, DER, base64 or hex DER, SSH), JWKs and
 * non-secret KeyObjects are refused, and so are secrets shorter than the hash unless allowed.
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
  if (options.kid !== undefined && (typeof options.kid !== 'string' || options.kid === '')) {
    throw new TypeError('kid must be a non-empty string')
  }
  const bytes = secretBytes(secret)
  assertUsableSecret(bytes, alg, options.allowShortSecret === true)
  const { name, bytes: digestLength, block } = HASH[alg]
  const mac = hmacFunction(name, block, digestLength, bytes)
  return {
    alg,
    kid: options.kid,
    sign: mac,
    verify(signingInput, signature) {
      if (signature.length !== digestLength) return false
      return timingSafeEqual(mac(signingInput), signature)
    },
  }
}
