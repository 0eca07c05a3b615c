/**
 * The raw node:crypto floor: the least work any correct HS* verifier must do, with nothing
 * general around it. Algorithm pinned (the header must be exactly the expected one), HMAC
 * recomputed and compared with timingSafeEqual, payload decoded and parsed, `exp` required and
 * checked. No canonical-base64url check, no `nbf`/`iat`, no error classes: a library cannot
 * reasonably go below this, so `ours / floor` says how much our generality costs.
 */
import { Buffer } from 'node:buffer'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { type Alg, HASHES, headerSegment, SECRET_KEY } from '../lib/fixtures.js'

/** Verifies a token signed with `alg` and the bench secret; throws on any failure. */
export function createFloorVerifier(alg: Alg): (token: string) => Record<string, unknown> {
  const header = headerSegment(alg)
  const { hash, bytes } = HASHES[alg]
  return (token) => {
    const first = token.indexOf('.')
    const second = token.indexOf('.', first + 1)
    if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) throw new Error('malformed')
    if (first !== header.length || !token.startsWith(header)) throw new Error('algorithm not allowed')
    const signature = Buffer.from(token.slice(second + 1), 'base64url')
    const expected = createHmac(hash, SECRET_KEY).update(token.slice(0, second)).digest()
    if (signature.length !== bytes || !timingSafeEqual(signature, expected)) throw new Error('bad signature')
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'))
    if (typeof payload !== 'object' || payload === null) throw new Error('payload not an object')
    if (typeof payload.exp !== 'number' || payload.exp <= Date.now() / 1000) throw new Error('expired')
    return payload
  }
}

/** Signs a payload with `alg` and the bench secret under a precomputed header. */
export function createFloorSigner(alg: Alg): (payload: object) => string {
  const header = headerSegment(alg)
  const { hash } = HASHES[alg]
  return (payload) => {
    const input = `${header}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`
    return `${input}.${createHmac(hash, SECRET_KEY).update(input).digest('base64url')}`
  }
}
