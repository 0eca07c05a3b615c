/**
 * Resource-server mode: verify tokens against a remote JWKS without being able to issue any.
 *
 * The key set is cached. A token with a known `kid` is verified synchronously, with no I/O. A token
 * with an unknown `kid` triggers at most one refresh, shared by every request waiting for it, and
 * never more than one per cooldown. A key set older than `maxAgeMs` keeps serving while one
 * background refresh runs (stale-while-revalidate). Issuer and audience are pinned: every verifier
 * over a remote JWKS checks them.
 *
 * Without a `url`, the JWKS URL is discovered from the issuer's metadata (see `discovery.ts`), on
 * the first fetch; nothing is fetched at construction.
 *
 * Keys are taken from the set with the same rules as local keys: the key decides the algorithm
 * (an RSA JWK without `alg` gets `rsaAlgorithm`, never the token header's: hono CVE-2026-22818),
 * symmetric (`oct`) JWKs, encryption keys and algorithms outside `algorithms` are skipped.
 *
 * @module
 */
import { type AsymmetricKey, createAsymmetricKey } from './asymmetric.js'
import type { JwtPayload, TokenType } from './claims.js'
import { normaliseClaimOption } from './claims.js'
import { discoverJwksUrl } from './discovery.js'
import { isJwtGuardError } from './errors.js'
import { boundedGet, checkFetchUrl, type FetchFunction } from './internal/bounded-fetch.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  assertRsaKeyAlgorithm,
  type KeySet,
  type KeySource,
  type PinnedClaims,
} from './keys.js'
import { createVerifier, type VerifierOptions } from './verify.js'

/** The subset of `fetch` the remote JWKS uses; inject one to add headers, a proxy or a mock. */
export type { FetchFunction } from './internal/bounded-fetch.js'

/** Options of {@link createRemoteJwks}. */
export interface RemoteJwksOptions {
  /**
   * The JWKS URL. `https:`, or `http:` on a loopback host (or with `allowInsecureHttp`).
   * @default discovered from `issuer` (then a single issuer URL): its
   * `/.well-known/openid-configuration`, else `/.well-known/oauth-authorization-server`, whose
   * `issuer` must equal it exactly; the `jwks_uri` found is kept
   */
  url?: string | URL | undefined
  /**
   * Accepted issuers (`iss`): pinned on every verifier over this key set. Required. Without
   * `url`, one issuer URL (`https:`, or `http:` on loopback), the one whose metadata names the JWKS.
   */
  issuer: string | readonly string[]
  /** Accepted audiences (`aud`): pinned on every verifier over this key set. Required. */
  audience: string | readonly string[]
  /**
   * Time allowed for one fetch (the JWKS, or the issuer's metadata), headers and body, in milliseconds.
   * @default 5000
   */
  timeoutMs?: number | undefined
  /**
   * Minimum time between two fetches, in milliseconds: an unknown `kid` within the cooldown fails
   * without fetching, so random `kid`s cannot flood the JWKS endpoint.
   * @default 30000
   */
  cooldownMs?: number | undefined
  /**
   * Age after which the key set is refreshed in the background (still serving meanwhile).
   * @default 600000 (10 minutes)
   */
  maxAgeMs?: number | undefined
  /**
   * How long past `maxAgeMs` a key set keeps serving while every refresh fails; after that it is
   * dropped and every token fails until a fetch succeeds.
   * @default 86400000 (1 day)
   */
  maxStaleMs?: number | undefined
  /**
   * Largest JWKS body accepted, in bytes.
   * @default 262144
   */
  maxBytes?: number | undefined
  /**
   * Algorithms accepted from the key set; keys with any other are skipped.
   * @default every asymmetric algorithm
   */
  algorithms?: readonly AsymmetricAlgorithm[] | undefined
  /**
   * The algorithm of RSA JWKs that do not state `alg` (EC and OKP keys follow from their curve).
   * @default 'RS256'
   */
  rsaAlgorithm?: AsymmetricAlgorithm | undefined
  /**
   * Allow `http:` to hosts other than loopback. Only for private networks you trust.
   * @default false
   */
  allowInsecureHttp?: boolean | undefined
  /** @default globalThis.fetch */
  fetch?: FetchFunction | undefined
  /**
   * The clock, in milliseconds since the epoch.
   * @default Date.now
   */
  now?: (() => number) | undefined
  /** Called with each failed fetch (the previous key set keeps serving). */
  onError?: ((error: Error) => void) | undefined
}

