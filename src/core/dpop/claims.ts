/**
 * A DPoP proof's claims (RFC 9449 §4.3, checks 7 to 12 and §7.1): `jti`, `htm` and `htu` of this
 * request, `iat` within the window, and with an access token its hash `ath`.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { failure } from '../failures.js'
import { normaliseHtu } from './htu.js'

/** What a proof must match: the request, and the access token it is sent with (none at the token routes). */
export interface ProofRequest {
  /** The request method, as sent (`GET`). */
  method: string
  /** The request's URI for each accepted origin, normalised (see `requestHtus`). */
  htus: readonly string[]
  /** The access token the proof must hash (`ath`); `undefined` at the token routes. */
  accessToken?: string | undefined
}

/** The proof's time window: `iat` from `now - maxAge - leeway` to `now + leeway`. */
export interface ProofWindow {
  now: number
  maxAge: number
  leeway: number
}

/** The longest `jti` accepted: a UUID is 36 characters, RFC 9449 asks for 96 random bits at least. */
const MAX_JTI_LENGTH = 256

/** `base64url(SHA-256(token))`: the `ath` of a proof sent with `token`. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}

/**
 * Checks the claims of a proof whose signature verified; returns its `jti` and `iat`.
 *
 * @throws {JwtGuardError} `ERR_DPOP_PROOF_INVALID`, naming the claim.
 */
export function checkProofClaims(
  payload: Record<string, unknown>,
  request: ProofRequest,
  window: ProofWindow,
): { jti: string; iat: number } {
  const { jti, htm, htu, iat } = payload
  if (
    typeof jti !== 'string' ||
    jti === '' ||
    jti.length > MAX_JTI_LENGTH ||
    typeof htm !== 'string' ||
    typeof htu !== 'string' ||
    typeof iat !== 'number' ||
    !Number.isFinite(iat)
  ) {
    throw failure('dpopProofClaims')
  }
  if (htm !== request.method) throw failure('dpopProofMethod', { claim: 'htm' })
  const claimed = normaliseHtu(htu)
  if (claimed === undefined || !request.htus.includes(claimed))
    throw failure('dpopProofUrl', { claim: 'htu' })
  const { now, maxAge, leeway } = window
  if (iat < now - maxAge - leeway || iat > now + leeway) throw failure('dpopProofTime', { claim: 'iat' })
  if (request.accessToken !== undefined && payload.ath !== accessTokenHash(request.accessToken)) {
    throw failure('dpopProofAth', { claim: 'ath' })
  }
  return { jti, iat }
}
