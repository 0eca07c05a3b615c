/**
 * Several issuers at once (a multi-tenant resource server): one remote key set per issuer, each
 * pinning its issuer and audience. The token's `iss` is read before the signature, only to pick
 * the key set; the verifier of that set then checks the signature and, after it, `iss` again and
 * `aud`. A token naming an issuer no set pins is refused without any key lookup or JWKS fetch, so
 * foreign tokens cannot make the sets refresh. A token of issuer A signed with B's key finds no
 * such key in A's set (issuer mix-up).
 *
 * @module
 */
import type { JwtPayload, TokenType } from './claims.js'
import { failure } from './failures.js'
import { decodeCanonicalBase64url } from './internal/base64url.js'
import type { AsyncVerifyFunction, RemoteJwks } from './remote-jwks.js'
import type { VerifyFunction } from './verify.js'

/** The verifiers of one key set. */
export interface IssuerVerifiers {
  jwks: RemoteJwks
  access: VerifyFunction
  remote: AsyncVerifyFunction
}

/**
 * The unverified `iss` of a compact JWS: only to pick a key set, never trusted.
 * @throws {JwtGuardError} for a token too large or malformed, as the verifier would.
 */
export function unverifiedIssuer(token: string, maxTokenSize: number): unknown {
  if (typeof token !== 'string') throw failure('notThreeSegments')
  if (token.length > maxTokenSize) throw failure('tokenTooLarge')
  const segments = token.split('.')
  if (segments.length !== 3) throw failure('notThreeSegments')
  const bytes = decodeCanonicalBase64url(segments[1] as string)
  if (bytes === undefined) throw failure('notCanonical')
  try {
    return (JSON.parse(bytes.toString('utf8')) as { iss?: unknown } | null)?.iss
  } catch {
    throw failure('notCanonical')
  }
}

/** One verifier (synchronous and remote) over every key set, each token sent to its issuer's. */
export function selectByIssuer(
  sets: readonly IssuerVerifiers[],
  maxTokenSize: number,
): { access: VerifyFunction; remote: AsyncVerifyFunction } {
  const byIssuer = new Map<string, IssuerVerifiers>()
  for (const set of sets) for (const issuer of set.jwks.pinnedClaims.issuer ?? []) byIssuer.set(issuer, set)
  const pick = (token: string): IssuerVerifiers => {
    const issuer = unverifiedIssuer(token, maxTokenSize)
    const set = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined
    if (set === undefined) throw failure('issuerUnknown', { claim: 'iss' })
    return set
  }
  return {
    access: (token: string, tokenType?: TokenType): JwtPayload => pick(token).access(token, tokenType),
    remote: async (token: string, tokenType?: TokenType): Promise<JwtPayload> =>
      pick(token).remote(token, tokenType),
  }
}
