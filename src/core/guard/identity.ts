/**
 * The identity of a verified payload: the `identity` callback (Flask-JWT's `identity_handler`),
 * the `schema`'s output, or both (the schema validates, the callback loads). Synchronous when the
 * callback is and there is no schema, so the common request path makes no promise.
 *
 * @module
 */
import type { JwtPayload } from '../claims.js'
import { failure } from '../failures.js'
import type { MaybePromise } from '../options.js'
import { type StandardSchemaV1, validateWithSchema } from '../schema.js'

/** Loads the identity of a payload; throws `ERR_USER_NOT_FOUND` when there is none. */
export type IdentityLoader<TIdentity> = (payload: JwtPayload) => TIdentity | Promise<TIdentity>

/**
 * The loader for a guard's `identity` and `schema` options. At least one is set, unless
 * `claimsByDefault` (a resource server's RFC 9068 profile): then the identity is the verified
 * claims themselves, as the authorization server stated them, with no user store.
 */
export function createIdentityLoader<TIdentity>(
  identity: ((payload: JwtPayload) => MaybePromise<TIdentity | null | undefined>) | undefined,
  schema: StandardSchemaV1<unknown, TIdentity> | undefined,
  claimsByDefault = false,
): IdentityLoader<TIdentity> {
  if (identity === undefined && schema === undefined && claimsByDefault) {
    return (payload) => payload as TIdentity
  }
  if (schema !== undefined) {
    return async (payload) => {
      const validated = await validateWithSchema(schema, payload)
      return present(identity === undefined ? validated : await identity(payload))
    }
  }
  const load = identity as (payload: JwtPayload) => MaybePromise<TIdentity | null | undefined>
  return (payload) => {
    const loaded = load(payload)
    return typeof (loaded as { then?: unknown } | null | undefined)?.then === 'function'
      ? Promise.resolve(loaded).then(present)
      : present(loaded as TIdentity | null | undefined)
  }
}

function present<TIdentity>(identity: TIdentity | null | undefined): TIdentity {
  if (identity === null || identity === undefined) throw failure('userNotFound')
  return identity
}
