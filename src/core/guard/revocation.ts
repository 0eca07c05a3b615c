/**
 * Revocation as the request pipeline checks it: by token id, by session (refresh family), by a
 * user's "log out everywhere" cut-off, and by a fleet-wide cut-off after the store lost its data.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { TokenStore } from '../../stores/types.js'
import type { JwtPayload } from '../claims.js'
import { failure } from '../failures.js'
import { issuedInstant } from '../issue.js'

/** The revocation id of an access token: its `jti`, or for tokens without one a hash of the token. */
export function revocationId(payload: JwtPayload, token: string): string {
  return typeof payload.jti === 'string' && payload.jti !== ''
    ? payload.jti
    : // The signing input, not the whole token: an ECDSA signature can be re-spelled (r, n-s).
      `sha256:${createHash('sha256')
        .update(token.slice(0, token.lastIndexOf('.')))
        .digest('base64url')}`
}

/** Throws `ERR_TOKEN_REVOKED` for a revoked access token; synchronous, on the store's local view. */
export type RevocationCheck = (payload: JwtPayload, token: string) => void

/** The check for a guard's store; without a store nothing is ever revoked. */
export function createRevocationCheck(store: TokenStore | undefined, identityClaim: string): RevocationCheck {
  if (store === undefined) return () => undefined
  return (payload, token) => {
    const { view } = store
    if (view.isRevoked(revocationId(payload, token))) throw failure('revoked')
    // The session (refresh family) of the token: logout, reuse detection or a revoked session.
    if (typeof payload.fam === 'string' && payload.fam !== '' && view.isFamilyRevoked(payload.fam)) {
      throw failure('revoked')
    }
    const cutOff = view.revokedBefore(String(payload[identityClaim]))
    if (cutOff !== null && issuedInstant(payload) < cutOff) throw failure('revoked')
    // The store's data was lost (Redis emptied): every token issued before is refused, fleet-wide.
    const everyone = view.revokedBeforeAll?.() ?? null
    if (everyone !== null && issuedInstant(payload) < everyone) throw failure('revoked')
  }
}
