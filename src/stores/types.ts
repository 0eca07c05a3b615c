/**
 * The token store seam: revoked access tokens, "log out everywhere" cut-offs and refresh-token
 * families, behind one small async interface implemented for memory, SQLite and Redis, plus a
 * synchronous {@link RevocationView} for the per-request hot path.
 *
 * Every time is in **seconds since the epoch**. Expiry times are rounded up to a whole second;
 * an entry is live while `expiresAt > now` and disappears once `now >= expiresAt`, so storage
 * never grows without bound.
 *
 * @module jwtguard/stores
 */

/** A refresh token as a store keeps it. The token itself is never stored, only its claims. */
export interface RefreshRecord {
  /** The refresh token's `jti`. Must be unique (a random UUID). */
  id: string
  /** The family: every refresh token descended from one login shares it. */
  familyId: string
  /** The identity the token was issued to, as a string (`String(payload.identity)`). */
  identity: string
  /** The refresh token's `iat`, compared with the identity's {@link TokenStore.revokeAllFor} cut-off. */
  issuedAt: number
  /** The refresh token's `exp`; the record (and its spent marker) is kept until then. */
  expiresAt: number
  /**
   * When the session (the family) began: the login's time, carried from token to token, so the
   * session list can say since when a device is logged in. Stores return it as saved; absent on
   * records saved before sessions were listed.
   */
  createdAt?: number | undefined
  /** The `User-Agent` of the request that got this token (at most 256 characters). */
  userAgent?: string | undefined
  /** The client address of the request that got this token (see the guard's `trustProxy`). */
  clientAddress?: string | undefined
}

/**
 * A live session as {@link TokenStore.sessions} lists it: one refresh family, described by its
 * newest refresh token.
 */
export interface SessionRecord {
  /** The family id: what access and refresh tokens carry as `fam`. */
  id: string
  /** The identity the session belongs to. */
  identity: string
  /** When the session began (its login); the first token's `issuedAt` when unknown. */
  createdAt: number
  /** When it last got tokens: its newest refresh token's `issuedAt` (the login, or the last refresh). */
  lastUsedAt: number
  /** When its newest refresh token expires: the session ends then unless refreshed. */
  expiresAt: number
  /** The `User-Agent` of its last login or refresh, `null` when none was recorded. */
  userAgent: string | null
  /** The client address of its last login or refresh, `null` when none was recorded. */
  clientAddress: string | null
}

/**
 * What {@link TokenStore.consumeRefresh} found. Checks run in this order: `unknown`,
 * `family-revoked`, `identity-revoked`, `concurrent` or `reused`, and only then is the token
 * spent (`ok`).
 */
export type ConsumeResult =
  /** First presentation: the token is now spent; issue the next pair in the same family. */
  | { status: 'ok'; record: RefreshRecord }
  /**
   * The token was already spent: it has been stolen or replayed. The caller must revoke the whole
   * family ({@link TokenStore.revokeFamily}) and answer 401.
   */
  | { status: 'reused'; record: RefreshRecord }
  /**
   * The token was spent less than the `reuseInterval` given to `consumeRefresh` ago: a concurrent
   * rotation (two tabs refreshing at once), not a theft. The caller issues a sibling pair in the
   * same family instead of revoking it.
   */
  | { status: 'concurrent'; record: RefreshRecord }
  /** The token's family was revoked (logout, or an earlier reuse): answer 401. */
  | { status: 'family-revoked'; record: RefreshRecord }
  /** The token was issued before its identity's "log out everywhere" cut-off: answer 401. */
  | { status: 'identity-revoked'; record: RefreshRecord }
  /** Never saved, or expired (at the `now` given): answer 401. */
  | { status: 'unknown' }

/**
 * A synchronous, in-process view of the revocation state, for the per-request check: no I/O, no
 * promise. Memory answers from its own maps; SQLite from a mirror loaded at open and updated on
 * every write (and on other connections' commits, see its `syncInterval`); Redis from a mirror
 * kept current through pub/sub and rebuilt (SCAN) on every (re)connection.
 *
 * @example
 * ```ts
 * if (store.view.isRevoked(payload.jti) ||
 *     (store.view.revokedBefore(String(payload.identity)) ?? -Infinity) > payload.iat) {
 *   throw new JwtGuardError('ERR_TOKEN_REVOKED', 'Token has been revoked')
 * }
 * ```
 */
