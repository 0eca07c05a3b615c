/**
 * The verifiers of a guard: access tokens (with the cache when set), refresh tokens (under the
 * refresh key), and over a remote JWKS the asynchronous one that waits for an unknown `kid`.
 *
 * @module
 */
import { REFRESH_TOKEN_TYPE } from '../issue.js'
import { type AsyncVerifyFunction, createRemoteVerifier } from '../remote-jwks.js'
import type { ResolvedOptions } from '../resolve-options.js'
import { createVerifier, type VerifyFunction } from '../verify.js'

export interface Verifiers {
  /** Access tokens against the current keys, synchronously (`guard.verify`). */
  access: VerifyFunction
  /** Refresh tokens (issuer mode). */
  refresh: VerifyFunction | undefined
  /** Access tokens over a remote JWKS: an unknown `kid` waits for at most one key-set refresh. */
  remote: AsyncVerifyFunction | undefined
}

export function createVerifiers(resolved: ResolvedOptions): Verifiers {
  const common = {
    leeway: resolved.leeway,
    requiredClaims: resolved.requiredClaims,
    maxTokenSize: resolved.maxTokenSize,
    now: resolved.now,
    issuer: resolved.issuer,
    audience: resolved.audience,
  }
  const { cache } = resolved
  if (resolved.mode === 'resource-server') {
    const { jwks } = resolved
    return {
      access: createVerifier({ keys: jwks, ...common, cache }),
      refresh: undefined,
      remote: createRemoteVerifier({ jwks, ...common, cache }),
    }
  }
  // The guard's own access tokens, whichever type it writes now; never a refresh token.
  const typ = resolved.accessTokenType === 'JWT' ? ['JWT', 'at+jwt'] : ['at+jwt', 'JWT']
  const access = createVerifier({ keys: resolved.verificationKeys, ...common, cache, typ })
  const { refreshKey } = resolved
  const refresh =
    refreshKey === undefined
      ? undefined
      : createVerifier({ keys: [refreshKey], ...common, typ: [REFRESH_TOKEN_TYPE] })
  return { access, refresh, remote: undefined }
}
