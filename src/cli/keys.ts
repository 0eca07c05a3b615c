/**
 * `jwtguard keys generate|rotate`: asymmetric signing keys, and a key directory (one private JWK
 * per file, read by `readKeyDirectory`) whose newest file is the signing key.
 *
 * @module
 * @internal
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { createAsymmetricKey } from '../core/asymmetric.js'
import { toSeconds } from '../core/internal/duration.js'
import { toJwks } from '../core/jwks.js'
import { KEY_FILE_EXTENSIONS, readKeyDirectory } from '../core/key-files.js'
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '../core/keys.js'
import type { KeyStore } from '../core/keystore.js'
import { CliError, type Command, stringOption, UsageError } from './internal/command.js'
import { readEnvironment } from './internal/environment.js'

const KID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

function algorithmOption(raw: string | undefined, fallback: AsymmetricAlgorithm): AsymmetricAlgorithm {
  if (raw === undefined) return fallback
  if (/^HS\d+$/.test(raw)) {
    throw new UsageError(`${raw} is an HMAC algorithm: use \`jwtguard secret generate\` for its secret`)
  }
  if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(raw)) {
    throw new UsageError(`--alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`)
  }
  return raw as AsymmetricAlgorithm
}

function kidOption(raw: string | undefined): string | undefined {
  if (raw !== undefined && !KID.test(raw)) {
    throw new UsageError('--kid must be letters, digits, ".", "_" or "-" (it becomes a file name)')
  }
  return raw
}

/** A fresh private key for `alg`: RSA 2048 for RS and PS, the algorithm's curve for ES, Ed25519. */
function generatePrivateKey(alg: AsymmetricAlgorithm): KeyObject {
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  }
  const curves: Partial<Record<AsymmetricAlgorithm, string>> = {
    ES256: 'prime256v1',
    ES384: 'secp384r1',
    ES512: 'secp521r1',
  }
  const namedCurve = curves[alg]
  if (namedCurve !== undefined) return generateKeyPairSync('ec', { namedCurve }).privateKey
  return generateKeyPairSync('ed25519').privateKey
}

/** The private JWK written to key files: it names its algorithm and kid, so RSA keys need no --alg. */
function privateJwk(privateKey: KeyObject, alg: AsymmetricAlgorithm, kid: string): Record<string, unknown> {
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
}

function writeNewFile(file: string, content: string): void {
  try {
    writeFileSync(file, content, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(
      code === 'EEXIST'
        ? `${file} already exists: choose another --kid or path`
        : `cannot write ${file} (${code ?? 'error'}): check the directory exists and is writable`,
    )
  }
}

/** Reads a key directory as a keystore; any unusable file is a one-line error naming it. */
export function loadKeyDirectory(directory: string, rsaAlgorithm?: AsymmetricAlgorithm): KeyStore {
  try {
    return readKeyDirectory(directory, rsaAlgorithm === undefined ? {} : { rsaAlgorithm })
  } catch (error) {
    throw new CliError(`${(error as Error).message}`)
  }
}

const generate: Command = {
  name: 'keys generate',
  summary: 'Generate an asymmetric signing key (ES256 by default) and print it, or write it to a file.',
  details:
    'The private key goes to stdout (or --out FILE, mode 0600); its public JWK to stderr.\nTo add a key to a server key directory, use `jwtguard keys rotate`.',
  options: {
    alg: {
      type: 'string',
      value: 'ALG',
      description: `one of ${ASYMMETRIC_ALGORITHMS.join(', ')} (default ES256)`,
    },
    kid: { type: 'string', value: 'KID', description: "key id (default: the key's RFC 7638 thumbprint)" },
    format: { type: 'string', value: 'FORMAT', description: 'pem (PKCS#8, default) or jwk' },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'write the private key to FILE (mode 0600); refuses to overwrite',
    },
  },
  async run(input) {
    const alg = algorithmOption(stringOption(input, 'alg'), 'ES256')
    const format = stringOption(input, 'format') ?? 'pem'
    if (format !== 'pem' && format !== 'jwk') throw new UsageError('--format must be pem or jwk')
    const privateKey = generatePrivateKey(alg)
    const key = createAsymmetricKey(privateKey, { alg, kid: kidOption(stringOption(input, 'kid')) })
    const kid = key.kid ?? ''
    const content =
      format === 'pem'
        ? String(privateKey.export({ type: 'pkcs8', format: 'pem' }))
        : `${JSON.stringify(privateJwk(privateKey, alg, kid), null, 2)}\n`
    const publicJwk = key.toPublicJwk()
    const out = stringOption(input, 'out')
    if (out !== undefined) {
      writeNewFile(out, content)
      return {
        data: { alg, kid, file: out, publicJwk },
        text: `wrote a private ${alg} key (kid ${kid}) to ${out} (mode 0600)\npublic JWK: ${JSON.stringify(publicJwk)}\n`,
      }
    }
    if (!input.json)
      input.io.stderr.write(`generated ${alg} key, kid ${kid}\npublic JWK: ${JSON.stringify(publicJwk)}\n`)
    return { data: { alg, kid, privateKey: content, publicJwk }, text: content }
  },
}

function keyFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter(
      (name) => !name.startsWith('.') && (KEY_FILE_EXTENSIONS as readonly string[]).includes(extname(name)),
    )
    .sort()
}

/** A kid that sorts after now's earlier ones: 2026-01-31T12-00-00Z. */
function timestampKid(): string {
  return new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-')
}

/** The private part of a published key, waiting for `keys activate` (dot files are not loaded). */
function stagedName(kid: string): string {
  return `.staged-${kid}.jwk`
}

/**
 * Seconds between publishing the new key and signing with it: `--activate-after` (a duration,
 * `0` at once), `undefined` with `--publish-only`. A directory's first key signs at once.
 */
function activationDelay(input: Parameters<Command['run']>[0], first: boolean): number | undefined {
  if (input.values['publish-only'] === true) return undefined
  if (first) return 0
  const raw = stringOption(input, 'activate-after') ?? '10s'
  try {
    return toSeconds(/^\d+$/.test(raw) ? Number(raw) : raw, '--activate-after')
  } catch {
    throw new UsageError('--activate-after must be a duration such as 0, 30s or 2m')
  }
}

/** Gives the published `kid` its private part, atomically (a rename over the public file). */
function activateStaged(directory: string, kid: string): void {
  const staged = join(directory, stagedName(kid))
  const temporary = join(directory, `.activating-${kid}.jwk`)
  let content: string
  try {
    content = readFileSync(staged, 'utf8')
  } catch {
    throw new CliError(
      `no key ${kid} is waiting in ${directory}: publish one with \`jwtguard keys rotate --publish-only\``,
    )
  }
  writeFileSync(temporary, content, { mode: 0o600 })
  renameSync(temporary, join(directory, `${kid}.jwk`))
  unlinkSync(staged)
}

function published(directory: string, kid: string, alg: string, file: string) {
  return {
    data: { directory, published: { kid, alg, file }, active: null },
    text: `published ${kid} (${alg}) in ${file}: it verifies now; run \`jwtguard keys activate --dir ${directory}\` to sign with it once every instance has it\n`,
  }
}

const activate: Command = {
  name: 'keys activate',
  summary: 'Sign with the key published by `keys rotate --publish-only` (or an interrupted rotate).',
  options: {
    dir: { type: 'string', value: 'DIR', description: 'the key directory (default: DATA_DIR/keys)' },
  },
  async run(input) {
    const directory = stringOption(input, 'dir') ?? join(readEnvironment(input.io.env).dataDir, 'keys')
    let names: string[]
    try {
      names = readdirSync(directory)
    } catch {
      throw new CliError(`cannot read ${directory}: check --dir`)
    }
    const staged = names.filter((name) => name.startsWith('.staged-') && name.endsWith('.jwk')).sort()
    const last = staged[staged.length - 1]
    if (last === undefined) throw new CliError(`no published key waits in ${directory}`)
    const kid = last.slice('.staged-'.length, -'.jwk'.length)
    activateStaged(directory, kid)
    const after = loadKeyDirectory(directory)
    return {
      data: { directory, active: { kid: after.activeKey.kid } },
      text: `signing key is now ${after.activeKey.kid}\n`,
    }
  },
}

