/**
 * The RFC 9068 profile of resource-server mode: JWT access tokens of any OAuth 2.0 authorization
 * server (oidc-provider, Auth0, Okta, Keycloak, Entra ID, Cognito, ...). Its defaults, the `typ`
 * values it accepts, and the checks of the claims it names beyond the registered ones.
 *
 * @module
 */
import type { JwtPayload } from '../claims.js'
import { JwtGuardError } from '../errors.js'

/** The media type of RFC 9068 access tokens, as `typ` (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = 'at+jwt'

/** The defaults `profile: 'rfc9068'` gives the options it concerns. */
export const RFC9068_DEFAULTS = Object.freeze({
  // `iss` and `aud` are pinned by the key set, so required there; `nbf` is optional (§2.2).
  requiredClaims: Object.freeze(['exp', 'iat', 'sub']),
  identityClaim: 'sub',
  roleClaims: Object.freeze(['roles', 'groups', 'permissions']),
  scopeClaims: Object.freeze(['scope', 'scp']),
})

/** The defaults of jwtguard's own tokens (issuer mode, and `profile: 'jwtguard'`). */
export const JWTGUARD_DEFAULTS = Object.freeze({
  requiredClaims: Object.freeze(['exp', 'iat', 'nbf']),
  identityClaim: 'identity',
  roleClaims: Object.freeze(['roles']),
  scopeClaims: Object.freeze(['scope']),
})

/**
 * The `typ` values a resource server accepts: `at+jwt` only when required; with the RFC 9068
 * profile also `JWT` (and no `typ`), as most identity providers still write; any with jwtguard's
 * profile, as before (its refresh tokens are refused by their `type` claim and their key).
 */
export function acceptedTypes(
  profile: 'jwtguard' | 'rfc9068',
  required: boolean,
): readonly string[] | undefined {
  if (required) return [ACCESS_TOKEN_TYP]
  return profile === 'rfc9068' ? [ACCESS_TOKEN_TYP, 'JWT'] : undefined
}

function invalid(claim: string, message: string): JwtGuardError {
  return new JwtGuardError('ERR_CLAIM_INVALID', message, { claim })
}

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/**
 * The types of the claims RFC 9068 §2.2 names beyond the registered ones, when present: so that
 * `allow` and the `scopes` requirement read what the standard says they hold. Run after the
 * signature and the registered claims.
 *
 * @throws {JwtGuardError} `ERR_CLAIM_INVALID` naming the claim.
 */
export function checkProfileClaims(payload: JwtPayload): void {
  const { client_id, auth_time, acr, amr, scope, scp } = payload as Record<string, unknown>
  if (client_id !== undefined && typeof client_id !== 'string')
    throw invalid('client_id', 'Token "client_id" claim must be a string')
  if (auth_time !== undefined && (typeof auth_time !== 'number' || !Number.isFinite(auth_time)))
    throw invalid('auth_time', 'Token "auth_time" claim must be a number')
  if (acr !== undefined && typeof acr !== 'string') throw invalid('acr', 'Token "acr" claim must be a string')
  if (amr !== undefined && !isStringList(amr))
    throw invalid('amr', 'Token "amr" claim must be a list of strings')
  if (scope !== undefined && typeof scope !== 'string')
    throw invalid('scope', 'Token "scope" claim must be a space-separated string')
  if (scp !== undefined && typeof scp !== 'string' && !isStringList(scp))
    throw invalid('scp', 'Token "scp" claim must be a list of strings')
}
