/**
 * Keys from files: one key file (PEM, DER or JWK), or a directory of them as a keystore.
 *
 * @module
 */
import type * as Fs from 'node:fs'
import type * as Path from 'node:path'
import {
  type AsymmetricKey,
  type AsymmetricKeyOptions,
  createAsymmetricKey,
  isAsymmetricKey,
} from './asymmetric.js'
import { nodeBuiltin } from './internal/builtin.js'
import type { Duration } from './internal/duration.js'
import { jwkThumbprint } from './jwk.js'
import { createKeyStore, type KeyStore } from './keystore.js'

// Loaded on first use, not imported: the package loads where there is no file system (workerd).
const fs = () => nodeBuiltin<typeof Fs>('node:fs', 'reading key files')
const nodePath = () => nodeBuiltin<typeof Path>('node:path', 'reading key files')

/** File extensions {@link readKeyDirectory} reads. */
export const KEY_FILE_EXTENSIONS = ['.pem', '.key', '.der', '.jwk', '.json'] as const

/**
 * Reads one asymmetric key file: PEM (private key, public key or certificate), DER, or a JWK.
 *
 * @example
 * ```ts
 * import { readKeyFile } from 'jwtguard'
 * const key = readKeyFile('/run/secrets/jwt-es256.pem', { kid: '2025-01' })
 * ```
 */
export function readKeyFile(path: string, options: AsymmetricKeyOptions = {}): AsymmetricKey {
  let bytes: Buffer
  try {
    bytes = fs().readFileSync(path)
  } catch (error) {
    throw new TypeError(`cannot read key file ${path}: ${(error as Error).message}`, { cause: error })
  }
  try {
    return createAsymmetricKey(bytes, options)
  } catch (error) {
    throw new TypeError(`${path}: ${(error as Error).message}`, { cause: error })
  }
}

/** Options of {@link readKeyDirectory}. */
export interface KeyDirectoryOptions {
  /** The algorithm of RSA keys without a JWK `alg` (required when the directory has such keys). */
  rsaAlgorithm?: AsymmetricKeyOptions['rsaAlgorithm']
  /** See {@link KeyStoreOptions.maxTokenLifetime}. @default '1d' */
  maxTokenLifetime?: Duration | undefined
  /** The clock, in seconds since the epoch. @default () => Date.now() / 1000 */
  now?: (() => number) | undefined
}

/**
 * Reads a directory of key files into a keystore. Each file's `kid` is its name without extension
 * (a JWK's own `kid` wins). Files are taken in name order: the last one holding a private key is the
 * active signing key, every other key verifies only. Name files by date (`2025-01.pem`,
 * `2025-02.pem`) and adding a file rotates on the next start, while the older keys keep verifying
 * until you delete them.
 *
 * @throws {TypeError} when the directory holds no private key, or a file is not a usable key.
 */
