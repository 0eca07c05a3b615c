/**
 * A token store seen through a forwarding view, for the session-check benchmarks (server.ts,
 * family-ab.ts): every store they compare pays the same indirection, and `checkSession: false`
 * makes the view's session (family) check a no-op, so the check alone is what differs.
 */
import type { TokenStore } from 'jwtguard'

/** `store` with a view that forwards to its own; without `checkSession` no session is revoked. */
export function forwardingStore<T extends TokenStore>(store: T, checkSession: boolean): T {
  return {
    ...store,
    view: {
      get available() {
        return store.view.available
      },
      get size() {
        return store.view.size
      },
      isRevoked: (jti: string) => store.view.isRevoked(jti),
      isFamilyRevoked: checkSession
        ? (familyId: string) => store.view.isFamilyRevoked(familyId)
        : () => false,
      revokedBefore: (identity: string) => store.view.revokedBefore(identity),
      revokedBeforeAll: () => store.view.revokedBeforeAll?.() ?? null,
    },
  }
}
