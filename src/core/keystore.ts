/**
 * A keystore: one active signing key and any number of verification-only keys, each with a `kid`.
 * Rotation makes a new key active and keeps the previous one verifying until it retires, so tokens
 * it signed stay valid until they expire. Verifiers over a keystore follow its changes at runtime.
 *
 * @module
 */
import { isAsymmetricKey } from './asymmetric.js'
import { type Duration, toSeconds } from './internal/duration.js'
import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, type JwtKey, type KeySet, type KeySource } from './keys.js'

/** Options of {@link createKeyStore}. */
export interface KeyStoreOptions {
  /** The key new tokens are signed with. It must have a `kid` and be able to sign. */
  active: JwtKey
  /** Keys that only verify: previous keys still in use, or the next key published in advance. */
  verifyOnly?: readonly JwtKey[] | undefined
  /**
   * How long a key keeps verifying after {@link KeyStore.rotate} replaced it: the longest lifetime
   * of any token it signed, plus the verifiers' leeway. Seconds or a string like `15m`.
   * @default '1d'
   */
  maxTokenLifetime?: Duration | undefined
  /**
   * The clock, in seconds since the epoch. Inject a fixed one in tests.
   * @default () => Date.now() / 1000
   */
  now?: (() => number) | undefined
}

/** One key of a keystore, as listed by {@link KeyStore.entries}. */
export interface KeyStoreEntry {
  readonly key: JwtKey
  /** True for the signing key. */
  readonly active: boolean
  /** When the key stops verifying, in seconds since the epoch; `undefined` for never. */
  readonly retireAt: number | undefined
}

/** Options of {@link KeyStore.rotate}. */
export interface RotateOptions {
  /**
   * How long the replaced key keeps verifying.
   * @default the store's `maxTokenLifetime`
   */
  retireAfter?: Duration | undefined
}

/** Options of {@link KeyStore.add}. */
export interface AddKeyOptions {
  /** When the key stops verifying, in seconds since the epoch. @default never */
  retireAt?: number | undefined
}

/** The object returned by {@link createKeyStore}. Give it to `createVerifier({ keys })` and `signToken`. */
export interface KeyStore extends KeySource {
  /** The key new tokens are signed with. */
  readonly activeKey: JwtKey
  /** Increases on every change (rotation, addition, retirement, expiry of a retired key). */
  readonly version: number
  /** Seconds a replaced key keeps verifying by default (the `maxTokenLifetime` option). */
  readonly maxTokenLifetime: number
  /** The key with this `kid`, if it still verifies. */
  get(kid: string): JwtKey | undefined
  /** Every key that still verifies, the active one first. */
  entries(): readonly KeyStoreEntry[]
  /** Adds a verification-only key (for instance the next key, published before it signs). */
  add(key: JwtKey, options?: AddKeyOptions): void
  /**
   * Makes `key` the signing key. The previous one keeps verifying for `retireAfter` (default: the
   * store's `maxTokenLifetime`), then retires. A key already present as verification-only is promoted.
   * @returns the previous active key.
   */
  rotate(key: JwtKey, options?: RotateOptions): JwtKey
  /**
   * Stops verifying with a verification-only key at once. The active key cannot be retired.
   * @returns whether a key with this kid was removed.
   */
  retire(kid: string): boolean
}

const KNOWN_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS]
const stores = new WeakSet<object>()

/**
 * True for objects made by {@link createKeyStore}.
 *
 * @example
 * ```ts
 * import { createKeyStore, generateAsymmetricKey, isKeyStore } from 'jwtguard'
 * isKeyStore(createKeyStore({ active: generateAsymmetricKey('ES256', { kid: 'k1' }) })) // true
 * ```
 */
export function isKeyStore(value: unknown): value is KeyStore {
  return typeof value === 'object' && value !== null && stores.has(value)
}

function assertKey(key: JwtKey, role: string): string {
  if (
    typeof key !== 'object' ||
    key === null ||
    typeof key.sign !== 'function' ||
    typeof key.verify !== 'function' ||
    !KNOWN_ALGORITHMS.includes(key.alg)
  ) {
    throw new TypeError(`${role} must be a key from createHmacKey() or createAsymmetricKey()`)
  }
  if (typeof key.kid !== 'string' || key.kid === '') {
    throw new TypeError(
      `${role} needs a kid: a keystore finds keys by kid (give { kid } when creating the key)`,
    )
  }
  return key.kid
}

