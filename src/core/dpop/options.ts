/**
 * The `dpop` option of a guard (RFC 9449): its shape, its defaults and its validation, done once
 * at construction.
 *
 * @module
 */
import type { Duration } from '../internal/duration.js'
import { toSeconds } from '../internal/duration.js'
import { integerAtLeast } from '../internal/validate.js'
import type { Secret } from '../keys.js'

/**
 * `'allowed'`: a DPoP-bound token (`cnf.jkt`) needs its proof, an unbound one is accepted as
 * before; the token routes bind tokens when the request carries a proof. `'required'`: only
 * DPoP-bound tokens with their proof; the token routes refuse a request without a proof.
 */
export type DpopMode = 'required' | 'allowed'

/** An accepted DPoP proof algorithm: an asymmetric JWS algorithm, never HMAC or `none`. */
export type DpopAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'

/** Proof algorithms accepted by default: every {@link DpopAlgorithm}. */
export const DPOP_ALGORITHMS: readonly DpopAlgorithm[] = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
]

/** Server-provided nonces (RFC 9449 §8 and §9): stateless, shared by instances with the secret. */
export interface DpopNonceOptions {
  /** The secret the nonces are derived from (HMAC, at least 32 bytes): the same on every instance. */
  secret: Secret
  /**
   * How long a nonce stays valid: it changes every `lifetime`, and the previous one is accepted too.
   * @default 300
   */
  lifetime?: Duration | undefined
}

/** The `dpop` option of {@link createJwtGuard}: a mode alone, or these settings. */
export interface DpopOptions {
  /** @default 'allowed' */
  mode?: DpopMode | undefined
  /**
   * Proof algorithms accepted (the `algs` of the challenge). Only asymmetric ones can be listed.
   * @default ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']
   */
  algorithms?: readonly DpopAlgorithm[] | undefined
  /**
   * How old a proof may be (its `iat`), in seconds or a string such as `'1m'`; the guard's `leeway`
   * is added both ways. Also how long its `jti` is remembered against replay.
   * @default 60
   */
  maxAge?: Duration | undefined
  /**
   * The origin (`https://api.example.com`) clients reach the server at, or several: the proof's
   * `htu` must be one of them followed by the request's path. Set it behind a proxy or a TLS
   * terminator, where the request's own URL is not the one the client saw. Without it, the origin
   * is the request's: the absolute URL a Web `Request` has, else `http://` and the `Host` header.
   * @default the request's origin
   */
  origin?: string | readonly string[] | undefined
  /**
   * Proof ids (`jti`) kept in memory against replay, when the guard's store has no `claimOnce`
   * (without a store, say). Past it the oldest are forgotten first: size it above the proofs a
   * process sees within `maxAge`. With a store that has `claimOnce`, the store keeps them, shared
   * by every instance.
   * @default 100000
   */
  replayCacheSize?: number | undefined
  /** Require a server nonce in every proof (`use_dpop_nonce`). @default no nonce */
  nonce?: DpopNonceOptions | undefined
}

/** The `dpop` option after validation. */
export interface ResolvedDpop {
  mode: DpopMode
  algorithms: readonly DpopAlgorithm[]
  maxAge: number
  origins: readonly string[] | undefined
  replayCacheSize: number
  nonce: { secret: Secret; lifetime: number } | undefined
}

const MODES: readonly string[] = ['required', 'allowed']

/** A mode, validated (for the guard's option and a route's). */
export function dpopMode(value: unknown, option: string): DpopMode {
  if (typeof value !== 'string' || !MODES.includes(value)) {
    throw new TypeError(`${option} must be 'required' or 'allowed'`)
  }
  return value as DpopMode
}

/**
 * Validates the guard's `dpop` option; `undefined` when DPoP is off.
 *
 * @throws {TypeError | RangeError} naming the member at fault.
 */
export function resolveDpop(value: DpopMode | DpopOptions | undefined): ResolvedDpop | undefined {
  if (value === undefined) return undefined
  const options: DpopOptions = typeof value === 'string' ? { mode: dpopMode(value, 'dpop') } : value
  if (typeof options !== 'object' || options === null) {
    throw new TypeError("dpop must be 'required', 'allowed' or an object of DPoP options")
  }
  const algorithms = [...(options.algorithms ?? DPOP_ALGORITHMS)]
  if (
    algorithms.length === 0 ||
    algorithms.some((alg) => !(DPOP_ALGORITHMS as readonly string[]).includes(alg))
  ) {
    throw new TypeError(`dpop.algorithms must be a non-empty list of ${DPOP_ALGORITHMS.join(', ')}`)
  }
  const maxAge = toSeconds(options.maxAge ?? 60, 'dpop.maxAge')
  if (maxAge <= 0 || maxAge > 3600) throw new RangeError('dpop.maxAge must be above 0 and at most 1 hour')
  return {
    mode: options.mode === undefined ? 'allowed' : dpopMode(options.mode, 'dpop.mode'),
    algorithms,
    maxAge,
    origins: resolveOrigins(options.origin),
    replayCacheSize: integerAtLeast(options.replayCacheSize, 'dpop.replayCacheSize', 100_000, 1),
    nonce: resolveNonce(options.nonce),
  }
}

function resolveOrigins(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) throw new TypeError('dpop.origin must be a URL origin')
  return list.map((origin) => {
    let url: URL | undefined
    try {
      url = typeof origin === 'string' ? new URL(origin) : undefined
    } catch {
      url = undefined
    }
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
      throw new TypeError(
        `dpop.origin must be an http(s) origin without a path, such as "https://api.example.com"`,
      )
    }
    return url.origin
  })
}

function resolveNonce(value: DpopNonceOptions | undefined): ResolvedDpop['nonce'] {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || value.secret === undefined) {
    throw new TypeError('dpop.nonce must be { secret, lifetime? }')
  }
  const lifetime = toSeconds(value.lifetime ?? 300, 'dpop.nonce.lifetime')
  if (lifetime < 10) throw new RangeError('dpop.nonce.lifetime must be at least 10 seconds')
  return { secret: value.secret, lifetime }
}
