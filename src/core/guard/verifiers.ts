/**
 * The verifiers of a guard: access tokens (with the cache when set), refresh tokens (under the
 * refresh key), and over a remote JWKS the asynchronous one that waits for an unknown `kid`.
 *
 * @module
 */
import { REFRESH_TOKEN_TYPE } from '../issue.js'
import { type IssuerVerifiers, selectByIssuer } from '../issuers.js'
import { type AsyncVerifyFunction, createRemoteVerifier, type RemoteJwks } from '../remote-jwks.js'
import type { ResolvedOptions, ResolvedResourceServerOptions } from '../resolve-options.js'
import { createVerifier, type VerifierOptions, type VerifyFunction } from '../verify.js'
import { checkProfileClaims } from './rfc9068.js'

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
  if (resolved.mode === 'resource-server') return resourceServerVerifiers(resolved, { ...common, cache })
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

/**
 * A resource server's verifiers: one pair per key set (its own issuer and audience pinned), the
 * token's issuer picking the pair when there are several; the RFC 9068 profile's claim checks
 * after each verification.
 */
function resourceServerVerifiers(
  resolved: ResolvedResourceServerOptions,
  common: Omit<VerifierOptions, 'keys'>,
): Verifiers {
  const typ = resolved.accessTokenTypes === undefined ? {} : { typ: resolved.accessTokenTypes }
  const profiled = resolved.profile === 'rfc9068'
  const pair = (jwks: RemoteJwks): IssuerVerifiers => {
    const access = createVerifier({ keys: jwks, ...common, ...typ })
    const remote = createRemoteVerifier({ jwks, ...common, ...typ })
    if (!profiled) return { jwks, access, remote }
    return {
      jwks,
      access: (token, tokenType) => checked(access(token, tokenType)),
      remote: async (token, tokenType) => checked(await remote(token, tokenType)),
    }
  }
  const sets = resolved.jwks.map(pair)
  const only = sets.length === 1 ? sets[0] : undefined
  const { access, remote } = only ?? selectByIssuer(sets, resolved.maxTokenSize)
  return { access, refresh: undefined, remote }
}

function checked<T extends Parameters<typeof checkProfileClaims>[0]>(payload: T): T {
  checkProfileClaims(payload)
  return payload
}
