/**
 * Helpers for the key tests: key pairs generated once per algorithm, tokens minted with node:crypto
 * directly (independent of the library's signer), and error-code capture.
 */
import { constants, createHmac, sign as cryptoSign, generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { AsymmetricAlgorithm } from 'jwtguard'
import { isJwtGuardError } from 'jwtguard'

export const NOW = 1_700_000_000

export const ALL_ASYMMETRIC: readonly AsymmetricAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]

const CURVE = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' } as const
const HASH_OF = (alg: string): string | null => (alg === 'EdDSA' ? null : `sha${alg.slice(2)}`)

export interface Pair {
  publicKey: KeyObject
  privateKey: KeyObject
}

const rsaPairs: Pair[] = []
/** An RSA 2048 pair; `index` picks one of a few cached pairs (RSA generation is slow). */
export function rsaPair(index = 0): Pair {
  while (rsaPairs.length <= index) rsaPairs.push(generateKeyPairSync('rsa', { modulusLength: 2048 }))
  return rsaPairs[index] as Pair
}

/** A fresh key pair fit for `alg` (RSA pairs are cached by `index`). */
export function pairFor(alg: AsymmetricAlgorithm, index = 0): Pair {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return rsaPair(index)
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519')
  return generateKeyPairSync('ec', { namedCurve: CURVE[alg as keyof typeof CURVE] })
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** The raw JWS signature of `input` with `privateKey` under `alg`, by node:crypto alone. */
export function rawSign(alg: AsymmetricAlgorithm, input: string, privateKey: KeyObject): Buffer {
  const data = Buffer.from(input)
  if (alg.startsWith('PS')) {
    const saltLength = Number(alg.slice(2)) / 8
    return cryptoSign(HASH_OF(alg), data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength,
    })
  }
  if (alg.startsWith('ES'))
    return cryptoSign(HASH_OF(alg), data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return cryptoSign(HASH_OF(alg), data, privateKey)
}

/** A compact JWS minted by node:crypto with any header. */
export function mintAsymmetric(
  payload: unknown,
  alg: AsymmetricAlgorithm,
  privateKey: KeyObject,
  header: Record<string, unknown> = { alg, typ: 'JWT' },
): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${rawSign(alg, input, privateKey).toString('base64url')}`
}

/** A compact HS* JWS minted by node:crypto with `secret` (string or bytes) as the HMAC key. */
export function mintHmac(
  payload: unknown,
  secret: string | Uint8Array,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  const hash = `sha${String(header.alg).slice(2)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

export function claims(now = NOW, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { exp: now + 300, iat: now, nbf: now, identity: 1, ...extra }
}

/** The `code` of the JwtGuardError `fn` throws, `'OK'` when it returns, or the error's name. */
export function codeOf(fn: () => unknown): string {
  try {
    fn()
    return 'OK'
  } catch (error) {
    return isJwtGuardError(error) ? error.code : (error as Error).name
  }
}

/** As {@link codeOf} for a promise. */
export async function asyncCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'OK'
  } catch (error) {
    return isJwtGuardError(error) ? error.code : (error as Error).name
  }
}
