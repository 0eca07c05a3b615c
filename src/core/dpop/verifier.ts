/**
 * Verifying a request's DPoP proof from end to end (RFC 9449 §4.3): the `DPoP` header (exactly
 * one), the JWS and its key, the claims against the request, the server nonce when configured,
 * and last the replay cache, so a proof that fails any check never takes a place in it.
 *
 * @module
 */
import type { TokenStore } from '../../stores/types.js'
import { type HeaderSource, readHeader } from '../extract.js'
import { failure } from '../failures.js'
import { checkProofClaims, type ProofRequest } from './claims.js'
import { createNonces, type DpopNonces } from './nonce.js'
import type { ResolvedDpop } from './options.js'
import { createProofVerifier } from './proof.js'
import { createReplayCheck, proofKey } from './replay.js'

/** A guard's DPoP proof verifier. */
export interface DpopVerifier {
  readonly settings: ResolvedDpop
  /** The server nonces, when `dpop.nonce` is set. */
  readonly nonces: DpopNonces | undefined
  /** Whether the request carries a `DPoP` header at all. */
  hasProof(headers: HeaderSource): boolean
  /**
   * Verifies the request's proof; resolves to the thumbprint (`jkt`) of its key. Synchronous
   * unless the replay cache is the store's.
   *
   * @throws {JwtGuardError} `ERR_DPOP_PROOF_INVALID`, or `ERR_DPOP_NONCE_REQUIRED` with a fresh nonce.
   */
  verify(headers: HeaderSource, request: ProofRequest): string | Promise<string>
}

/** What the verifier needs of its guard. */
export interface DpopVerifierContext {
  store: TokenStore | undefined
  now: () => number
  leeway: number
}

/** Builds the verifier of a guard's resolved `dpop` option. */
export function createDpopVerifier(settings: ResolvedDpop, context: DpopVerifierContext): DpopVerifier {
  const { now, leeway } = context
  const verifySignature = createProofVerifier(settings.algorithms)
  const nonces = settings.nonce === undefined ? undefined : createNonces(settings.nonce, now)
  const claimOnce = createReplayCheck(context.store, settings.replayCacheSize, now)
  const { maxAge } = settings

  return {
    settings,
    nonces,
    hasProof: (headers) => readHeader(headers, 'dpop') !== undefined,
    verify(headers, request) {
      const header = readHeader(headers, 'dpop')
      if (header === undefined || header === '') throw failure('dpopProofMissing')
      // Two DPoP headers arrive joined by a comma, which no JWS holds.
      if (header.includes(',')) throw failure('dpopProofMultiple')
      const { payload, jkt } = verifySignature(header.trim())
      const { jti, iat } = checkProofClaims(payload, request, { now: now(), maxAge, leeway })
      if (nonces !== undefined && !nonces.accepts(payload.nonce)) {
        throw failure('dpopNonce', { dpopNonce: nonces.current() })
      }
      const fresh = claimOnce(proofKey(jkt, jti), Math.ceil(iat + maxAge + 2 * leeway))
      if (fresh === true) return jkt
      if (fresh === false) throw failure('dpopProofReplayed')
      return fresh.then((claimed) => {
        if (!claimed) throw failure('dpopProofReplayed')
        return jkt
      })
    },
  }
}
