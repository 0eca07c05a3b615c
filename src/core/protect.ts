/**
 * What a protected route requires beyond a valid token: freshness, roles, scopes, a predicate.
 * Requirements are compiled once per route, then checked on every request (after the signature,
 * the claims and revocation).
 *
 * @module
 */
import { assertAudience, assertIssuer, type JwtPayload, normaliseClaimOption } from './claims.js'
import { JwtGuardError } from './errors.js'
import { failure } from './failures.js'

/** A list of values, all required; or `{ anyOf }` / `{ allOf }` to say which. */
export type Requirement = readonly string[] | { anyOf: readonly string[] } | { allOf: readonly string[] }

/** Options of a protected route: `jwtRequired(options)` / `jwtOptional(options)` in every adapter. */
export interface ProtectOptions<TRequest = unknown> {
  /**
   * Realm of this route's challenge.
   * @default the guard's realm
   */
  realm?: string | undefined
  /**
   * Audiences this route accepts: the token's `aud` (a string or a list) must hold one. Checked on
   * every request, after the guard's own `audience`, so one guard can serve routes of several
   * audiences; a verified-token cache never carries one route's answer to another. A token that
   * fails it is refused with 401 `invalid_token` (`ERR_CLAIM_INVALID`).
   * @default the guard's `audience` only
   */
  audience?: string | readonly string[] | undefined
  /**
   * Issuers this route accepts: the token's `iss` must equal one. Checked on every request, as
   * `audience` is.
   * @default the guard's `issuer` only
   */
  issuer?: string | readonly string[] | undefined
  /**
   * Require a fresh token: one issued by a login, not by a refresh.
   * @default false
   */
  fresh?: boolean | undefined
  /**
   * Roles the token's `roles` claim (the guard's `roleClaims`) must hold. A plain list requires all of them.
   * @default none
   */
  roles?: Requirement | undefined
  /**
   * Scopes the token's `scope` claim (space-delimited, RFC 8693; the guard's `scopeClaims`, `scp`
   * lists too) must hold. A plain list requires all.
   * @default none
   */
  scopes?: Requirement | undefined
  /**
   * A last check on the verified claims and the framework's request; `false` answers 403. Every
   * claim is there: `client_id`, `auth_time`, `acr` of an RFC 9068 access token, say.
   */
  allow?: ((claims: JwtPayload, request: TRequest) => boolean | Promise<boolean>) | undefined
}

interface CompiledRequirement {
  mode: 'anyOf' | 'allOf'
  values: readonly string[]
}

/** A route's requirements, compiled. */
export interface RouteRequirements<TRequest> {
  /** The route's own realm, if it has one. */
  realm: string | undefined
  /**
   * Throws `ERR_CLAIM_INVALID` when the verified `payload` is not for this route (`audience`,
   * `issuer`), `ERR_TOKEN_NOT_FRESH` or `ERR_INSUFFICIENT_SCOPE` when it does not meet the rest.
   */
  check(payload: JwtPayload, request: TRequest): Promise<void> | undefined
}

function compile(requirement: Requirement | undefined, option: string): CompiledRequirement | undefined {
  if (requirement === undefined) return undefined
  const [mode, values] = Array.isArray(requirement)
    ? (['allOf', requirement] as const)
    : 'anyOf' in requirement
      ? (['anyOf', requirement.anyOf] as const)
      : (['allOf', (requirement as { allOf: readonly string[] }).allOf] as const)
  if (!Array.isArray(values) || values.length === 0 || values.some((value) => typeof value !== 'string')) {
    throw new TypeError(`${option} must be a non-empty list of strings, or { anyOf } / { allOf } of one`)
  }
  return { mode, values: [...values] }
}

/** Which claims hold the roles and the scopes a route may require. */
export interface RequirementClaims {
  /** @default ['roles'] */
  roleClaims?: readonly string[] | undefined
  /** @default ['scope'] */
  scopeClaims?: readonly string[] | undefined
}

/** The values of `names` in the payload: lists of strings, or (`spaceDelimited`) a string of them. */
function held(payload: JwtPayload, names: readonly string[], spaceDelimited: boolean): ReadonlySet<string> {
  const values = new Set<string>()
  for (const name of names) {
    const claim = payload[name]
    if (Array.isArray(claim)) {
      for (const value of claim) if (typeof value === 'string') values.add(value)
    } else if (spaceDelimited && typeof claim === 'string') {
      for (const value of claim.split(' ')) if (value !== '') values.add(value)
    }
  }
  return values
}

function missing(requirement: CompiledRequirement, have: ReadonlySet<string>): readonly string[] {
  const absent = requirement.values.filter((value) => !have.has(value))
  if (requirement.mode === 'anyOf') return absent.length < requirement.values.length ? [] : absent
  return absent
}

function insufficient(kind: 'role' | 'scope', absent: readonly string[], mode: string): JwtGuardError {
  const list = absent.join(' ')
  const which =
    mode === 'anyOf' && absent.length > 1
      ? `one of the ${kind}s`
      : `the ${kind}${absent.length > 1 ? 's' : ''}`
  return new JwtGuardError('ERR_INSUFFICIENT_SCOPE', `Token lacks ${which}: ${list}`, { scope: list })
}

/**
 * Compiles a route's options, validating them: a bad option fails when the route is declared.
 *
 * @example
 * ```ts
 * import { compileRequirements } from 'jwtguard/adapter'
 * const admin = compileRequirements({ roles: ['admin'] })
 * await admin.check({ roles: ['admin'] }, undefined) // passes
 * await admin.check({ roles: ['user'] }, undefined) // throws ERR_INSUFFICIENT_SCOPE (403)
 * ```
 */
export function compileRequirements<TRequest>(
  options: ProtectOptions<TRequest> = {},
  claims: RequirementClaims = {},
): RouteRequirements<TRequest> {
  const roleClaims = claims.roleClaims ?? ['roles']
  const scopeClaims = claims.scopeClaims ?? ['scope']
  const roles = compile(options.roles, 'roles')
  const scopes = compile(options.scopes, 'scopes')
  const audience = normaliseClaimOption(options.audience, 'audience')
  const issuer = normaliseClaimOption(options.issuer, 'issuer')
  const { fresh, allow } = options
  if (allow !== undefined && typeof allow !== 'function') throw new TypeError('allow must be a function')
  if (
    options.realm !== undefined &&
    (typeof options.realm !== 'string' || !/^[\x20-\x7e]+$/.test(options.realm))
  ) {
    throw new TypeError('realm must be printable ASCII')
  }
  return {
    realm: options.realm,
    check(payload, request) {
      if (issuer !== undefined) assertIssuer(payload, issuer)
      if (audience !== undefined) assertAudience(payload, audience)
      if (fresh === true && payload.fresh !== true) {
        throw failure('notFresh')
      }
      if (roles !== undefined) {
        const absent = missing(roles, held(payload, roleClaims, false))
        if (absent.length > 0) throw insufficient('role', absent, roles.mode)
      }
      if (scopes !== undefined) {
        const absent = missing(scopes, held(payload, scopeClaims, true))
        if (absent.length > 0) throw insufficient('scope', absent, scopes.mode)
      }
      if (allow === undefined) return undefined
      return Promise.resolve(allow(payload, request)).then((allowed) => {
        if (allowed !== true)
          throw new JwtGuardError('ERR_INSUFFICIENT_SCOPE', 'Access to this resource is not allowed')
      })
    },
  }
}
