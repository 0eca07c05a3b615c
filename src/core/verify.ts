/**
 * Compact JWS verification, in the order that keeps unauthenticated input from deciding anything:
 * size, shape, canonical base64url, header, key by `kid`, algorithm pinned by the key, signature,
 * and only then the payload and its claims.
 *
 * Header parameters that point at keys (`jku`, `x5u`, `jwk`, `x5c`) are never followed: the key
 * always comes from the verifier's own keys.
 *
 * @module
 */

import type { Buffer } from 'node:buffer'
import {
  type ClaimRules,
  type JwtPayload,
  normaliseClaimOption,
  type TokenType,
  validateClaims,
} from './claims.js'
import { JwtGuardError } from './errors.js'
import { failure } from './failures.js'
import { decodeBase64url, decodeCanonicalBase64url, isCanonicalBase64url } from './internal/base64url.js'
import type { JwtKey, KeySet, KeySource } from './keys.js'
import { headerSegmentFor } from './sign.js'

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /**
   * Keys that may verify: a fixed list, or a source whose keys change at runtime (a keystore from
   * `createKeyStore`, a remote JWKS from `createRemoteJwks`). A token naming a `kid` is verified by
   * the key with that `kid` (unknown: `ERR_KEY_NOT_FOUND`); a token without one by the first key of
   * a list, the active key of a keystore. The key's algorithm is the only algorithm accepted.
   */
  keys: readonly JwtKey[] | KeySource
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
  /**
   * Accepted issuers: `iss` must equal one. A key source may pin its own (a remote JWKS does).
   * @default unchecked (but an `iss` that is not a string is always refused)
   */
  issuer?: string | readonly string[] | undefined
  /**
   * Accepted audiences: `aud` (a string or a list of strings) must contain one.
   * @default unchecked
   */
  audience?: string | readonly string[] | undefined
  /**
   * The expected subject: `sub` must equal it.
   * @default unchecked
   */
  subject?: string | undefined
  /**
   * A verified-token cache: a hit skips decoding and the signature, never the claims. Keyed by the
   * whole token string (compared in full), bounded (least recently used out), entries dropped when
   * their token expires and all of them when the key set changes (rotation). A token enters on its
   * second verification, so tokens seen once never churn it. Revocation and route requirements are
   * the guard's and run on every request, hit or miss. Payloads are frozen.
   * @default no cache
   */
  cache?: { maxEntries?: number | undefined } | undefined
  /**
   * The `typ` header values accepted (RFC 8725 §3.11: explicit typing), compared
   * case-insensitively and without an `application/` prefix; a header without `typ` counts as
   * `JWT`. Any other `typ` is `ERR_TOKEN_TYPE_INVALID`. The first is the one this library writes.
   * @default any `typ`
   */
  typ?: readonly string[] | undefined
}

/** A function that verifies a compact JWS and returns its payload, or throws a coded error. */
export type VerifyFunction = (token: string, tokenType?: TokenType) => JwtPayload

interface JoseHeader {
  alg?: unknown
  typ?: unknown
  kid?: unknown
  crit?: unknown
  b64?: unknown
  [name: string]: unknown
}

/** What a verifier derives from one key set: rebuilt only when the set changes. */
interface KeyIndex {
  set: KeySet
  byKid: Map<string, JwtKey>
  // Headers exactly as this library writes them need no JSON parsing: an exact string match
  // identifies the key. Any other header takes the full path.
  byOwnHeader: Map<string, JwtKey>
  // The default key's own header, compared in place (no slice, no hashing) on every token.
  defaultHeader: string | undefined
}

function malformed(message: string, cause?: unknown): JwtGuardError {
  return new JwtGuardError('ERR_TOKEN_MALFORMED', message, { cause })
}

/** Decodes a JSON object segment (the header, on the general path). */
function parseJsonObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (!isCanonicalBase64url(segment)) throw malformed(`Token ${part} is not canonical base64url`)
  return parseJsonBytes(decodeBase64url(segment), part)
}

