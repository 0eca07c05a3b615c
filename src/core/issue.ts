/**
 * Building and signing the tokens a guard issues: access tokens in Flask-JWT's shape, and refresh
 * tokens with their own type marker, family and lifetime.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { JwtPayload } from './claims.js'
import type { AuthenticatedUser, IssuingOptions } from './options.js'
import type { ResolvedIssuerOptions } from './resolve-options.js'
import { signToken } from './sign.js'

/** Claims the library writes itself; `additionalClaims` cannot set them. */
export const RESERVED_CLAIMS = [
  'exp',
  'iat',
  'nbf',
  'jti',
  'iat_ms',
  'type',
  'fresh',
  'fam',
  'csrf',
  'iss',
  'aud',
  'cnf',
] as const

/** The `typ` header of refresh tokens (RFC 8725 §3.11: a type no access-token verifier takes). */
export const REFRESH_TOKEN_TYPE = 'refresh+jwt'

/** A freshly issued pair. */
export interface IssuedTokens {
  access_token: string
  refresh_token?: string
}

/** How a pair is issued: at login (fresh, new family) or by a refresh (same family). */
export interface IssueContext {
  identity: string | number
  fresh: boolean
  familyId: string
  /** Custom claims, carried from the login to every refresh. */
  claims: Record<string, unknown>
  /** Whether to issue a refresh token (only with a store). */
  withRefresh: boolean
  /**
   * Whether to write `iat_ms`, the issue time in milliseconds (with a store): "log out
   * everywhere" cut-offs compare with it, so a login just after one is not refused.
   */
  stamp?: boolean | undefined
}

/** The part of a refresh record the guard saves after issuing. */
export interface IssuedRefresh {
  jti: string
  iat: number
  /** The issue time to the millisecond, in seconds: what a cut-off is compared with. */
  issuedAt: number
  exp: number
}

export function userId(user: AuthenticatedUser): string | number {
  const id = (user as { id?: unknown } | null)?.id
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new TypeError('authenticate() must return an object with an id (string or number), or null')
  }
  return id
}

/** Runs `additionalClaims`, refusing any attempt to set a reserved claim. */
export function customClaims(
  options: Pick<IssuingOptions, 'additionalClaims'>,
  resolved: Pick<ResolvedIssuerOptions, 'identityClaim'>,
  user: AuthenticatedUser,
): Record<string, unknown> {
  if (options.additionalClaims === undefined) return {}
  const claims = options.additionalClaims(user)
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('additionalClaims() must return an object')
  }
  for (const name of [...RESERVED_CLAIMS, resolved.identityClaim]) {
    if (Object.hasOwn(claims, name)) {
      throw new TypeError(`additionalClaims() cannot set the reserved claim "${name}"`)
    }
  }
  return claims
}

/** Issues an access token (and a refresh token when asked), returning both and the refresh's claims. */
export function issueTokens(
  resolved: ResolvedIssuerOptions,
  context: IssueContext,
  payloadHandler: ((defaults: JwtPayload) => JwtPayload) | undefined,
): { tokens: IssuedTokens; refresh: IssuedRefresh | undefined } {
  const issuedMs = Math.floor(resolved.now() * 1000)
  const issuedAt = Math.floor(issuedMs / 1000)
  const pinned = pinnedClaims(resolved)
  const stamp = context.stamp === true || context.withRefresh
  const defaults: JwtPayload = {
    ...context.claims,
    ...pinned,
    exp: issuedAt + resolved.expiresIn,
    iat: issuedAt,
    nbf: issuedAt + resolved.notBefore,
    jti: randomUUID(),
    [resolved.identityClaim]: context.identity,
    fresh: context.fresh,
  }
  if (stamp) defaults.iat_ms = issuedMs
  if (context.withRefresh) defaults.fam = context.familyId
  const payload = payloadHandler === undefined ? defaults : payloadHandler(defaults)
  const tokens: IssuedTokens = { access_token: signToken(payload, resolved.key, resolved.accessTokenType) }
  if (!context.withRefresh || resolved.refreshKey === undefined) return { tokens, refresh: undefined }
  const refresh: IssuedRefresh = {
    jti: randomUUID(),
    iat: issuedAt,
    issuedAt: issuedMs / 1000,
    exp: issuedAt + resolved.refreshExpiresIn,
  }
  tokens.refresh_token = signToken(
    {
      ...context.claims,
      ...pinned,
      exp: refresh.exp,
      iat: issuedAt,
      iat_ms: issuedMs,
      nbf: issuedAt,
      jti: refresh.jti,
      type: 'refresh',
      fam: context.familyId,
      [resolved.identityClaim]: context.identity,
    },
    resolved.refreshKey,
    REFRESH_TOKEN_TYPE,
  )
  return { tokens, refresh }
}

/** `iss` and `aud` as configured: the verifier requires them, so every issued token carries them. */
function pinnedClaims(resolved: ResolvedIssuerOptions): JwtPayload {
  const claims: JwtPayload = {}
  if (resolved.issuer !== undefined) claims.iss = resolved.issuer[0] as string
  if (resolved.audience !== undefined) {
    claims.aud = resolved.audience.length === 1 ? (resolved.audience[0] as string) : [...resolved.audience]
  }
  return claims
}

/**
 * The custom claims of a verified token: everything that is not reserved.
 *
 * Internal: not exported from the package.
 */
export function carriedClaims(payload: JwtPayload, identityClaim: string): Record<string, unknown> {
  const claims: Record<string, unknown> = { ...payload }
  for (const name of [...RESERVED_CLAIMS, identityClaim]) delete claims[name]
  return claims
}

/**
 * When a token was issued, as precisely as it says: `iat_ms` (jwtguard's tokens with a store)
 * when it lies within the `iat` second, else `iat` itself. A "log out everywhere" cut-off refuses
 * tokens issued strictly before it, so a login in the same second after it is not refused.
 *
 * Internal: not exported from the package.
 */
export function issuedInstant(payload: JwtPayload): number {
  const { iat, iat_ms: ms } = payload
  if (typeof iat !== 'number') return Number.NEGATIVE_INFINITY
  return typeof ms === 'number' && Number.isInteger(ms) && Math.floor(ms / 1000) === iat ? ms / 1000 : iat
}

/** A cut-off time to the millisecond, as tokens' `iat_ms` is: `iat_ms / 1000 < cutOff` compares exactly. */
export function cutOffInstant(before: number): number {
  return Math.floor(before * 1000) / 1000
}
