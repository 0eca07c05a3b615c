/**
 * JWKS publishing (RFC 7517 §5): the public part of every asymmetric key that currently verifies,
 * for `GET /.well-known/jwks.json`. HMAC keys are never published, and private members cannot be:
 * each JWK is rebuilt from an allow-list of public members.
 *
 * @module
 */
import { isAsymmetricKey } from './asymmetric.js'
import { type HttpResponse, jsonResponse } from './http.js'
import type { PublicJwk } from './jwk.js'
import type { JwtKey, KeySet, KeySource } from './keys.js'

/** A JSON Web Key Set. */
export interface JwksDocument {
  keys: PublicJwk[]
}

/** Options of {@link jwksResponse}. */
export interface JwksResponseOptions {
  /**
   * `max-age` of the `Cache-Control` header, in seconds. Keep it well below the time a retired key
   * keeps verifying, so that verifiers see a new key before the old one retires.
   * @default 300
   */
  maxAge?: number | undefined
}

function keysOf(source: KeySource | readonly JwtKey[]): readonly JwtKey[] {
  return typeof (source as KeySource).current === 'function'
    ? (source as KeySource).current().keys
    : (source as readonly JwtKey[])
}

/**
 * The JWKS of a keystore, key source or list of keys: one public JWK (with `kid`, `alg` and
 * `use: 'sig'`) per asymmetric key, in order, the active key first. HMAC keys and keys not made by
 * `createAsymmetricKey` are left out. A pure function of the keys.
 *
 * @example
 * ```ts
 * import { readKeyDirectory, toJwks } from 'jwtguard'
 * const { keys } = toJwks(readKeyDirectory('./keys')) // [{ kty: 'EC', kid: '2025-01', alg: 'ES256', use: 'sig', crv, x, y }]
 * ```
 */
export function toJwks(source: KeySource | readonly JwtKey[]): JwksDocument {
  const keys: PublicJwk[] = []
  const seen = new Set<string>()
  for (const key of keysOf(source)) {
    if (!isAsymmetricKey(key)) continue
    const jwk = key.toPublicJwk()
    const id = `${jwk.kid ?? ''}\u0000${jwk.alg ?? ''}`
    if (seen.has(id)) continue
    seen.add(id)
    keys.push(jwk)
  }
  return { keys }
}

const cachedBodies = new WeakMap<KeySet, string>()

/**
 * The `200` response for `GET /.well-known/jwks.json`, with `Cache-Control: public, max-age=300`.
 * Over a key source the body is serialised once per key set, not per request.
 *
 * Internal: not exported from the package.
 */
export function jwksResponse(
  source: KeySource | readonly JwtKey[],
  options: JwksResponseOptions = {},
): HttpResponse {
  const maxAge = options.maxAge ?? 300
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new RangeError('maxAge must be an integer >= 0 seconds')
  const headers = { 'cache-control': `public, max-age=${maxAge}` }
  if (typeof (source as KeySource).current !== 'function') return jsonResponse(200, toJwks(source), headers)
  const set = (source as KeySource).current()
  let body = cachedBodies.get(set)
  if (body === undefined) {
    body = JSON.stringify(toJwks(set.keys))
    cachedBodies.set(set, body)
  }
  const response = jsonResponse(200, null, headers)
  response.body = body
  return response
}
