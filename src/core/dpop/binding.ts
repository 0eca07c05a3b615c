/**
 * The DPoP step of the token routes (RFC 9449 §5): `POST /auth` verifies the request's proof, if
 * any, and binds the session to its key (`cnf.jkt` in the access and refresh tokens); `POST
 * /auth/refresh` of a bound session needs a proof of the same key, before the refresh token is
 * spent. In `required` mode a token request without a proof is refused.
 *
 * @module
 */
import type { AuthRequest } from '../body.js'
import type { JwtPayload } from '../claims.js'
import { failure } from '../failures.js'
import { boundKey } from './gate.js'
import { requestHtus } from './htu.js'
import type { DpopVerifier } from './verifier.js'

/** The key a session is bound to (its thumbprint), or `undefined` for an unbound session. */
type Binding = string | undefined

/** The DPoP step of a guard's token routes. */
export interface DpopBinder {
  /** The key a login binds its tokens to: the request's proof's, if it has one. */
  login(request: AuthRequest, path: string): Binding | Promise<Binding>
  /** The key a refresh binds the new pair to: the refresh token's, proven by the request. */
  refresh(request: AuthRequest, path: string, refreshToken: JwtPayload): Binding | Promise<Binding>
}

/** The claims of tokens bound to `jkt` (RFC 9449 §6.1): `cnf: { jkt }` beside the others. */
export function boundClaims(claims: Record<string, unknown>, jkt: Binding): Record<string, unknown> {
  return jkt === undefined ? claims : { ...claims, cnf: { jkt } }
}

/** The binder of a guard: `verifier` is `undefined` when the guard has no `dpop` option. */
export function createDpopBinder(verifier: DpopVerifier | undefined): DpopBinder {
  if (verifier === undefined) {
    // No DPoP: proofs are ignored (RFC 9449 §5: Bearer tokens are issued), bound sessions refused.
    return {
      login: () => undefined,
      refresh(_request, _path, refreshToken) {
        if (boundKey(refreshToken) !== undefined) throw failure('dpopBoundAsBearer')
        return undefined
      },
    }
  }
  const { mode, origins } = verifier.settings
  const prove = (request: AuthRequest, path: string) => {
    const headers = request.headers ?? {}
    return verifier.verify(headers, {
      method: 'POST',
      htus: requestHtus(request.url, headers, origins, path),
    })
  }
  return {
    login(request, path) {
      if (mode === 'allowed' && !verifier.hasProof(request.headers ?? {})) return undefined
      return prove(request, path)
    },
    refresh(request, path, refreshToken) {
      const bound = boundKey(refreshToken)
      if (bound === undefined && mode === 'allowed' && !verifier.hasProof(request.headers ?? {})) {
        return undefined
      }
      const proven = prove(request, path)
      if (typeof proven === 'string') return sameKey(proven, bound)
      return proven.then((key) => sameKey(key, bound))
    },
  }
}

/** A bound session stays on its key; an unbound one is bound to the proof's key from now on. */
function sameKey(proven: string, bound: Binding): string {
  if (bound !== undefined && proven !== bound) throw failure('dpopKeyMismatch')
  return proven
}
