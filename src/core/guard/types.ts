/**
 * The guard's public shapes: what {@link createJwtGuard} returns, the routes it mounts and the
 * protected-route check the adapters call.
 *
 * @module
 */
import type { SessionRecord, TokenStore } from '../../stores/types.js'
import type { AuthRequest } from '../body.js'
import type { JwtPayload } from '../claims.js'
import type { ResolvedDpop } from '../dpop/options.js'
import type { JwtGuardError } from '../errors.js'
import type { HeaderSource } from '../extract.js'
import type { FailureName } from '../failures.js'
import type { HttpResponse } from '../http.js'
import type { AuthenticatedUser } from '../options.js'
import type { ProtectOptions } from '../protect.js'
import type { ResolvedOptions } from '../resolve-options.js'

/** What a protected request resolves to. */
export interface AuthResult<TIdentity> {
  identity: TIdentity
  payload: JwtPayload
}

/** A route the adapters mount; its handler takes the raw request and returns the full response. */
export interface AuthRoute {
  /** What the route does: one of the guard's token routes, or the JWKS. */
  readonly name: 'login' | 'refresh' | 'revoke' | 'jwks'
  /** The failures the route itself answers with (besides body and store errors), for documentation. */
  readonly failures: readonly FailureName[]
  /** `POST` for the token routes; `GET` for the JWKS. */
  method: 'POST' | 'GET'
  /** The route's path, such as `/auth`. */
  path: string
  /** Handles one request; resolves to the response to write, errors included. */
  handle(request: AuthRequest): Promise<HttpResponse>
}

/** A protected route's check, compiled once by {@link JwtGuard.protect}. */
export interface ProtectedRoute<TIdentity, TRequest = unknown> {
  /** The realm of the route's challenge. */
  readonly realm: string
  /**
   * Authenticates the request: `null` only for an optional route without a token. Throws a
   * {@link JwtGuardError} for everything else that is not allowed.
   */
  authenticate(
    headers: HeaderSource,
    request?: TRequest,
    meta?: RequestMeta,
  ): Promise<AuthResult<TIdentity> | null>
  /**
   * {@link authenticate} for adapters, without a promise where none is needed: returns the result
   * (or throws) synchronously when the key is local and the `identity` callback and the route's
   * `allow` are synchronous, and a promise otherwise.
   */
  resolve(
    headers: HeaderSource,
    request?: TRequest,
    meta?: RequestMeta,
  ): AuthResult<TIdentity> | null | Promise<AuthResult<TIdentity> | null>
}

/** What cookie mode and query tokens need to know of a request besides its headers. */
export interface RequestMeta {
  /** The HTTP method: unsafe methods need the CSRF header when the token came from a cookie. */
  method?: string | undefined
  /** The request URL (path and query), for `tokenLocation: ['query']`. */
  url?: string | undefined
}

/** The identity type of a guard: `IdentityOf<typeof guard>`, e.g. to fill `Register`. */
export type IdentityOf<TGuard> = TGuard extends JwtGuard<infer TIdentity> ? TIdentity : never

/** The object returned by {@link createJwtGuard}. */
export interface JwtGuard<TIdentity> {
  /** The validated options with defaults applied. */
  readonly options: Readonly<ResolvedOptions>
  /** The routes to mount: `/auth`, and with a store `/auth/refresh` and `/auth/revoke`. */
  readonly routes: readonly AuthRoute[]
  /** The token store, when one is configured. */
  readonly store: TokenStore | undefined
  /** The validated `dpop` option (RFC 9449); `undefined` when DPoP is off. */
  readonly dpop: ResolvedDpop | undefined
  /** Issues an access token for a user returned by `authenticate` (a fresh one, without refresh). */
  createAccessToken(user: AuthenticatedUser): string
  /** Verifies an access token: signature first, then claims (not revocation). */
  verify(token: string): JwtPayload
  /** Compiles a protected route's requirements; `optional` admits requests without a token. */
  protect<TRequest = unknown>(
    options?: ProtectOptions<TRequest>,
    mode?: 'required' | 'optional',
  ): ProtectedRoute<TIdentity, TRequest>
  /** Extracts and verifies the request's token and loads its identity (the default route check). */
  authenticateRequest(headers: HeaderSource): Promise<AuthResult<TIdentity>>
  /** "Log out everywhere": refuses every token of `identity` issued before `before` (default now). */
  revokeAllFor(identity: string | number, before?: number): Promise<void>
  /**
   * The live sessions of `identity` (its refresh families: since when, last used, from which user
   * agent and client address, until when), newest use first, as the store holds them, so every
   * instance lists the same. The current session of a request is the one whose `id` is its
   * access token's `fam` claim. Rejects with a `TypeError` without a store that lists sessions.
   */
  sessions(identity: string | number): Promise<SessionRecord[]>
  /**
   * Ends one session of `identity` ("log out that device"): its refresh tokens and access tokens
   * are refused on every instance. `false`, and nothing revoked, when `identity` has no live
   * session `id`: a user can end its own sessions only.
   */
  revokeSession(identity: string | number, id: string): Promise<boolean>
  /**
   * The `GET /.well-known/jwks.json` response: the public parts of the verification keys, with
   * Cache-Control. `undefined` when there is nothing to publish (HMAC secrets, remote JWKS).
   */
  jwks(): HttpResponse | undefined
  /** The response for any error, with the challenge of `realm` (default: the guard's). */
  errorResponse(error: unknown, realm?: string): HttpResponse
  /** Runs `callback` with `identity` as {@link currentIdentity} (just runs it when `currentIdentity` is off). */
  runWithIdentity<R>(identity: unknown, callback: () => R): R
  /** The identity of the protected request being handled, typed by this guard; else `undefined`. */
  currentIdentity(): TIdentity | undefined
  /** The `405` error for a method other than those in `allow`. */
  methodNotAllowed(allow: readonly string[]): JwtGuardError
  /** The `404` error for an unknown route. */
  notFound(): JwtGuardError
}
