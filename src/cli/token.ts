/**
 * `jwtguard token decode|verify|issue`: look inside a token, check it as the server would, or mint
 * one for a user id with the server's secret (or a key directory).
 *
 * @module
 * @internal
 */
import { Buffer } from 'node:buffer'
import type { JwtPayload } from '../core/claims.js'
import { JwtGuardError } from '../core/errors.js'
import { createJwtGuard } from '../core/guard.js'
import { toSeconds } from '../core/internal/duration.js'
import { readKeyFile } from '../core/key-files.js'
import {
  createHmacKey,
  HMAC_ALGORITHMS,
  type HmacAlgorithm,
  type JwtKey,
  type KeySource,
} from '../core/keys.js'
import { createRemoteJwks } from '../core/remote-jwks.js'
import { createVerifier } from '../core/verify.js'
import {
  CliError,
  type Command,
  type CommandInput,
  integerOption,
  listOption,
  stringOption,
  UsageError,
} from './internal/command.js'
import {
  type Environment,
  readEnvironment,
  redactUrl,
  requireUserStore,
  resolveSecret,
} from './internal/environment.js'
import { readTokenArgument } from './internal/input.js'
import { loadKeyDirectory } from './keys.js'

const MAX_TOKEN_LENGTH = 64 * 1024

const KEY_OPTIONS = {
  'secret-file': {
    type: 'string',
    value: 'FILE',
    description:
      'read the HMAC secret from FILE (default: KEY_DIR, KEY_FILE or JWKS_URL as the server reads them, else JWT_SECRET_KEY, SECRET_KEY, then DATA_DIR/secret.key)',
  },
  alg: { type: 'string', value: 'ALG', description: 'HMAC algorithm: HS256 (default), HS384 or HS512' },
  keys: {
    type: 'string',
    value: 'DIR',
    description: 'use the key directory DIR (see `jwtguard keys rotate`) instead of a secret',
  },
} as const

const TOKEN_SOURCE =
  'The token may be given as "-" (or left out) to read it from stdin, which keeps it out of ps and shell history.'

interface Keys {
  /** For signing: the HMAC key or the active key; `undefined` in resource-server mode (JWKS_URL). */
  signing: JwtKey | undefined
  /** For verifying: the same key, the whole key directory, or the remote JWKS. */
  verifying: readonly JwtKey[] | KeySource
  description: string
}

/**
 * The keys the server would use, read from the same variables: KEY_DIR, KEY_FILE, JWKS_URL, and
 * KEY_ALG for RSA keys that name no algorithm (the shared reader has checked them all).
 */
async function environmentKeys(environment: Environment): Promise<Keys | undefined> {
  const rsaAlgorithm = environment.keyAlg
  if (environment.keyDir !== undefined) {
    const store = loadKeyDirectory(environment.keyDir, rsaAlgorithm)
    const { alg, kid } = store.activeKey
    return {
      signing: store.activeKey,
      verifying: store,
      description: `${alg} key "${kid}" of KEY_DIR ${environment.keyDir}`,
    }
  }
  if (environment.keyFile !== undefined) {
    let key: JwtKey
    try {
      key = readKeyFile(environment.keyFile, rsaAlgorithm === undefined ? {} : { rsaAlgorithm })
    } catch (error) {
      throw new CliError(`KEY_FILE ${environment.keyFile}: ${(error as Error).message}`)
    }
    return {
      signing: key,
      verifying: [key],
      description: `${key.alg} key "${key.kid}" of KEY_FILE ${environment.keyFile}`,
    }
  }
  if (environment.jwksUrl !== undefined || environment.keySource === 'JWT_ISSUER') {
    if (environment.issuer === undefined || environment.audience === undefined) {
      throw new CliError('JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE, as the server does')
    }
    const where =
      environment.jwksUrl === undefined
        ? `JWKS of ${environment.issuer} (discovered)`
        : `JWKS at ${redactUrl(environment.jwksUrl)}`
    const jwks = createRemoteJwks({
      ...(environment.jwksUrl === undefined ? {} : { url: environment.jwksUrl }),
      issuer: environment.issuer,
      audience: environment.audience,
      ...(rsaAlgorithm === undefined ? {} : { rsaAlgorithm }),
      cooldownMs: environment.jwksCooldownMs,
    })
    try {
      await jwks.ready()
    } catch (error) {
      throw new CliError(`cannot load the ${where}: ${(error as Error).message}`)
    }
    return { signing: undefined, verifying: jwks, description: where }
  }
  return undefined
}

