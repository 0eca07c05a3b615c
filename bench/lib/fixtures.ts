/**
 * What every benchmarked implementation gets: one secret, one Flask-JWT-shaped payload
 * `{exp, iat, nbf, identity, jti}`, and tokens signed once with a plain node:crypto signer.
 */
import { Buffer } from 'node:buffer'
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

/** The algorithms benchmarked. */
export type Alg = 'HS256' | 'HS384' | 'HS512'

/** node:crypto hash name and digest length of each algorithm. */
export const HASHES: Record<Alg, { hash: string; bytes: number }> = {
  HS256: { hash: 'sha256', bytes: 32 },
  HS384: { hash: 'sha384', bytes: 48 },
  HS512: { hash: 'sha512', bytes: 64 },
}

/** A fixed 64-byte secret (long enough for HS512), so runs are reproducible. */
export const SECRET = 'jwtguard-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCD'

/** The secret as a KeyObject, for the libraries that take one. */
export const SECRET_KEY: KeyObject = createSecretKey(Buffer.from(SECRET, 'utf8'))

/** The identity every token carries; each verify case must return it. */
export const IDENTITY = 123

/** Flask-JWT's payload (`_default_jwt_payload_handler`) plus the `jti` jwtguard adds. */
export interface BenchPayload {
  exp: number
  iat: number
  nbf: number
  identity: number
  jti: string
  [claim: string]: unknown
}

/** A payload valid for an hour from now (every run is far shorter). */
export function makePayload(nowSeconds = Math.floor(Date.now() / 1000)): BenchPayload {
  return {
    exp: nowSeconds + 3600,
    iat: nowSeconds,
    nbf: nowSeconds,
    identity: IDENTITY,
    jti: '6f1c3e0a-9b7d-4c52-8e3f-2a1d5b6c7e80',
  }
}

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url')

/** The header segment `{"alg":…,"typ":"JWT"}`, the order jwtguard, fast-jwt and jose write. */
export function headerSegment(alg: Alg): string {
  return b64url(JSON.stringify({ alg, typ: 'JWT' }))
}

/** PyJWT 1.x's header, `{"typ":"JWT","alg":…}`: what a real Flask-JWT app issues. */
export function pyjwtHeaderSegment(alg: Alg): string {
  return b64url(JSON.stringify({ typ: 'JWT', alg }))
}

/** Signs `payload` under the given header segment with plain node:crypto. */
export function signWith(header: string, payload: object, alg: Alg): string {
  const input = `${header}.${b64url(JSON.stringify(payload))}`
  return `${input}.${createHmac(HASHES[alg].hash, SECRET_KEY).update(input).digest('base64url')}`
}

/** A token of `payload` with the common header. */
export function makeToken(alg: Alg, payload: object = makePayload()): string {
  return signWith(headerSegment(alg), payload, alg)
}

/** `token` with its last signature character changed, so its signature no longer matches. */
export function tamper(token: string): string {
  const last = token.at(-2) === 'A' ? 'B' : 'A'
  return `${token.slice(0, -2)}${last}${token.slice(-1)}`
}

/**
 * Name of the floor middleware in the HTTP benchmark: the node:crypto floor verifier in the
 * framework's plainest hook, with no identity, no error rendering, nothing else. What no JWT
 * middleware can beat without a cache of verified tokens, on that framework, on this machine.
 */
export const FLOOR = 'node:crypto floor'

/**
 * Name of the ceiling middleware in the HTTP benchmark: the framework's plainest hook that reads
 * the Authorization header, checks its scheme and verifies nothing. What the framework alone
 * charges for a middleware and the token's bytes: no JWT middleware, cached or not, can do better.
 */
export const CEILING = 'no-op (reads the header)'

/** Whether an HTTP variant's middleware is one of our configurations (`ours`, `ours (cache)`, …). */
export function isOurs(middleware: string): boolean {
  return middleware === 'ours' || middleware.startsWith('ours (')
}