export interface RevocationView {
  /**
   * `true` while the view is known to be complete. Always `true` for memory and SQLite. For
   * Redis, `false` from the moment the subscription connection drops until it is back and the view
   * has been rebuilt; the view methods then follow the store's `onUnavailable` policy.
   */
  readonly available: boolean
  /**
   * How many entries the view holds in memory (revoked ids, families and cut-offs), expired ones not yet
   * swept included: what its memory grows with. Every store sweeps expired entries on its own
   * timer, so it follows the live revocations, not their history.
   */
  readonly size: number
  /**
   * Whether `jti` is revoked and its entry not yet expired.
   * @throws {JwtGuardError} when the view is unavailable and the store fails closed.
   */
  isRevoked(jti: string): boolean
  /**
   * Whether the refresh-token family is revoked (logout, reuse detection, a session revoked): the
   * access tokens of that family (their `fam` claim) are refused too. Kept until the family's
   * expiry, so the view holds one entry per family revoked within the refresh lifetime.
   * @throws {JwtGuardError} when the view is unavailable and the store fails closed.
   */
  isFamilyRevoked(familyId: string): boolean
  /**
   * The identity's "log out everywhere" cut-off: tokens whose `iat` is strictly below it are
   * refused. `null` when there is none (or it expired).
   * @throws {JwtGuardError} when the view is unavailable and the store fails closed.
   */
  revokedBefore(identity: string): number | null
  /**
   * The fleet-wide cut-off, whatever the identity: tokens whose `iat` is strictly below it are
   * refused. A shared store sets it when it finds its data lost (Redis restarted empty, flushed
   * or replaced): revocations made before may be gone, so every token issued before is refused,
   * by every instance alike. `null` (or no method) when there is none.
   */
  revokedBeforeAll?(): number | null
}

/**
 * Persistence of the token lifecycle. Every method is async so network-backed stores fit the same
 * seam; argument misuse (empty id, non-finite time) rejects with a `TypeError`, an unreachable
 * backend with a {@link jwtguard!JwtGuardError | JwtGuardError}.
 */
export interface TokenStore {
  /** The synchronous view for the hot path. See {@link RevocationView}. */
  readonly view: RevocationView
  /**
   * Revokes an access token by `jti` (or, for a token without one, a hash of the token). The
   * entry lives until `expiresAt`: pass the token's `exp` plus the verifier's leeway. Revoking
   * again keeps the later expiry.
   */
  revoke(jti: string, expiresAt: number): Promise<void>
  /** Whether `jti` is revoked, read from the backend itself (authoritative, not the view). */
  isRevoked(jti: string): Promise<boolean>
  /**
   * "Log out everywhere": every token of `identity` whose `iat` is below `before` is refused,
   * access and refresh alike. The cut-off is kept until `expiresAt`: pass `before` plus the
   * longest token lifetime (refresh) plus leeway. A later call keeps the larger of each value.
   */
  revokeAllFor(identity: string, before: number, expiresAt: number): Promise<void>
  /** The identity's cut-off, read from the backend; `null` when none is live. */
  revokedBefore(identity: string): Promise<number | null>
  /**
   * Saves a freshly issued refresh token. Rejects with a `TypeError` when a live record with the
   * same id exists: an id is never reused, so a spent marker is never reset.
   */
  saveRefresh(record: RefreshRecord): Promise<void>
  /**
   * Atomically reads and spends a refresh token: of any number of concurrent calls for one id,
   * on one or several processes sharing the backend, exactly one gets `ok`. A spent marker is kept
   * until the record's `expiresAt`, so a replay is reported as `reused` (see {@link ConsumeResult}).
   * A record whose `expiresAt <= now` is `unknown`. A token spent at most `reuseInterval` seconds
   * before `now` (default 0: never) is `concurrent` instead of `reused`; the spent time is read and
   * written in the same atomic step.
   */
  consumeRefresh(id: string, now: number, reuseInterval?: number): Promise<ConsumeResult>
  /**
   * Revokes a refresh-token family until `expiresAt` (the longest refresh lifetime from now): its
   * refresh tokens and, through the view, its access tokens, on every instance.
   */
  revokeFamily(familyId: string, expiresAt: number): Promise<void>
  /** Whether the family is revoked, read from the backend. */
  isFamilyRevoked(familyId: string): Promise<boolean>
  /**
   * The live sessions of `identity` at `now`, newest use first: its refresh families with a
   * refresh token not yet expired, neither revoked nor issued before the identity's cut-off. Read
   * from the backend, so every instance lists the same. Optional so that stores written before
   * keep compiling; the guard's `sessions()` and `revokeSession()` need it, and the conformance
   * suite of `jwtguard/testing` holds a store to it.
   */
  sessions?(identity: string, now: number): Promise<SessionRecord[]>
  /**
   * Removes every entry expired at `now` and returns how many rows/keys were removed from the
   * backend (always 0 for Redis, which expires keys itself). Stores also prune on their own.
   */
  prune(now: number): Promise<number>
  /** Stops timers and subscriptions, closes what the store opened. Idempotent. */
  close(): Promise<void>
  /**
   * Claims `key` until `expiresAt` (seconds since the epoch, rounded up to a whole second):
   * resolves to `true` for the first claim, `false` while the key is claimed already. Atomic: of
   * any number of concurrent calls for one key, on one or several processes sharing the backend,
   * exactly one gets `true`. A key whose claim expired can be claimed again. The guard's DPoP
   * replay cache (proof ids) uses it, so a proof is accepted once across every instance.
   * Optional: without it, that cache is kept in each process.
   */
  claimOnce?(key: string, expiresAt: number): Promise<boolean>
}