/** What {@link RemoteJwks.status} reports. */
export interface RemoteJwksStatus {
  /** When the current key set was fetched, in ms since the epoch; `undefined` before the first. */
  fetchedAt: number | undefined
  /** Keys in use. */
  keys: number
  /** JWKs of the last document that were skipped (unsupported, `oct`, `use: enc` ...). */
  skipped: number
  /** Completed fetches, successful or not. */
  fetches: number
  /** True while a fetch is in flight. */
  refreshing: boolean
  /** The last fetch failure, cleared by a success. */
  lastError: Error | undefined
}

/** A cached remote key set, made by {@link createRemoteJwks}. */
export interface RemoteJwks extends KeySource {
  /** The cached key set; starts a background refresh when it is older than `maxAgeMs`. */
  current(): KeySet
  readonly pinnedClaims: PinnedClaims
  /**
   * Fetches the key set now unless a fetch is in flight (then waits for that one) or the last one
   * started less than `cooldownMs` ago (then does nothing).
   * @returns whether a fetch completed successfully while waiting.
   */
  refresh(): Promise<boolean>
  /** Loads the key set if it was never loaded; rejects with the fetch error. For start-up. */
  ready(): Promise<void>
  /** The cache's state, for health checks and logs. */
  status(): RemoteJwksStatus
}

const EMPTY: KeySet = Object.freeze({ version: 0, keys: Object.freeze([]), defaultKey: undefined })
const PUBLIC_JWK_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops', 'n', 'e', 'crv', 'x', 'y'] as const

function positive(value: number | undefined, option: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) {
    throw new RangeError(`${option} must be a number of milliseconds >= ${minimum}`)
  }
  return value
}

/** The options of a remote key set, validated, with defaults applied. */
interface RemoteSettings {
  /** The JWKS URL; `undefined` until discovered from the issuer. */
  url: string | undefined
  allowInsecureHttp: boolean
  issuer: readonly string[]
  audience: readonly string[]
  timeoutMs: number
  cooldownMs: number
  maxAgeMs: number
  maxStaleMs: number
  maxBytes: number
  algorithms: readonly string[]
  rsaAlgorithm: AsymmetricAlgorithm
  fetch: FetchFunction
  now: () => number
}

/** The `url` option, checked; without one, the issuer must be one URL its metadata can be found at. */
function jwksUrlOption(
  url: string | URL | undefined,
  issuer: readonly string[],
  allowInsecureHttp: boolean,
): string | undefined {
  const example = 'https://issuer.example/.well-known/jwks.json'
  if (url !== undefined) return checkFetchUrl(url, allowInsecureHttp, 'url', example)
  if (issuer.length !== 1) {
    throw new TypeError('url is required with several issuers: discovery finds the JWKS of one issuer URL')
  }
  checkFetchUrl(
    issuer[0] as string,
    allowInsecureHttp,
    'issuer (without url, the JWKS is discovered from it)',
    'https://issuer.example',
  )
  return undefined
}