function assertCanSign(key: JwtKey, role: string): void {
  if (isAsymmetricKey(key) && !key.canSign) {
    throw new TypeError(`${role} is a public key: the signing key needs its private part`)
  }
}

/**
 * Creates a keystore.
 *
 * @example
 * ```ts
 * import { createKeyStore, generateAsymmetricKey, createVerifier, signToken } from 'jwtguard'
 * const store = createKeyStore({ active: generateAsymmetricKey('ES256', { kid: '2025-01' }), maxTokenLifetime: '15m' })
 * const verify = createVerifier({ keys: store })
 * const token = signToken(payload, store)              // header carries kid "2025-01"
 * store.rotate(generateAsymmetricKey('ES256', { kid: '2025-02' })) // old tokens verify for 15 more minutes
 * ```
 */
export function createKeyStore(options: KeyStoreOptions): KeyStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required')
  const now = options.now ?? (() => Date.now() / 1000)
  if (typeof now !== 'function') throw new TypeError('now must be a function returning seconds')
  const maxTokenLifetime = toSeconds(options.maxTokenLifetime ?? '1d', 'maxTokenLifetime')

  assertKey(options.active, 'active')
  assertCanSign(options.active, 'active')
  let active: JwtKey = options.active
  /** Verification-only keys by kid, with their retirement time. */
  const others = new Map<string, { key: JwtKey; retireAt: number | undefined }>()
  for (const key of options.verifyOnly ?? []) {
    const kid = assertKey(key, 'each verifyOnly key')
    if (kid === active.kid || others.has(kid)) throw new TypeError(`kid "${kid}" is used by two keys`)
    others.set(kid, { key, retireAt: undefined })
  }

  let version = 0
  let set: KeySet
  let nextRetirement = Number.POSITIVE_INFINITY

  function publish(): void {
    version += 1
    nextRetirement = Number.POSITIVE_INFINITY
    for (const entry of others.values()) {
      if (entry.retireAt !== undefined && entry.retireAt < nextRetirement) nextRetirement = entry.retireAt
    }
    set = Object.freeze({
      version,
      keys: Object.freeze([active, ...[...others.values()].map((entry) => entry.key)]),
      defaultKey: active,
    })
  }

  function prune(): void {
    const at = now()
    let changed = false
    for (const [kid, entry] of others) {
      if (entry.retireAt !== undefined && entry.retireAt <= at) {
        others.delete(kid)
        changed = true
      }
    }
    if (changed) publish()
  }

  publish()

  const store: KeyStore = {
    get activeKey() {
      return active
    },
    get version() {
      prune()
      return version
    },
    maxTokenLifetime,
    current() {
      if (nextRetirement <= now()) prune()
      return set
    },
    get(kid) {
      prune()
      if (kid === active.kid) return active
      return others.get(kid)?.key
    },
    entries() {
      prune()
      return [
        { key: active, active: true, retireAt: undefined },
        ...[...others.values()].map((entry) => ({ key: entry.key, active: false, retireAt: entry.retireAt })),
      ]
    },
    add(key, addOptions = {}) {
      const kid = assertKey(key, 'key')
      if (kid === active.kid || others.has(kid))
        throw new TypeError(`kid "${kid}" is already in the keystore`)
      const retireAt = addOptions.retireAt
      if (retireAt !== undefined && !Number.isFinite(retireAt)) {
        throw new TypeError('retireAt must be a time in seconds since the epoch')
      }
      others.set(kid, { key, retireAt })
      publish()
    },
    rotate(key, rotateOptions = {}) {
      const kid = assertKey(key, 'the new key')
      assertCanSign(key, 'the new key')
      if (kid === active.kid) throw new TypeError(`kid "${kid}" is already the active key`)
      const existing = others.get(kid)
      if (existing !== undefined && existing.key !== key) {
        throw new TypeError(`kid "${kid}" belongs to another key in the keystore`)
      }
      const retireAfter =
        rotateOptions.retireAfter === undefined
          ? maxTokenLifetime
          : toSeconds(rotateOptions.retireAfter, 'retireAfter')
      const previous = active
      others.delete(kid)
      others.set(previous.kid as string, { key: previous, retireAt: now() + retireAfter })
      active = key
      publish()
      return previous
    },
    retire(kid) {
      if (kid === active.kid)
        throw new TypeError('the active key cannot be retired: rotate() to a new key first')
      if (!others.delete(kid)) return false
      publish()
      return true
    },
  }
  stores.add(store)
  return store
}
