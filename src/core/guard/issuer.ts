/**
 * Issuing a session's tokens: the claims of a user as it is now (login and every refresh), the
 * signed pair, and the refresh token's record in the store.
 *
 * @module
 */
import type { TokenStore } from '../../stores/types.js'
import type { JwtPayload } from '../claims.js'
import { newCsrfValue } from '../cookies.js'
import { failure } from '../failures.js'
import {
  customClaims,
  type IssueContext,
  type IssuedRefresh,
  type IssuedTokens,
  issueTokens,
  userId,
} from '../issue.js'
import type { AuthenticatedUser, IssuingOptions } from '../options.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'

/** A pair as issued, with the refresh token's record when there is one. */
export interface Issued {
  tokens: IssuedTokens
  refresh: IssuedRefresh | undefined
}

/** A session's pair as login and refresh answer it, with cookie mode's CSRF value. */
export interface IssuedSession {
  tokens: IssuedTokens
  /** The CSRF value written into the access token (cookie mode), for its cookie. */
  csrf: string | undefined
}

/** What login, refresh and `createAccessToken` issue through. */
export interface SessionIssuer {
  /**
   * Issues and saves a session's pair for `user` as it is now: a login's (`fresh`, a new family)
   * or a refresh's (the family it rotates). In cookie mode the access token carries a new CSRF
   * value.
   */
  issueSession(user: AuthenticatedUser, session: { fresh: boolean; familyId: string }): Promise<IssuedSession>
  /** The store's presence decides refresh tokens; `withRefresh: false` issues an access token only. */
  issue(
    user: AuthenticatedUser,
    context: Omit<IssueContext, 'withRefresh' | 'stamp'>,
    withRefresh?: boolean,
  ): Issued
  /** The custom claims of `user` (`additionalClaims`, reserved names refused). */
  claimsOf(user: AuthenticatedUser): Record<string, unknown>
  /**
   * The user a refresh issues for, as it is now: `lookupUser` asks the user store (null: removed
   * or disabled, refused), else only the identity is kept. Claims are never copied from the token.
   */
  currentUser(payload: JwtPayload): Promise<AuthenticatedUser>
}

type IssuerSettings = Pick<IssuingOptions, 'additionalClaims' | 'payloadHandler' | 'lookupUser'>

/** The issuer of a guard in issuer mode. */
export function createSessionIssuer(
  resolved: ResolvedIssuerOptions,
  settings: IssuerSettings,
  store: TokenStore | undefined,
): SessionIssuer {
  const { payloadHandler, lookupUser } = settings
  const { identityClaim } = resolved
  const issuer: SessionIssuer = {
    issue(user, context, withRefresh = store !== undefined) {
      const handler =
        payloadHandler === undefined ? undefined : (defaults: JwtPayload) => payloadHandler(user, defaults)
      return issueTokens(resolved, { ...context, withRefresh, stamp: store !== undefined }, handler)
    },
    async issueSession(user, { fresh, familyId }) {
      const identity = userId(user)
      const csrf = resolved.cookies === undefined ? undefined : newCsrfValue()
      const claims = issuer.claimsOf(user)
      const issued = issuer.issue(user, {
        identity,
        fresh,
        familyId,
        claims: csrf === undefined ? claims : { ...claims, csrf },
      })
      const refresh = issued.refresh
      if (store !== undefined && refresh !== undefined) {
        await store.saveRefresh({
          id: refresh.jti,
          familyId,
          identity: String(identity),
          issuedAt: refresh.issuedAt,
          expiresAt: refresh.exp + resolved.leeway,
        })
      }
      return { tokens: issued.tokens, csrf }
    },
    claimsOf: (user) => customClaims(settings, resolved, user),
    async currentUser(payload) {
      const id = payload[identityClaim]
      if (typeof id !== 'string' && typeof id !== 'number') {
        throw failure('refreshNoIdentity', { claim: identityClaim })
      }
      if (lookupUser === undefined) return { id }
      const user = await lookupUser(id)
      if (user === null || user === undefined || String(userId(user)) !== String(id)) {
        throw failure('userNotFound')
      }
      return user
    },
  }
  return issuer
}
