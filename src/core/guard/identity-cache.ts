/**
 * The identity cache: what the `identity` callback returned, per identity (the `identityClaim`),
 * so that a protected request does not ask the user store each time.
 *
 * Never stale on the events that end sessions: an entry is kept together with the identity's
 * "log out everywhere" cut-off (and the fleet-wide one) that the token store's view held when the
 * entry was loaded, and is used only while the view still holds the same values. The view follows
 * every instance's `revokeAllFor` (Redis through pub/sub, SQLite through its sync), so a password
 * change, a role removal or a removal made on any instance reaches every instance's cache as fast
 * as the revocation itself. `guard.revokeAllFor` also forgets the entry at once on its own
 * instance. An entry also expires with the token that loaded it (`exp`) and after `maxAge`.
 *
 * @module
 */
import type { RevocationView } from '../../stores/types.js'
import type { JwtPayload } from '../claims.js'
import type { MaybePromise } from '../options.js'

/** What the cache is built with (resolved options). */
export interface IdentityCacheSettings {
  maxEntries: number
  /** Seconds an entry is kept at most. */
  maxAge: number
  identityClaim: string
  /** The guard's clock, in seconds. */
  now: () => number
  view: RevocationView
}

/** The `identity` callback's shape. */
type IdentityCallback<TIdentity> = (payload: JwtPayload) => MaybePromise<TIdentity | null | undefined>

interface Entry<TIdentity> {
  identity: TIdentity
  /** `typeof` the claim it was loaded for: `123` and `'123'` are not the same identity. */
  kind: 'string' | 'number'
  expiresAt: number
  cutOff: number | null
  everyone: number | null
}

/** The cached callback, and the forgetting that `revokeAllFor` does on this instance. */
export interface IdentityCache<TIdentity> {
  identity: IdentityCallback<TIdentity>
  forget(identity: string | number): void
  readonly size: number
}

/** Whether `at` is past both cut-offs. */
function after(at: number, cutOff: number | null, everyone: number | null): boolean {
  return (cutOff === null || at > cutOff) && (everyone === null || at > everyone)
}

/** Wraps `identity` with a bounded, least-recently-used cache (see the module's description). */
export function createIdentityCache<TIdentity>(
  identity: IdentityCallback<TIdentity>,
  settings: IdentityCacheSettings,
): IdentityCache<TIdentity> {
  const { maxEntries, maxAge, identityClaim, now, view } = settings
  const entries = new Map<string, Entry<TIdentity>>()
  // Bumped by every forget(): a load that started before it does not store what it read.
  let epoch = 0

  function store(id: string, entry: Entry<TIdentity>): void {
    entries.delete(id)
    entries.set(id, entry)
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
  }

  function cached(payload: JwtPayload): MaybePromise<TIdentity | null | undefined> {
    const claim = payload[identityClaim]
    const kind = typeof claim
    // Without a complete view, nothing tells an entry is stale: ask the callback.
    if ((kind !== 'string' && kind !== 'number') || !view.available) return identity(payload)
    const id = String(claim)
    const cutOff = view.revokedBefore(id)
    const everyone = view.revokedBeforeAll?.() ?? null
    const at = now()
    const entry = entries.get(id)
    if (entry !== undefined) {
      if (
        entry.kind === kind &&
        entry.cutOff === cutOff &&
        entry.everyone === everyone &&
        at < entry.expiresAt
      ) {
        // Least recently used goes first: move the hit to the end.
        entries.delete(id)
        entries.set(id, entry)
        return entry.identity
      }
      entries.delete(id)
    }
    const started = epoch
    const exp = typeof payload.exp === 'number' ? payload.exp : Number.POSITIVE_INFINITY
    const keep = (loaded: TIdentity | null | undefined): TIdentity | null | undefined => {
      // A missing user is not kept: creating it later ends no session.
      // Nor one loaded at or before a cut-off's instant: a second change within that instant would
      // leave the cut-off as it is.
      if (loaded !== null && loaded !== undefined && epoch === started && after(at, cutOff, everyone)) {
        const expiresAt = Math.min(at + maxAge, exp)
        if (at < expiresAt) store(id, { identity: loaded, kind, expiresAt, cutOff, everyone })
      }
      return loaded
    }
    const loaded = identity(payload)
    return typeof (loaded as { then?: unknown } | null | undefined)?.then === 'function'
      ? Promise.resolve(loaded).then(keep)
      : keep(loaded as TIdentity | null | undefined)
  }

  return {
    identity: cached,
    forget(id) {
      epoch += 1
      entries.delete(String(id))
    },
    get size() {
      return entries.size
    },
  }
}
