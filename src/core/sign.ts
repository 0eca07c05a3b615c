/**
 * Compact JWS signing. The header segment is computed once per key; only the payload is
 * serialised per token.
 *
 * @module
 */
import type { JwtPayload } from './claims.js'
import { encodeBase64url } from './internal/base64url.js'
import type { JwtKey } from './keys.js'

/** Header segments per key, per `typ` (a key signs few types: `JWT`, `at+jwt`, `refresh+jwt`). */
const headerSegments = new WeakMap<JwtKey, Map<string, string>>()

/**
 * The base64url header this library writes for `key`: `{"alg","typ"}` plus `kid`.
 *
 * Internal: not exported from the package.
 */
export function headerSegmentFor(key: JwtKey, typ = 'JWT'): string {
  let byType = headerSegments.get(key)
  if (byType === undefined) {
    byType = new Map()
    headerSegments.set(key, byType)
  }
  let segment = byType.get(typ)
  if (segment === undefined) {
    const header: Record<string, string> = { alg: key.alg, typ }
    if (key.kid !== undefined) header.kid = key.kid
    segment = encodeBase64url(JSON.stringify(header))
    byType.set(typ, segment)
  }
  return segment
}

/** Anything with a current signing key, such as a keystore from `createKeyStore`. */
export interface SigningKeyHolder {
  readonly activeKey: JwtKey
}

/**
 * Signs `payload` as a compact JWS with `key`, or with the active key of a keystore (whose `kid`
 * goes into the header). The payload is written as given: building claims (`exp`, `iat`, ...) is
 * the caller's job, see `JwtGuard.createAccessToken`.
 *
 * @example
 * ```ts
 * import { createHmacKey, signToken } from 'jwtguard'
 * const now = Math.floor(Date.now() / 1000)
 * const token = signToken({ identity: 123, iat: now, nbf: now, exp: now + 300 }, createHmacKey(secret))
 * ```
 *
 * @param typ The `typ` header (RFC 7515 §4.1.9; RFC 8725 §3.11 explicit typing).
 * @throws {TypeError} when the key is public (verification only).
 */
export function signToken(payload: JwtPayload, key: JwtKey | SigningKeyHolder, typ = 'JWT'): string {
  const signingKey =
    typeof (key as JwtKey).sign === 'function' ? (key as JwtKey) : (key as SigningKeyHolder).activeKey
  const signingInput = `${headerSegmentFor(signingKey, typ)}.${encodeBase64url(JSON.stringify(payload))}`
  return `${signingInput}.${signingKey.sign(signingInput).toString('base64url')}`
}