const rotate: Command = {
  name: 'keys rotate',
  summary: 'Add a new signing key to a key directory; the previous keys keep verifying.',
  details: [
    'A key directory holds one key per file; the file that sorts last is the signing key, the others',
    'only verify (see readKeyDirectory). The new key is a private JWK named after its kid, which',
    'defaults to the current UTC time so that it sorts last. Servers pick it up when they reload',
    'their keys; delete an old file once every token it signed has expired.',
  ].join('\n'),
  options: {
    dir: { type: 'string', value: 'DIR', description: 'the key directory (default: DATA_DIR/keys)' },
    alg: {
      type: 'string',
      value: 'ALG',
      description: "algorithm of the new key (default: the current key's, or ES256)",
    },
    kid: { type: 'string', value: 'KID', description: 'key id and file name (default: the UTC time)' },
    'activate-after': {
      type: 'string',
      value: 'DURATION',
      description: 'publish the public key first, sign with it after DURATION (default 10s; 0: at once)',
    },
    'publish-only': { type: 'boolean', description: 'publish the key; `keys activate` signs with it later' },
  },
  async run(input) {
    const directory = stringOption(input, 'dir') ?? join(readEnvironment(input.io.env).dataDir, 'keys')
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 })
    } catch (error) {
      throw new CliError(
        `cannot create ${directory} (${(error as NodeJS.ErrnoException).code ?? 'error'}): check --dir`,
      )
    }
    const existing = keyFiles(directory)
    const before = existing.length === 0 ? undefined : loadKeyDirectory(directory)
    const alg = algorithmOption(
      stringOption(input, 'alg'),
      (before?.activeKey.alg as AsymmetricAlgorithm) ?? 'ES256',
    )
    const kid = kidOption(stringOption(input, 'kid')) ?? timestampKid()
    const name = `${kid}.jwk`
    const last = existing[existing.length - 1]
    if (last !== undefined && name <= last) {
      throw new CliError(
        `${name} would not sort after ${last}, so it would not become the signing key: choose a kid that sorts later`,
      )
    }
    const privateKey = generatePrivateKey(alg)
    const file = join(directory, name)
    const jwk = privateJwk(privateKey, alg, kid)
    const delay = activationDelay(input, before === undefined)
    if (delay !== 0) {
      // Published first: every instance learns the public key before any signs with it.
      writeNewFile(join(directory, stagedName(kid)), `${JSON.stringify(jwk, null, 2)}\n`)
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk
      // Renamed into place: a server polling the directory never reads half a file.
      const temporary = join(directory, `.publishing-${kid}.jwk`)
      writeNewFile(temporary, `${JSON.stringify(publicJwk, null, 2)}\n`)
      renameSync(temporary, file)
      if (delay === undefined) return published(directory, kid, alg, file)
      input.io.stderr.write(`published ${kid}; it signs in ${delay} s (or run \`jwtguard keys activate\`)\n`)
      await new Promise((resolve) => setTimeout(resolve, delay * 1000))
      activateStaged(directory, kid)
    } else {
      writeNewFile(file, `${JSON.stringify(jwk, null, 2)}\n`)
    }
    let after: KeyStore
    try {
      after = loadKeyDirectory(directory)
      if (after.activeKey.kid !== kid)
        throw new CliError(`the directory's signing key is ${after.activeKey.kid}, not ${kid}`)
    } catch (error) {
      unlinkSync(file)
      throw error
    }
    const verifying = after
      .entries()
      .filter((entry) => !entry.active)
      .map((entry) => entry.key.kid ?? '')
    return {
      data: {
        directory,
        active: { kid, alg, file },
        previous: before?.activeKey.kid ?? null,
        verifying,
        jwks: toJwks(after),
      },
      text: [
        `new signing key ${kid} (${alg}) in ${file}`,
        before === undefined
          ? 'it is the first key of the directory'
          : `previous signing key ${before.activeKey.kid} now only verifies`,
        `keys that still verify: ${verifying.length === 0 ? '(none)' : verifying.join(', ')}`,
        'servers polling the directory (KEY_POLL_INTERVAL) sign with it once they see it, others after SIGHUP; delete an old key file once the tokens it signed have expired',
        '',
      ].join('\n'),
    }
  },
}

export const keyCommands: readonly Command[] = [generate, rotate, activate]