async function keysFor(input: CommandInput): Promise<Keys> {
  const environment = readEnvironment(input.io.env)
  const directory = stringOption(input, 'keys')
  const alg = stringOption(input, 'alg')
  const secretFile = stringOption(input, 'secret-file')
  if (directory !== undefined) {
    if (secretFile !== undefined || alg !== undefined) {
      throw new UsageError(
        '--keys takes its algorithms from the key files: leave out --secret-file and --alg',
      )
    }
    const store = loadKeyDirectory(directory, environment.keyAlg)
    return {
      signing: store.activeKey,
      verifying: store,
      description: `${store.activeKey.alg} key "${store.activeKey.kid}" of ${directory}`,
    }
  }
  if (secretFile === undefined && alg === undefined) {
    const keys = await environmentKeys(environment)
    if (keys !== undefined) return keys
  }
  if (alg !== undefined && !(HMAC_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(
      `--alg must be one of ${HMAC_ALGORITHMS.join(', ')} (use --keys for asymmetric keys)`,
    )
  }
  const { secret, source } = resolveSecret(environment, secretFile)
  let key: JwtKey
  try {
    // Outside production a short secret is accepted, as the server accepts it (to share tokens
    // with a Flask-JWT app); production refuses it, as the server does.
    key = createHmacKey(secret, {
      alg: alg as HmacAlgorithm | undefined,
      allowShortSecret: !environment.production,
    })
  } catch (error) {
    throw new CliError(`the secret from ${source} is unusable: ${(error as Error).message}`)
  }
  return { signing: key, verifying: [key], description: `${key.alg} secret from ${source}` }
}

function decodePart(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw new JwtGuardError('ERR_TOKEN_MALFORMED', `Token ${part} is not base64url`)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw new JwtGuardError('ERR_TOKEN_MALFORMED', `Token ${part} is not valid JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtGuardError('ERR_TOKEN_MALFORMED', `Token ${part} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

async function tokenOf(input: CommandInput): Promise<string> {
  const token = await readTokenArgument(input.io, input.positionals[0])
  if (token.length > MAX_TOKEN_LENGTH) throw new JwtGuardError('ERR_TOKEN_TOO_LARGE', 'Token is too large')
  return token
}

function relative(seconds: number): string {
  const magnitude = Math.abs(Math.round(seconds))
  const text =
    magnitude < 120
      ? `${magnitude}s`
      : magnitude < 7200
        ? `${Math.round(magnitude / 60)}m`
        : magnitude < 172_800
          ? `${Math.round(magnitude / 3600)}h`
          : `${Math.round(magnitude / 86_400)}d`
  return seconds >= 0 ? `in ${text}` : `${text} ago`
}

/** `exp`, `nbf` and `iat` as dates, for people. */
function timesText(payload: Record<string, unknown>, now: number): string {
  const lines: string[] = []
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    const value = payload[claim]
    if (typeof value !== 'number' || !Number.isFinite(value)) continue
    const date = new Date(value * 1000)
    const when = Number.isNaN(date.getTime()) ? 'out of range' : date.toISOString()
    lines.push(`${claim}: ${when} (${relative(value - now)})`)
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

const json = (value: unknown): string => JSON.stringify(value, null, 2)

const decode: Command = {
  name: 'token decode',
  args: '[<jwt>|-]',
  summary: 'Show the header and payload of a token WITHOUT verifying it.',
  details: `The output is marked UNVERIFIED: anyone can write a token that decodes to anything.\n${TOKEN_SOURCE}`,
  positionals: [0, 1],
  options: {},
  async run(input) {
    const token = await tokenOf(input)
    const parts = token.split('.')
    if (parts.length !== 3) {
      throw new JwtGuardError('ERR_TOKEN_MALFORMED', 'Token must have three segments')
    }
    const header = decodePart(parts[0] ?? '', 'header')
    const payload = decodePart(parts[1] ?? '', 'payload')
    const warning =
      'UNVERIFIED: the signature was NOT checked; do not trust these claims (use `jwtguard token verify`)'
    return {
      data: { verified: false, warning, header, payload },
      text: `${warning}\nheader (unverified):\n${json(header)}\npayload (unverified):\n${json(payload)}\n${timesText(payload, Date.now() / 1000)}`,
    }
  },
}

const verify: Command = {
  name: 'token verify',
  args: '[<jwt>|-]',
  summary: 'Verify a token as the server does: algorithm, signature, then exp/iat/nbf (leeway 10 s).',
  details: `Revocation is not checked: that needs the server's token store.\n${TOKEN_SOURCE}`,
  positionals: [0, 1],
  options: {
    ...KEY_OPTIONS,
    leeway: { type: 'string', value: 'SECONDS', description: 'clock skew tolerated (default 10)' },
  },
  async run(input) {
    const keys = await keysFor(input)
    const token = await tokenOf(input)
    const leeway = integerOption(input, 'leeway', 10, 0)
    const { issuer, audience } = readEnvironment(input.io.env)
    const payload: JwtPayload = createVerifier({
      keys: keys.verifying,
      leeway,
      maxTokenSize: MAX_TOKEN_LENGTH,
      ...(issuer === undefined ? {} : { issuer }),
      ...(audience === undefined ? {} : { audience }),
      // A remote JWKS: the reference server's resource-server mode, RFC 9068 access tokens
      // (`nbf` optional, `typ` at+jwt or JWT) as well as a jwtguard issuer's.
      ...(keys.signing === undefined ? { requiredClaims: ['exp', 'iat'], typ: ['at+jwt', 'JWT'] } : {}),
    })(token)
    const header = decodePart(token.split('.')[0] ?? '', 'header')
    return {
      data: { verified: true, header, payload },
      text: `VALID: signature and claims checked with the ${keys.description} (revocation not checked)\npayload:\n${json(payload)}\n${timesText(payload, Date.now() / 1000)}`,
    }
  },
}

function identityOf(raw: string | undefined): string | number {
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError('--identity is required: the user id the token stands for, e.g. --identity 123')
  }
  if (/^\d+$/.test(raw)) {
    const id = Number(raw)
    if (!Number.isSafeInteger(id)) throw new UsageError('--identity is too large for a numeric id')
    return id
  }
  return raw
}

/** `--claim name=value`: the value as JSON when it parses (numbers, booleans, lists), else a string. */
function claimsOf(raw: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {}
  for (const entry of raw) {
    const at = entry.indexOf('=')
    if (at < 1) throw new UsageError(`--claim takes name=value, got "${entry}"`)
    const value = entry.slice(at + 1)
    try {
      claims[entry.slice(0, at)] = JSON.parse(value)
    } catch {
      claims[entry.slice(0, at)] = value
    }
  }
  return claims
}

/** The user the token is for, from the server's user store; `undefined` with `--allow-unknown`. */
async function userFor(
  input: CommandInput,
  identity: string | number,
): Promise<{ roles: string[] } | undefined> {
  const allowUnknown = input.values['allow-unknown'] === true
  const fix = 'check it with `jwtguard users list`, or pass --allow-unknown to issue it anyway'
  if (typeof identity !== 'number') {
    if (allowUnknown) return undefined
    throw new CliError(`user ids are numbers, got "${identity}": ${fix}`)
  }
  let opened: Awaited<ReturnType<typeof requireUserStore>>
  try {
    opened = await requireUserStore(readEnvironment(input.io.env))
  } catch (error) {
    if (allowUnknown) return undefined
    throw new CliError(`${(error as Error).message}; or pass --allow-unknown to issue without a user`)
  }
  try {
    const user = await opened.store.findById(identity)
    if (user !== null) return { roles: user.roles }
    if (allowUnknown) return undefined
    throw new CliError(`no user with id ${identity} in ${opened.location}: ${fix}`)
  } finally {
    await opened.store.close()
  }
}

const issue: Command = {
  name: 'token issue',
  summary: "Issue an access token for a user, in the server's format (exp, iat, nbf, jti, identity, roles).",
  details:
    "Prints only the token, so that `TOKEN=$(jwtguard token issue --identity 123)` works.\nThe id must name a user of the server (DATA_DIR or DATABASE_URL); the token carries that user's roles unless --role is given. Keys come from KEY_DIR, KEY_FILE or the secret, as the server reads them.",
  options: {
    identity: {
      type: 'string',
      value: 'ID',
      description: 'the user id (digits become a number, as the server uses)',
    },
    'expires-in': {
      type: 'string',
      value: 'DURATION',
      description: 'lifetime, e.g. 300, 15m, 2h (default 300 seconds)',
    },
    role: {
      type: 'string',
      value: 'ROLE',
      multiple: true,
      description: "a role (default: the user's roles)",
    },
    scope: {
      type: 'string',
      value: 'SCOPE',
      multiple: true,
      description: 'a scope, written to the `scope` claim',
    },
    claim: {
      type: 'string',
      value: 'NAME=VALUE',
      multiple: true,
      description: 'a custom claim; VALUE is read as JSON when it parses (registered claims are refused)',
    },
    'allow-unknown': {
      type: 'boolean',
      description: 'issue for an id that names no user (the server will refuse it)',
    },
    ...KEY_OPTIONS,
  },
  async run(input) {
    const identity = identityOf(stringOption(input, 'identity'))
    let expiresIn: number
    try {
      expiresIn = toSeconds(stringOption(input, 'expires-in') ?? 300, 'expires-in')
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`)
    }
    if (expiresIn < 1) throw new UsageError('--expires-in must be at least 1 second')
    const extra = claimsOf(listOption(input, 'claim'))
    const keys = await keysFor(input)
    if (keys.signing === undefined) {
      throw new CliError(
        `cannot issue with the ${keys.description}: a resource server only verifies (unset JWKS_URL)`,
      )
    }
    const user = await userFor(input, identity)
    const roles = listOption(input, 'role').length > 0 ? listOption(input, 'role') : (user?.roles ?? [])
    const scopes = listOption(input, 'scope')
    const { issuer, audience } = readEnvironment(input.io.env)
    let guard: ReturnType<typeof createJwtGuard>
    try {
      guard = createJwtGuard({
        key: keys.signing,
        expiresIn,
        authPath: false,
        ...(issuer === undefined ? {} : { issuer }),
        ...(audience === undefined ? {} : { audience }),
        authenticate: () => null,
        identity: () => null,
        additionalClaims: () => ({
          ...extra,
          ...(roles.length > 0 ? { roles } : {}),
          ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
        }),
      })
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
    let token: string
    try {
      token = guard.createAccessToken({ id: identity })
    } catch (error) {
      throw new UsageError(`--claim: ${(error as Error).message}`)
    }
    const payload = guard.verify(token)
    return {
      data: {
        access_token: token,
        identity,
        expires_at: new Date((payload.exp ?? 0) * 1000).toISOString(),
        payload,
      },
      text: `${token}\n`,
    }
  },
}

export const tokenCommands: readonly Command[] = [decode, verify, issue]
