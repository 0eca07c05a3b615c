/**
 * `GET /.well-known/jwks.json`: the public parts of an issuer's verification keys, for resource
 * servers. Mounted only when there is something to publish (not for HMAC secrets).
 *
 * @module
 */
import type { AuthRoute } from '../guard/types.js'
import type { HttpResponse } from '../http.js'
import { jwksResponse, toJwks } from '../jwks.js'
import type { JwtKey } from '../keys.js'
import type { KeyStore } from '../keystore.js'

/** The JWKS response of `keys`, or `undefined` when none of them is public. */
export function publishedKeys(keys: KeyStore | readonly JwtKey[]): HttpResponse | undefined {
  return toJwks(keys).keys.length === 0 ? undefined : jwksResponse(keys)
}

/** The JWKS route at `path`. */
export function jwksRoute(path: string, keys: KeyStore | readonly JwtKey[]): AuthRoute {
  return {
    name: 'jwks',
    method: 'GET',
    path,
    failures: [],
    handle: async () => jwksResponse(keys),
  }
}
