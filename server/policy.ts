/**
 * The reference server's production refusals that need more than a presence check: a secret of
 * low entropy, and cookies without `Secure`. Each throws a {@link ConfigError}-ready message that
 * says how to fix it.
 */

/** The least estimated entropy, in bits, of a production HMAC secret. */
export const MIN_SECRET_BITS = 128
/** The fewest distinct bytes of a production HMAC secret (a repeated character has 1). */
export const MIN_DISTINCT_BYTES = 8

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
 * An estimate of a secret's strength: its distinct bytes, and the Shannon entropy of its bytes
 * times the length of its repeating unit (`0123456789` four times counts as ten bytes).
 */
export function secretStrength(secret: string): { bits: number; distinct: number } {
  const bytes = Buffer.from(secret, 'utf8')
  if (bytes.length === 0) return { bits: 0, distinct: 0 }
  const { perByte, distinct } = shannon(bytes)
  return { bits: Math.floor(perByte * period(bytes)), distinct }
}

/**
 * Why a production secret is too weak, or `undefined` when it is not. The estimate catches
 * repeated characters, spaces and short alphabets; it cannot prove a secret random, so it is a
 * floor, not a blessing.
 */
export function weakSecretReason(secret: string): string | undefined {
  const { bits, distinct } = secretStrength(secret)
  if (distinct >= MIN_DISTINCT_BYTES && bits >= MIN_SECRET_BITS) return undefined
  return `JWT_SECRET_KEY has low entropy (${distinct} distinct byte${distinct === 1 ? '' : 's'}, about ${bits} bits; production needs ${MIN_DISTINCT_BYTES} and ${MIN_SECRET_BITS}): generate one with \`openssl rand -base64 48\` or \`jwtguard secret generate\``
}

/** The names of the session cookies: `__Host-` (and `__Secure-` for the refresh cookie, whose path is not `/`) in production. */
export function cookieNames(prefixed: boolean): {
  accessName: string
  refreshName: string
  csrfName: string
} {
  return prefixed
    ? {
        accessName: '__Host-access_token_cookie',
        refreshName: '__Secure-refresh_token_cookie',
        csrfName: '__Host-csrf_access_token',
      }
    : {
        accessName: 'access_token_cookie',
        refreshName: 'refresh_token_cookie',
        csrfName: 'csrf_access_token',
      }
}
