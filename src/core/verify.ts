/**
 * Compact JWS verification, in the order that keeps unauthenticated input from deciding anything:
 * size, shape, canonical base64url, header, algorithm pinned by the key, signature, and only then
 * the payload and its claims.
 *
 * @module
 */
import { type ClaimRules, type JwtPayload, type TokenType, validateClaims } from './claims.js'
import { JwtGuardError } from './errors.js'
import { decodeBase64url, isCanonicalBase64url } from './internal/base64url.js'
import type { JwtKey } from './keys.js'
import { headerSegmentFor } from './sign.js'

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /**
   * Keys that may verify. A token naming a `kid` is verified by the key with that `kid`; a token
   * without one by the first key. The key's algorithm is the only algorithm accepted.
   */
  keys: readonly JwtKey[]
  /**
   * Seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
   * @default 10
   */
  leeway?: number | undefined
  /**
   * Claims that must be present.
   * @default ['exp', 'iat', 'nbf']
   */
  requiredClaims?: readonly string[] | undefined
  /**
   * Largest token accepted, in characters, checked before any decoding.
   * @default 8192
   */
  maxTokenSize?: number | undefined
  /**
   * The clock, in seconds since the epoch.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
}

/** A function that verifies a compact JWS and returns its payload, or throws a coded error. */
export type VerifyFunction = (token: string, tokenType?: TokenType) => JwtPayload

interface JoseHeader {
  alg?: unknown
  kid?: unknown
  crit?: unknown
  b64?: unknown
  [name: string]: unknown
}

function malformed(message: string, cause?: unknown): JwtGuardError {
  return new JwtGuardError('ERR_TOKEN_MALFORMED', message, { cause })
}

function parseJsonObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (!isCanonicalBase64url(segment)) throw malformed(`Token ${part} is not canonical base64url`)
  let value: unknown
  try {
    value = JSON.parse(decodeBase64url(segment).toString('utf8'))
  } catch (error) {
    throw malformed(`Token ${part} is not valid JSON`, error)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`Token ${part} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Builds a verifier. Options are validated and keys indexed once, here, not per token.
 *
 * @example
 * ```ts
 * import { createHmacKey, createVerifier } from 'jwtguard'
 * const verify = createVerifier({ keys: [createHmacKey(secret)] })
 * const payload = verify(token) // throws JwtGuardError with a stable code
 * ```
 */
export function createVerifier(options: VerifierOptions): VerifyFunction {
  const { keys } = options
  const defaultKey = keys[0]
  if (defaultKey === undefined) throw new TypeError('keys must contain at least one key')
  const leeway = options.leeway ?? 10
  const maxTokenSize = options.maxTokenSize ?? 8192
  const requiredClaims = [...(options.requiredClaims ?? ['exp', 'iat', 'nbf'])]
  const now = options.now ?? (() => Date.now() / 1000)
  if (!Number.isFinite(leeway) || leeway < 0) throw new RangeError('leeway must be >= 0 seconds')
  if (!Number.isInteger(maxTokenSize) || maxTokenSize < 64) {
    throw new RangeError('maxTokenSize must be an integer of at least 64 characters')
  }

  const keysByKid = new Map<string, JwtKey>()
  // Headers exactly as this library writes them need no JSON parsing: an exact string match
  // identifies the key. Any other header takes the full path below.
  const keysByOwnHeader = new Map<string, JwtKey>()
  for (const key of keys) {
    if (key.kid !== undefined) keysByKid.set(key.kid, key)
    keysByOwnHeader.set(headerSegmentFor(key), key)
  }

  function keyForHeader(headerSegment: string): JwtKey {
    const known = keysByOwnHeader.get(headerSegment)
    if (known !== undefined) return known
    const header: JoseHeader = parseJsonObject(headerSegment, 'header')
    if (header.crit !== undefined) {
      // No extension is understood, so any critical one must be refused (RFC 7515 §4.1.11).
      throw new JwtGuardError('ERR_CRIT_UNSUPPORTED', 'Token has unsupported critical header parameters')
    }
    if (header.b64 !== undefined && header.b64 !== true) {
      throw new JwtGuardError('ERR_CRIT_UNSUPPORTED', 'Token uses an unsupported payload encoding')
    }
    let key = defaultKey as JwtKey
    if (header.kid !== undefined) {
      const byKid = typeof header.kid === 'string' ? keysByKid.get(header.kid) : undefined
      if (byKid === undefined) throw new JwtGuardError('ERR_KEY_NOT_FOUND', 'Token key id is unknown')
      key = byKid
    }
    if (header.alg !== key.alg) {
      throw new JwtGuardError('ERR_ALG_NOT_ALLOWED', 'Token algorithm is not allowed')
    }
    return key
  }

  return function verifyToken(token, tokenType = 'access') {
    if (typeof token !== 'string') throw malformed('Token must be a string')
    if (token.length > maxTokenSize) {
      throw new JwtGuardError('ERR_TOKEN_TOO_LARGE', 'Token is too large')
    }
    const firstDot = token.indexOf('.')
    const secondDot = firstDot === -1 ? -1 : token.indexOf('.', firstDot + 1)
    if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) {
      throw malformed('Token must have three segments')
    }
    const key = keyForHeader(token.slice(0, firstDot))
    const payloadSegment = token.slice(firstDot + 1, secondDot)
    const signatureSegment = token.slice(secondDot + 1)
    if (!isCanonicalBase64url(payloadSegment) || !isCanonicalBase64url(signatureSegment)) {
      throw malformed('Token is not canonical base64url')
    }
    if (!key.verify(token.slice(0, secondDot), decodeBase64url(signatureSegment))) {
      throw new JwtGuardError('ERR_SIGNATURE_INVALID', 'Signature verification failed')
    }
    const payload = parseJsonObject(payloadSegment, 'payload') as JwtPayload
    const rules: ClaimRules = { leeway, requiredClaims, tokenType, now: now() }
    validateClaims(payload, rules)
    return payload
  }
}
