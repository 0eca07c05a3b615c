/**
 * Sessions as a user sees them: what a login or refresh records of the device (user agent,
 * client address), the list of a user's live sessions and revoking one of them.
 *
 * @module
 */
import type { SessionRecord, TokenStore } from '../../stores/types.js'
import type { AuthRequest } from '../body.js'
import { readHeader } from '../extract.js'
import { clientAddress } from '../throttle.js'

/** What a refresh record keeps of its session besides the token's claims. */
export interface SessionDetails {
  createdAt?: number | undefined
  userAgent?: string | undefined
  clientAddress?: string | undefined
}

/** The longest user agent and address kept (what the stores accept). */
const MAX_TEXT = 256

/** Printable text only, at most {@link MAX_TEXT} characters; `undefined` when nothing is left. */
function printable(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const text = value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_TEXT)
  return text === '' ? undefined : text
}

/** The device a login or refresh request comes from. */
export function requestDetails(request: AuthRequest, trustedProxies: number): SessionDetails {
  const headers = request.headers ?? {}
  const address = clientAddress(headers, request.remoteAddress, trustedProxies)
  return {
    userAgent: printable(readHeader(headers, 'user-agent')),
    clientAddress: address === 'unknown' ? undefined : printable(address),
  }
}

/** Drops the fields that are `undefined`: a store keeps a record as it is given. */
export function definedDetails(details: SessionDetails): SessionDetails {
  const defined: SessionDetails = {}
  if (details.createdAt !== undefined) defined.createdAt = details.createdAt
  if (details.userAgent !== undefined) defined.userAgent = details.userAgent
  if (details.clientAddress !== undefined) defined.clientAddress = details.clientAddress
  return defined
}

/** The guard's `sessions` and `revokeSession`. */
export interface SessionList {
  sessions(identity: string | number): Promise<SessionRecord[]>
  revokeSession(identity: string | number, id: string): Promise<boolean>
}

/** What revoking a session needs to know: the clock and how long its tokens may live. */
export interface SessionListOptions {
  now: () => number
  /** Seconds a revoked family is kept: the longest refresh lifetime plus leeway. */
  keepRevoked: number
}

/** The session list over a store; without one (or one without `sessions`) every call rejects. */
export function createSessionList(store: TokenStore | undefined, options: SessionListOptions): SessionList {
  const list = async (identity: string | number): Promise<SessionRecord[]> => {
    if (store === undefined) throw new TypeError('sessions need a token store: set the store option')
    if (typeof store.sessions !== 'function') {
      throw new TypeError('this token store cannot list sessions: it has no sessions(identity, now)')
    }
    return store.sessions(String(identity), options.now())
  }
  return {
    sessions: list,
    async revokeSession(identity, id) {
      if (typeof id !== 'string' || id === '') return false
      // Only a session of this identity: a user can end its own sessions, no one else's.
      const own = (await list(identity)).some((session) => session.id === id)
      if (own) await store?.revokeFamily(id, options.now() + options.keepRevoked)
      return own
    },
  }
}