/** Parses decoded segment bytes as a JSON object. */
function parseJsonBytes(bytes: Buffer, part: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw malformed(`Token ${part} is not valid JSON`, error)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`Token ${part} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

function isKeySource(keys: readonly JwtKey[] | KeySource): keys is KeySource {
  return typeof (keys as KeySource).current === 'function'
}

function indexKeys(set: KeySet, typ: string): KeyIndex {
  const byKid = new Map<string, JwtKey>()
  const byOwnHeader = new Map<string, JwtKey>()
  // First key wins on a duplicate kid, as it does for the default key.
  for (const key of set.keys) {
    if (key.kid !== undefined && !byKid.has(key.kid)) byKid.set(key.kid, key)
    const segment = headerSegmentFor(key, typ)
    if (!byOwnHeader.has(segment)) byOwnHeader.set(segment, key)
  }
  const { defaultKey } = set
  return { set, byKid, byOwnHeader, defaultHeader: defaultKey && headerSegmentFor(defaultKey, typ) }
}

/** A `typ` value as compared: lower case, without `application/` (RFC 7515 §4.1.9). */
function normaliseTyp(typ: unknown): string {
  const value = typeof typ === 'string' ? typ.toLowerCase() : ''
  return value.startsWith('application/') ? value.slice('application/'.length) : value
}

/** The verifier's options, validated, with defaults applied. */
function resolveVerifierOptions(options: VerifierOptions) {
  const leeway = options.leeway ?? 10
  const maxTokenSize = options.maxTokenSize ?? 8192
  const requiredClaims = [...(options.requiredClaims ?? ['exp', 'iat', 'nbf'])]
  const now = options.now ?? (() => Date.now() / 1000)
  if (!Number.isFinite(leeway) || leeway < 0) throw new RangeError('leeway must be >= 0 seconds')
  if (!Number.isInteger(maxTokenSize) || maxTokenSize < 64) {
    throw new RangeError('maxTokenSize must be an integer of at least 64 characters')
  }
  const pinned = isKeySource(options.keys) ? options.keys.pinnedClaims : undefined
  const issuer = normaliseClaimOption(options.issuer, 'issuer') ?? pinned?.issuer
  const audience = normaliseClaimOption(options.audience, 'audience') ?? pinned?.audience
  const subject = options.subject
  if (subject !== undefined && (typeof subject !== 'string' || subject === '')) {
    throw new TypeError('subject must be a non-empty string')
  }
  const maxEntries = options.cache === undefined ? 0 : (options.cache.maxEntries ?? 1000)
  if (!Number.isInteger(maxEntries) || maxEntries < 0)
    throw new RangeError('cache.maxEntries must be a whole number')
  const { typ } = options
  if (
    typ !== undefined &&
    (!Array.isArray(typ) || typ.length === 0 || typ.some((t) => typeof t !== 'string' || t === ''))
  ) {
    throw new TypeError('typ must be a non-empty list of type names, such as ["JWT"]')
  }
  return { leeway, maxTokenSize, requiredClaims, now, issuer, audience, subject, maxEntries }
}

/**
 * The verifier's keys, indexed once per key set: `refresh()` follows a key source (a new set
 * rebuilds the index and calls `onChange`), `keyForHeader` finds the key a header names.
 */
function createKeyIndex(keys: readonly JwtKey[] | KeySource, types: readonly string[] | undefined) {
  const source: KeySource | undefined = isKeySource(keys) ? keys : undefined
  // The fast path matches the header this library writes: with the first accepted type.
  const ownTyp = types?.[0] ?? 'JWT'
  const accepted = types === undefined ? undefined : new Set(types.map(normaliseTyp))
  let index: KeyIndex
  if (source === undefined) {
    const list = keys as readonly JwtKey[]
    if (!Array.isArray(list) || list[0] === undefined)
      throw new TypeError('keys must contain at least one key')
    index = indexKeys(Object.freeze({ version: 0, keys: [...list], defaultKey: list[0] }), ownTyp)
  } else {
    index = indexKeys(source.current(), ownTyp)
  }
  let changed: () => void = () => undefined
  return {
    onChange(listener: () => void) {
      changed = listener
    },
    /** Follows the key source; a new key set invalidates every cached verification. */
    refresh(): KeyIndex {
      if (source === undefined) return index
      const set = source.current()
      if (set !== index.set) {
        index = indexKeys(set, ownTyp)
        changed()
      }
      return index
    },
    keyForHeader(current: KeyIndex, headerSegment: string): JwtKey {
      const known = current.byOwnHeader.get(headerSegment)
      if (known !== undefined) return known
      const header: JoseHeader = parseJsonObject(headerSegment, 'header')
      if (header.crit !== undefined) {
        // No extension is understood, so any critical one must be refused (RFC 7515 §4.1.11).
        throw failure('critUnsupported')
      }
      if (header.b64 !== undefined && header.b64 !== true) throw failure('payloadEncoding')
      if (accepted !== undefined && !accepted.has(normaliseTyp(header.typ ?? 'JWT')))
        throw failure('typNotAccepted')
      // `jku`, `x5u`, `jwk` and `x5c` are deliberately ignored: keys come only from `keys`.
      let key: JwtKey | undefined
      if (header.kid !== undefined) {
        key = typeof header.kid === 'string' ? current.byKid.get(header.kid) : undefined
        if (key === undefined) throw failure('keyUnknown')
      } else {
        key = current.set.defaultKey
        if (key === undefined) throw failure('keyIdMissing')
      }
      if (header.alg !== key.alg) throw failure('algNotAllowed')
      return key
    },
  }
}

/**
 * Builds a verifier. Options are validated and keys indexed once, here, not per token; over a key
 * source, the index is rebuilt when (and only when) the source returns a new key set.
 *
 * @example
 * ```ts
 * import { createHmacKey, createVerifier } from 'jwtguard'
 * const verify = createVerifier({ keys: [createHmacKey(secret)] })
 * const payload = verify(token) // throws JwtGuardError with a stable code
 * ```
 */
export function createVerifier(options: VerifierOptions): VerifyFunction {
  const { leeway, maxTokenSize, requiredClaims, now, issuer, audience, subject, maxEntries } =
    resolveVerifierOptions(options)
  const keys = createKeyIndex(options.keys, options.typ)
  const cache = new Map<string, JwtPayload>()
  const admission = createAdmission(maxEntries)
  keys.onChange(() => {
    cache.clear()
    admission.clear()
  })
  const refreshIndex = keys.refresh
  const keyForHeader = keys.keyForHeader
  // One rules object per token type, reused: only `now` changes, set before each use.
  const rules: Record<TokenType, ClaimRules> = {
    access: { leeway, requiredClaims, tokenType: 'access', now: 0, issuer, audience, subject },
    refresh: { leeway, requiredClaims, tokenType: 'refresh', now: 0, issuer, audience, subject },
  }
  const rulesFor = (tokenType: TokenType): ClaimRules => {
    const current = rules[tokenType] ?? rules.access
    current.now = now()
    return current
  }

  function verifyUncached(token: string, tokenType: TokenType): JwtPayload {
    if (typeof token !== 'string') throw malformed('Token must be a string')
    if (token.length > maxTokenSize) {
      throw failure('tokenTooLarge')
    }
    const firstDot = token.indexOf('.')
    const secondDot = firstDot === -1 ? -1 : token.indexOf('.', firstDot + 1)
    if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) {
      throw failure('notThreeSegments')
    }
    const index = refreshIndex()
    const own = index.defaultHeader
    const key =
      own !== undefined && firstDot === own.length && token.startsWith(own)
        ? (index.set.defaultKey as JwtKey)
        : keyForHeader(index, token.slice(0, firstDot))
    const payloadBytes = decodeCanonicalBase64url(token.slice(firstDot + 1, secondDot))
    const signature = decodeCanonicalBase64url(token.slice(secondDot + 1))
    if (payloadBytes === undefined || signature === undefined) {
      throw failure('notCanonical')
    }
    if (!key.verify(token.slice(0, secondDot), signature)) {
      throw failure('signature')
    }
    const payload = parseJsonBytes(payloadBytes, 'payload') as JwtPayload
    validateClaims(payload, rulesFor(tokenType))
    return payload
  }

  if (maxEntries === 0) {
    return function verifyToken(token, tokenType = 'access') {
      return verifyUncached(token, tokenType)
    }
  }
  return function verifyTokenCached(token, tokenType = 'access') {
    refreshIndex()
    const cached = cache.get(token)
    if (cached === undefined) {
      const payload = deepFreeze(verifyUncached(token, tokenType))
      if (admission.seenBefore(token)) {
        cache.set(token, payload)
        if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string)
      }
      return payload
    }
    try {
      validateClaims(cached, rulesFor(tokenType))
    } catch (error) {
      if ((error as JwtGuardError).code === 'ERR_TOKEN_EXPIRED') cache.delete(token)
      throw error
    }
    // Most recently used last.
    cache.delete(token)
    cache.set(token, cached)
    return cached
  }
}

/**
 * The cache's doorkeeper (TinyLFU's idea): a token is cached on its second verification only. With
 * a new token on every request, caching each one would evict the useful entries and keep every
 * payload alive past a young-generation GC (the measurement behind this is in bench/README.md,
 * "Figures behind the code"). The doorkeeper is a fixed table of 32-bit fingerprints of the
 * token's last characters (the signature): no allocation per request. A collision only admits a
 * token one sighting early, or late; what the cache returns is still decided by the whole token
 * string.
 */
function createAdmission(maxEntries: number): { seenBefore(token: string): boolean; clear(): void } {
  // Twice the entries, a power of two, between 4 KiB and 4 MiB of fingerprints.
  let size = 1024
  while (size < maxEntries * 2 && size < 1 << 20) size *= 2
  const slots = new Int32Array(size)
  const mask = size - 1
  return {
    seenBefore(token) {
      let hash = 0x811c9dc5 | 0
      for (let index = Math.max(0, token.length - 24); index < token.length; index++) {
        hash = Math.imul(hash ^ token.charCodeAt(index), 0x01000193)
      }
      const fingerprint = hash === 0 ? 1 : hash
      const slot = (fingerprint >>> 0) & mask
      if (slots[slot] === fingerprint) return true
      slots[slot] = fingerprint
      return false
    },
    clear() {
      slots.fill(0)
    },
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
