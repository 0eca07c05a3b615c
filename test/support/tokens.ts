/**
 * Tokens minted with node:crypto directly, independent of the library's signer, so tests of the
 * verifier do not trust the code they test.
 */
import { createHmac } from 'node:crypto'

const HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

export interface MintOptions {
  secret: string | Uint8Array
  alg?: keyof typeof HASH
  header?: Record<string, unknown>
}

/** Signs `payload` (an object, or a raw string) with HMAC, with the header given or `{alg, typ}`. */
export function mint(payload: unknown, options: MintOptions): string {
  const alg = options.alg ?? 'HS256'
  const header = options.header ?? { typ: 'JWT', alg }
  const signingInput = `${b64url(header)}.${b64url(payload)}`
  const signature = createHmac(HASH[alg], options.secret).update(signingInput).digest('base64url')
  return `${signingInput}.${signature}`
}

/** A Flask-JWT-shaped payload: `{exp, iat, nbf, identity}` around `now`. */
export function flaskPayload(now: number, identity: unknown = 123, lifetime = 300): Record<string, unknown> {
  return { exp: now + lifetime, iat: now, nbf: now, identity }
}

export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[index] ?? ''
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
}
