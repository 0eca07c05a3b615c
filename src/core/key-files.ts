/**
 * Keys from files: one key file (PEM, DER or JWK), or a directory of them as a keystore.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { type AsymmetricKey, type AsymmetricKeyOptions, createAsymmetricKey } from './asymmetric.js'
import type { Duration } from './internal/duration.js'
import { createKeyStore, type KeyStore } from './keystore.js'

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
    bytes = readFileSync(path)
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
export function readKeyDirectory(directory: string, options: KeyDirectoryOptions = {}): KeyStore {
  let names: string[]
  try {
    names = readdirSync(directory)
  } catch (error) {
    throw new TypeError(`cannot read key directory ${directory}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const files = names
    .filter(
      (name) => !name.startsWith('.') && (KEY_FILE_EXTENSIONS as readonly string[]).includes(extname(name)),
    )
    .sort()
    .map((name) => join(directory, name))
    .filter((path) => statSync(path).isFile())
  const keys: AsymmetricKey[] = []
  for (const path of files) {
    let kid = basename(path, extname(path))
    if (extname(path) === '.jwk' || extname(path) === '.json') {
      // A JWK that names its own kid keeps it.
      try {
        const own = (JSON.parse(readFileSync(path, 'utf8')) as { kid?: unknown } | null)?.kid
        if (typeof own === 'string' && own !== '') kid = own
      } catch {
        // not JSON: readKeyFile reports it
      }
    }
    keys.push(readKeyFile(path, { rsaAlgorithm: options.rsaAlgorithm, kid }))
  }
  const signing = keys.filter((key) => key.canSign)
  const active = signing[signing.length - 1]
  if (active === undefined) {
    throw new TypeError(
      `${directory} holds no private key: add one (e.g. openssl genpkey -algorithm ed25519)`,
    )
  }
  return createKeyStore({
    active,
    verifyOnly: keys.filter((key) => key !== active),
    maxTokenLifetime: options.maxTokenLifetime,
    now: options.now,
  })
}
