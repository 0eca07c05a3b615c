/**
 * Issuing a session's tokens: the claims of a user as it is now (login and every refresh), the
 * signed pair, and the refresh token's record in the store.
 *
 * @module
 */
import type { TokenStore } from '../../stores/types.js'
import type { JwtPayload } from '../claims.js'
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
import { definedDetails, type SessionDetails } from './sessions.js'

/** A pair as issued, with the refresh token's record when there is one. */
export interface Issued {
  tokens: IssuedTokens
  refresh: IssuedRefresh | undefined
}

/** What login, refresh and `createAccessToken` issue through. */
export interface SessionIssuer {
  /** The store's presence decides refresh tokens; `withRefresh: false` issues an access token only. */
  issue(
    user: AuthenticatedUser,
    context: Omit<IssueContext, 'withRefresh' | 'stamp'>,
    withRefresh?: boolean,
  ): Issued
  /**
   * Saves the refresh token of `issued` in its family (nothing without a store), with what the
   * session list shows of it: since when, and from which device.
   */
  save(issued: Issued, identity: string | number, familyId: string, details?: SessionDetails): Promise<void>
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
  return {
    issue(user, context, withRefresh = store !== undefined) {
      const handler =
        payloadHandler === undefined ? undefined : (defaults: JwtPayload) => payloadHandler(user, defaults)
      return issueTokens(resolved, { ...context, withRefresh, stamp: store !== undefined }, handler)
    },
    async save(issued, identity, familyId, details = {}) {
      if (store === undefined || issued.refresh === undefined) return
      await store.saveRefresh({
        id: issued.refresh.jti,
        familyId,
        identity: String(identity),
        issuedAt: issued.refresh.issuedAt,
        expiresAt: issued.refresh.exp + resolved.leeway,
        ...definedDetails(details),
      })
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
}
