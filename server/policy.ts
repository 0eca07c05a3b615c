/**
 * The reference server's production policy beyond presence checks: the refusal of a low-entropy
 * secret (a message that says how to generate one) and the production cookie names.
 */
import { secretStrength } from 'jwtguard'

/** The least estimated entropy, in bits, of a production HMAC secret. */
export const MIN_SECRET_BITS = 128
/** The fewest distinct bytes of a production HMAC secret (a repeated character has 1). */
export const MIN_DISTINCT_BYTES = 8

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