function keysOfDirectory(directory: string, options: KeyDirectoryOptions): AsymmetricKey[] {
  let names: string[]
  try {
    names = fs().readdirSync(directory)
  } catch (error) {
    throw new TypeError(`cannot read key directory ${directory}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const { basename, extname, join } = nodePath()
  const files = names
    .filter(
      (name) => !name.startsWith('.') && (KEY_FILE_EXTENSIONS as readonly string[]).includes(extname(name)),
    )
    .sort()
    .map((name) => join(directory, name))
    .filter((path) => fs().statSync(path).isFile())
  const keys: AsymmetricKey[] = []
  const kids = new Set<string>()
  for (const path of files) {
    let kid = basename(path, extname(path))
    if (extname(path) === '.jwk' || extname(path) === '.json') {
      // A JWK that names its own kid keeps it.
      try {
        const own = (JSON.parse(fs().readFileSync(path, 'utf8')) as { kid?: unknown } | null)?.kid
        if (typeof own === 'string' && own !== '') kid = own
      } catch {
        // not JSON: readKeyFile reports it
      }
    }
    if (kids.has(kid)) throw new TypeError(`${path}: kid "${kid}" is used by two files in ${directory}`)
    kids.add(kid)
    keys.push(readKeyFile(path, { rsaAlgorithm: options.rsaAlgorithm, kid }))
  }
  return keys
}

function signingKeyOf(keys: readonly AsymmetricKey[], directory: string): AsymmetricKey {
  const signing = keys.filter((key) => key.canSign)
  const active = signing[signing.length - 1]
  if (active === undefined) {
    throw new TypeError(
      `${directory} holds no private key: add one (e.g. openssl genpkey -algorithm ed25519)`,
    )
  }
  return active
}

/**
 * Reads a directory of key files into a keystore. Each file's `kid` is its name without extension
 * (a JWK's own `kid` wins). Files are taken in name order: the last one holding a private key is the
 * active signing key, every other key verifies only. Name files by date (`2025-01.pem`,
 * `2025-02.pem`): adding a file and calling {@link syncKeyDirectory} (or restarting) rotates, while
 * the older keys keep verifying until you delete them.
 *
 * @example
 * ```ts
 * import { createJwtGuard, readKeyDirectory } from 'jwtguard'
 * const keys = readKeyDirectory('./keys', { maxTokenLifetime: '14d' }) // ./keys/2025-01.pem, 2025-02.pem, ...
 * const guard = createJwtGuard({ keys, authenticate, identity })
 * ```
 *
 * @throws {TypeError} when the directory holds no private key, or a file is not a usable key.
 */
export function readKeyDirectory(directory: string, options: KeyDirectoryOptions = {}): KeyStore {
  const keys = keysOfDirectory(directory, options)
  const active = signingKeyOf(keys, directory)
  return createKeyStore({
    active,
    verifyOnly: keys.filter((key) => key !== active),
    maxTokenLifetime: options.maxTokenLifetime,
    now: options.now,
  })
}

/** What {@link syncKeyDirectory} changed. */
export interface KeyDirectoryChanges {
  /** Kids new to the store: the new signing key (unless it was published before) and verification-only keys. */
  added: string[]
  /** The kid that became the signing key, if the signing key changed. */
  rotatedTo: string | undefined
  /** Kids removed because their file is gone. */
  retired: string[]
}

/**
 * Brings a keystore made by {@link readKeyDirectory} in line with the directory, without a restart
 * (call it on SIGHUP, or from a file watcher). A new last private key becomes the signing key
 * through {@link KeyStore.rotate}, so the previous one keeps verifying for `maxTokenLifetime`; other
 * new files are added as verification-only keys; verification-only keys whose file was deleted stop
 * verifying at once, while a replaced signing key keeps verifying until its scheduled retirement. Nothing changes when a file is
 * unreadable: the error is thrown and the store is left as it was.
 *
 * @example
 * ```ts
 * import { readKeyDirectory, syncKeyDirectory } from 'jwtguard'
 * const keys = readKeyDirectory('./keys')
 * process.on('SIGHUP', () => console.log(syncKeyDirectory(keys, './keys'))) // what changed
 * ```
 *
 * @throws {TypeError} for an unreadable directory or key, or a kid whose key material changed.
 */
export function syncKeyDirectory(
  store: KeyStore,
  directory: string,
  options: Pick<KeyDirectoryOptions, 'rsaAlgorithm'> = {},
): KeyDirectoryChanges {
  const keys = keysOfDirectory(directory, options)
  const active = signingKeyOf(keys, directory)
  const entries = store.entries()
  const current = new Map(entries.map((entry) => [entry.key.kid as string, entry.key]))
  const retiring = new Set(
    entries.filter((entry) => entry.retireAt !== undefined).map((entry) => entry.key.kid),
  )
  for (const key of keys) {
    const existing = current.get(key.kid as string)
    if (existing !== undefined && isAsymmetricKey(existing)) {
      if (jwkThumbprint(existing.publicKey) !== jwkThumbprint(key.publicKey)) {
        throw new TypeError(`kid "${key.kid}" now names another key: give a new key a new file name`)
      }
    }
  }
  const changes: KeyDirectoryChanges = { added: [], rotatedTo: undefined, retired: [] }
  const activeKid = store.activeKey.kid
  if (active.kid !== activeKid) {
    // A key published in advance (public file) and now given its private part: promote the new object.
    if (current.has(active.kid as string)) store.retire(active.kid as string)
    else changes.added.push(active.kid as string)
    store.rotate(active)
    changes.rotatedTo = active.kid
  }
  for (const key of keys) {
    if (key === active || current.has(key.kid as string)) continue
    store.add(key)
    changes.added.push(key.kid as string)
  }
  const onDisk = new Set(keys.map((key) => key.kid))
  for (const kid of current.keys()) {
    // Keys already retiring (a replaced signing key) keep verifying until their time.
    if (onDisk.has(kid) || kid === store.activeKey.kid || kid === activeKid || retiring.has(kid)) continue
    if (store.retire(kid)) changes.retired.push(kid)
  }
  return changes
}
