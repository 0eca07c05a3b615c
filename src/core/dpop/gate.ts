/**
 * The DPoP step of a protected route (RFC 9449 §7): the `DPoP` authorization scheme, and after
 * the token verified, its binding. A token bound to a key (`cnf.jkt`) is accepted only with the
 * `DPoP` scheme and a valid proof of that key, hashing that token (`ath`); a route or guard in
 * `required` mode accepts bound tokens only. A guard without the `dpop` option refuses bound
 * tokens: it cannot check their proofs.
 *
 * @module
 */
import type { JwtPayload } from '../claims.js'
import { type HeaderSource, readHeader, tokenFromAuthorization } from '../extract.js'
import { failure } from '../failures.js'
import type { FoundToken } from '../guard/token-finder.js'
import type { RequestMeta } from '../guard/types.js'
import { requestHtus } from './htu.js'
import { type DpopMode, dpopMode } from './options.js'
import type { DpopVerifier } from './verifier.js'

/** A token sent with the `DPoP` scheme. */
export type DpopToken = FoundToken & { dpop: true }

/** The DPoP step of a guard's protected routes. */
export interface DpopGate {
  /** The algorithms a `WWW-Authenticate: DPoP` challenge names; `undefined` when DPoP is off. */
  readonly algs: readonly string[] | undefined
  /** The token of `Authorization: DPoP <token>`; `undefined` for any other header. */
  find(headers: HeaderSource): DpopToken | undefined
  /** A route's mode: its `dpop` option, else the guard's; `undefined` when DPoP is off. */
  routeMode(option: unknown): DpopMode | undefined
  /**
   * Checks a verified token's binding on a request; a promise only when the replay cache is the
   * store's.
   */
  check(
    payload: JwtPayload,
    found: FoundToken,
    headers: HeaderSource,
    meta: RequestMeta | undefined,
    mode: DpopMode | undefined,
  ): undefined | Promise<void>
}

/** The key a token is bound to (`cnf.jkt`, RFC 9449 §6.1), if any. */
export function boundKey(payload: JwtPayload): string | undefined {
  const cnf = payload.cnf
  if (cnf === undefined) return undefined
  const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : undefined
  // A `cnf` this library cannot check (an x5t#S256, a malformed one) is not silently ignored.
  if (typeof jkt !== 'string' || jkt === '') throw failure('dpopBoundAsBearer', { claim: 'cnf' })
  return jkt
}

const DPOP_SCHEME = /^\s*dpop\s/i

/** The gate of a guard: `verifier` is `undefined` when the guard has no `dpop` option. */
export function createDpopGate(verifier: DpopVerifier | undefined): DpopGate {
  if (verifier === undefined) return OFF
  const { settings } = verifier
  return {
    algs: settings.algorithms,
    find(headers) {
      const header = readHeader(headers, 'authorization')
      if (header === undefined || !DPOP_SCHEME.test(header)) return undefined
      const token = tokenFromAuthorization(header, 'DPoP')
      return token === undefined ? undefined : { token, fromCookie: false, dpop: true }
    },
    routeMode: (option) => (option === undefined ? settings.mode : dpopMode(option, 'dpop')),
    check(payload, found, headers, meta, mode) {
      const jkt = boundKey(payload)
      if (!('dpop' in found)) {
        if (jkt !== undefined) throw failure('dpopBoundAsBearer')
        if (mode === 'required') throw failure('dpopUnbound')
        return undefined
      }
      if (jkt === undefined) throw failure('dpopUnbound')
      const request = {
        method: meta?.method ?? '',
        htus: requestHtus(meta?.url, headers, settings.origins),
        accessToken: found.token,
      }
      const proven = verifier.verify(headers, request)
      if (typeof proven === 'string') return matches(proven, jkt)
      return proven.then((key) => matches(key, jkt))
    },
  }
}

function matches(proven: string, bound: string): undefined {
  if (proven !== bound) throw failure('dpopKeyMismatch')
  return undefined
}

/** DPoP off: no DPoP scheme, no route mode, bound tokens refused. */
const OFF: DpopGate = {
  algs: undefined,
  find: () => undefined,
  routeMode(option) {
    if (option !== undefined) {
      throw new TypeError("protect({ dpop }) needs the guard's dpop option (dpop: 'allowed' or 'required')")
    }
    return undefined
  },
  check(payload) {
    if (boundKey(payload) !== undefined) throw failure('dpopBoundAsBearer')
    return undefined
  },
}
