/**
 * An estimate of an HMAC secret's strength, for start-up policies that refuse typing accidents and
 * placeholders (`x` 32 times, spaces, a repeated word). It is a floor, not a proof of randomness.
 *
 * @module
 */

/** What {@link secretStrength} estimates. */
export interface SecretStrength {
  /** Estimated entropy in bits: the Shannon entropy of the bytes times the length of their repeating unit. */
  bits: number
  /** How many distinct byte values the secret holds. */
  distinct: number
}

/** The Shannon entropy of `bytes`, in bits per byte, and how many distinct bytes they hold. */
function shannon(bytes: Uint8Array): { perByte: number; distinct: number } {
  const counts = new Map<number, number>()
  for (const byte of bytes) counts.set(byte, (counts.get(byte) ?? 0) + 1)
  let perByte = 0
  for (const count of counts.values()) {
    const p = count / bytes.length
    perByte -= p * Math.log2(p)
  }
  return { perByte, distinct: counts.size }
}

/** The shortest `p` such that every byte equals the one `p` before it (`abcabcab` has 3). */
function period(bytes: Uint8Array): number {
  const border = new Array<number>(bytes.length).fill(0)
  for (let index = 1, length = 0; index < bytes.length; index += 1) {
    while (length > 0 && bytes[index] !== bytes[length]) length = border[length - 1] ?? 0
    if (bytes[index] === bytes[length]) length += 1
    border[index] = length
  }
  return bytes.length - (border[bytes.length - 1] ?? 0)
}

/**
 * Estimates a secret's strength from its UTF-8 bytes: `0123456789` four times counts as ten bytes.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto'
 * import { secretStrength } from 'jwtguard'
 * secretStrength('x'.repeat(32)) // { bits: 0, distinct: 1 }
 * secretStrength(randomBytes(48).toString('base64')).bits // about 300
 * ```
 */
export function secretStrength(secret: string): SecretStrength {
  const bytes = new TextEncoder().encode(secret)
  if (bytes.length === 0) return { bits: 0, distinct: 0 }
  const { perByte, distinct } = shannon(bytes)
  return { bits: Math.floor(perByte * period(bytes)), distinct }
}
