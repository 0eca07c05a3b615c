/**
 * The current user's sessions, `GET /api/v1/sessions` and `DELETE /api/v1/sessions/{id}`: written
 * once here, mounted by every framework's app with the identity and payload its adapter verified.
 */
import type { JwtGuard, JwtPayload } from 'jwtguard'
import { failure } from 'jwtguard/adapter'
import type { SessionRecord } from 'jwtguard/stores/memory'

/** Where the session routes are mounted; `{id}` is the session's id (its refresh family). */
export const SESSIONS_PATH = '/api/v1/sessions'

/** One session as the API shows it: times in seconds since the epoch, `current` for this request's. */
export interface SessionView {
  id: string
  created_at: number
  last_used_at: number
  expires_at: number
  user_agent: string | null
  client_address: string | null
  current: boolean
}

function view(session: SessionRecord, currentFamily: unknown, leeway: number): SessionView {
  return {
    id: session.id,
    created_at: Math.floor(session.createdAt),
    last_used_at: Math.floor(session.lastUsedAt),
    // The store keeps a token until its `exp` plus the leeway; the API says when it expires.
    expires_at: session.expiresAt - leeway,
    user_agent: session.userAgent,
    client_address: session.clientAddress,
    current: session.id === currentFamily,
  }
}

/** The identity the token was issued to (the session list is keyed by it, as the store keeps it). */
function identityOf(guard: JwtGuard<unknown>, payload: JwtPayload): string | number {
  const identity = payload[guard.options.identityClaim]
  if (typeof identity !== 'string' && typeof identity !== 'number') throw failure('userNotFound')
  return identity
}

/** `GET /api/v1/sessions`: the current user's live sessions, newest use first. */
export async function listSessions(
  guard: JwtGuard<unknown>,
  payload: JwtPayload,
): Promise<{ sessions: SessionView[] }> {
  const sessions = await guard.sessions(identityOf(guard, payload))
  const { leeway } = guard.options
  return { sessions: sessions.map((session) => view(session, payload.fam, leeway)) }
}

/**
 * `DELETE /api/v1/sessions/{id}`: ends one of the current user's sessions (204). Another user's
 * session, or an id that is none, is a 404 alike: nothing tells whether it exists.
 */
export async function endSession(guard: JwtGuard<unknown>, payload: JwtPayload, id: string): Promise<void> {
  if (!(await guard.revokeSession(identityOf(guard, payload), id))) throw failure('sessionNotFound')
}