function resolveRemoteOptions(options: RemoteJwksOptions): RemoteSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  const allowInsecureHttp = options.allowInsecureHttp === true
  const issuer = normaliseClaimOption(options.issuer, 'issuer')
  const audience = normaliseClaimOption(options.audience, 'audience')
  if (issuer === undefined) throw new TypeError('issuer is required: the iss value of tokens this JWKS signs')
  const url = jwksUrlOption(options.url, issuer, allowInsecureHttp)
  if (audience === undefined) throw new TypeError('audience is required: the aud value naming this service')
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError(`algorithms must be a non-empty list of ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
  }
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new TypeError(
        `algorithms: ${String(alg)} is not an asymmetric algorithm (HMAC keys are never fetched)`,
      )
    }
  }
  const rsaAlgorithm = options.rsaAlgorithm ?? 'RS256'
  assertRsaKeyAlgorithm(rsaAlgorithm)
  return {
    url,
    allowInsecureHttp,
    issuer,
    audience,
    timeoutMs: positive(options.timeoutMs, 'timeoutMs', 5000, 1),
    cooldownMs: positive(options.cooldownMs, 'cooldownMs', 30_000, 0),
    maxAgeMs: positive(options.maxAgeMs, 'maxAgeMs', 600_000, 0),
    maxStaleMs: positive(options.maxStaleMs, 'maxStaleMs', 86_400_000, 0),
    maxBytes: positive(options.maxBytes, 'maxBytes', 262_144, 64),
    algorithms,
    rsaAlgorithm,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: options.now ?? Date.now,
  }
}

/** A public key of the set, or `undefined` for a member that is not one this verifier may use. */
function importKey(value: unknown, settings: RemoteSettings): AsymmetricKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const jwk = value as Record<string, unknown>
  // Never an HMAC key from a key set, never the token's idea of the algorithm.
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return undefined
  const material: Record<string, unknown> = {}
  for (const member of PUBLIC_JWK_MEMBERS) if (jwk[member] !== undefined) material[member] = jwk[member]
  const key = createAsymmetricKey(material, {
    rsaAlgorithm: settings.rsaAlgorithm,
    kid: typeof jwk.kid === 'string' ? jwk.kid : null,
    publicOnly: true,
  })
  return settings.algorithms.includes(key.alg) ? key : undefined
}

/** The JWKS document's text: one GET, no redirect, bounded in time and size. */
async function downloadDocument(url: string, settings: RemoteSettings): Promise<string> {
  const { status, text } = await boundedGet(
    url,
    settings,
    'application/jwk-set+json, application/json',
    'JWKS',
  )
  if (text === undefined) throw new Error(`JWKS answered HTTP ${status}`)
  return text
}

/** The usable keys of a JWKS document (first key wins on a duplicate kid) and how many were skipped. */
function parseKeySet(text: string, settings: RemoteSettings): { keys: AsymmetricKey[]; skipped: number } {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new Error('JWKS is not valid JSON', { cause: error })
  }
  const list = (document as { keys?: unknown } | null)?.keys
  if (typeof document !== 'object' || document === null || !Array.isArray(list)) {
    throw new Error('JWKS must be a JSON object with a "keys" array')
  }
  const keys: AsymmetricKey[] = []
  const kids = new Set<string>()
  let skipped = 0
  for (const jwk of list) {
    let key: AsymmetricKey | undefined
    try {
      key = importKey(jwk, settings)
    } catch {
      key = undefined
    }
    if (key === undefined || (key.kid !== undefined && kids.has(key.kid))) {
      skipped += 1
      continue
    }
    if (key.kid !== undefined) kids.add(key.kid)
    keys.push(key)
  }
  return { keys, skipped }
}

/**
 * Creates a cached remote key set. Nothing is fetched until {@link RemoteJwks.ready} or the first
 * token; call `ready()` at start-up to fail fast on a wrong URL.
 *
 * @example
 * ```ts
 * import { createRemoteJwks, createRemoteVerifier } from 'jwtguard'
 * const jwks = createRemoteJwks({
 *   url: 'https://auth.example.com/.well-known/jwks.json',
 *   issuer: 'https://auth.example.com',
 *   audience: 'orders-api',
 * })
 * await jwks.ready()
 * const verify = createRemoteVerifier({ jwks })
 * const payload = await verify(token)
 * ```
 */
export function createRemoteJwks(options: RemoteJwksOptions): RemoteJwks {
  const settings = resolveRemoteOptions(options)
  const { now, cooldownMs, maxAgeMs, maxStaleMs } = settings
  const onError = options.onError

  let set: KeySet = EMPTY
  let fetchedAt: number | undefined
  let lastAttemptAt = Number.NEGATIVE_INFINITY
  let inflight: Promise<boolean> | undefined
  let lastError: Error | undefined
  let skipped = 0
  let fetches = 0

  async function download(): Promise<void> {
    // Discovered once; a failed discovery is tried again at the next fetch.
    settings.url ??= await discoverJwksUrl(settings.issuer[0] as string, settings)
    const parsed = parseKeySet(await downloadDocument(settings.url, settings), settings)
    skipped = parsed.skipped
    set = Object.freeze({
      version: set.version + 1,
      keys: Object.freeze(parsed.keys),
      // A token without kid is only accepted when the set leaves no choice.
      defaultKey: parsed.keys.length === 1 ? parsed.keys[0] : undefined,
    })
    fetchedAt = now()
    lastError = undefined
  }

  function fetchNow(): Promise<boolean> {
    if (inflight !== undefined) return inflight
    lastAttemptAt = now()
    inflight = download().then(
      () => true,
      (error: unknown) => {
        lastError = error instanceof Error ? error : new Error(String(error))
        onError?.(lastError)
        return false
      },
    )
    inflight.finally(() => {
      fetches += 1
      inflight = undefined
    })
    return inflight
  }

  return {
    pinnedClaims: Object.freeze({ issuer: settings.issuer, audience: settings.audience }),
    current() {
      if (fetchedAt !== undefined) {
        const age = now() - fetchedAt
        if (age > maxAgeMs) {
          if (age > maxAgeMs + maxStaleMs && set.keys.length > 0) {
            set = Object.freeze({ version: set.version + 1, keys: Object.freeze([]), defaultKey: undefined })
          }
          if (inflight === undefined && now() - lastAttemptAt >= cooldownMs) void fetchNow()
        }
      }
      return set
    },
    refresh() {
      if (inflight !== undefined) return inflight
      if (now() - lastAttemptAt < cooldownMs) return Promise.resolve(false)
      return fetchNow()
    },
    async ready() {
      if (fetchedAt !== undefined) return
      if (!(await fetchNow())) throw lastError ?? new Error('JWKS could not be loaded')
    },
    status() {
      return {
        fetchedAt,
        keys: set.keys.length,
        skipped,
        fetches,
        refreshing: inflight !== undefined,
        lastError,
      }
    },
  }
}

/** Options of {@link createRemoteVerifier}: those of `createVerifier`, with a remote key set. */
export interface RemoteVerifierOptions extends Omit<VerifierOptions, 'keys'> {
  /** The remote key set; its issuer and audience are checked unless given here. */
  jwks: RemoteJwks
}

/** Verifies a token against a remote key set; resolves to the payload or rejects with a coded error. */
export type AsyncVerifyFunction = (token: string, tokenType?: TokenType) => Promise<JwtPayload>

/**
 * A verifier over a remote JWKS. A token with a known `kid` is verified synchronously (the promise
 * is already settled); an unknown `kid` waits for at most one refresh of the key set (see
 * {@link RemoteJwks.refresh}), then is verified again or refused with `ERR_KEY_NOT_FOUND`.
 *
 * @example
 * ```ts
 * import { createRemoteJwks, createRemoteVerifier } from 'jwtguard'
 * const jwks = createRemoteJwks({
 *   url: 'https://issuer.example/.well-known/jwks.json',
 *   issuer: 'https://issuer.example',
 *   audience: 'my-api',
 * })
 * const verify = createRemoteVerifier({ jwks })
 * const payload = await verify(token)
 * ```
 */
export function createRemoteVerifier(options: RemoteVerifierOptions): AsyncVerifyFunction {
  const { jwks, ...rest } = options
  if (typeof jwks?.refresh !== 'function') throw new TypeError('jwks must come from createRemoteJwks()')
  const verify = createVerifier({ ...rest, keys: jwks })
  return async function verifyRemoteToken(token, tokenType = 'access') {
    try {
      return verify(token, tokenType)
    } catch (error) {
      if (!isJwtGuardError(error) || error.code !== 'ERR_KEY_NOT_FOUND') throw error
      if (!(await jwks.refresh())) throw error
      return verify(token, tokenType)
    }
  }
}
