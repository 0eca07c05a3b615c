/**
 * The reference server's own production policy, beyond the environment's (src/config/policy.ts,
 * shared with `jwtguard config check`): the production cookie names. The demo user, which only
 * this server creates, is refused at start-up in production (context.ts).
 */

/** The names of the session cookies: `__Host-` (and `__Secure-` for the refresh cookie, whose path is not `/`) in production. */
export function cookieNames(prefixed: boolean): {
  accessName: string
  refreshName: string
  csrfName: string
} {
  return prefixed
    ? {
        accessName: '__Host-access_token_cookie',
        refreshName: '__Secure-refresh_token_cookie',
        csrfName: '__Host-csrf_access_token',
      }
    : {
        accessName: 'access_token_cookie',
        refreshName: 'refresh_token_cookie',
        csrfName: 'csrf_access_token',
      }
}
