/**
 * The production policy of the reference server, judged on the settings of environment.ts: what
 * `NODE_ENV=production` refuses (no secret, a short or low-entropy one, `COOKIE_SECURE=0` without a
 * TLS-terminating proxy), each with its fix. The server refuses to start on the first one;
 * `jwtguard config check` lists them all. Policy that needs the reference server's own data is
 * the server's own, at its start-up.
 *
 * @module
 * @internal
 */
import { Buffer } from 'node:buffer'
import { createHmacKey } from '../core/keys.js'
import { secretStrength } from '../core/secret-strength.js'
import { ConfigError, type Problem, readSettings, type Settings } from './environment.js'

/** The fewest bytes of a production HMAC secret (256 bits). */
export const MIN_PRODUCTION_SECRET_BYTES = 32
/** The least estimated entropy, in bits, of a production HMAC secret (`secretStrength`). */
export const MIN_PRODUCTION_SECRET_BITS = 128
/** The fewest distinct bytes of a production HMAC secret (a repeated character has 1). */
export const MIN_PRODUCTION_SECRET_DISTINCT = 8

/** One rule of the policy, checked: `ok`, or what is wrong and how to fix it. */
export interface Finding {
  /** A stable name, such as `secret` or `cookie-secure`. */
  check: string
  /** The variable it is about. */
  variable: string
  ok: boolean
  message: string
  /** How to fix it, when not ok. */
  fix?: string
}

const GENERATE = '`openssl rand -base64 48` or `jwtguard secret generate`'

/**
 * The HMAC secret: set, at least {@link MIN_PRODUCTION_SECRET_BYTES} bytes, and not of low entropy.
 * The estimate catches repeated characters, spaces and short alphabets; it cannot prove a secret
 * random, so it is a floor, not a blessing. Asymmetric keys need no secret.
 */
export function secretFinding(settings: Settings): Finding {
  const variable = settings.secretVariable ?? 'JWT_SECRET_KEY'
  const finding = (ok: boolean, message: string, fix?: string): Finding =>
    fix === undefined
      ? { check: 'secret', variable, ok, message }
      : { check: 'secret', variable, ok, message, fix }
  if (settings.keySource !== 'secret') {
    return finding(true, `no HMAC secret needed: the keys come from ${settings.keySource}`)
  }
  const secret = settings.secret
  if (secret === undefined) {
    return finding(
      false,
      'JWT_SECRET_KEY is not set',
      `with NODE_ENV=production set it to at least ${MIN_PRODUCTION_SECRET_BYTES} random bytes, e.g. ${GENERATE} (outside production the server generates DATA_DIR/secret.key)`,
    )
  }
  const bytes = Buffer.byteLength(secret)
  if (bytes < MIN_PRODUCTION_SECRET_BYTES) {
    return finding(
      false,
      `${variable} is ${bytes} bytes; production needs at least ${MIN_PRODUCTION_SECRET_BYTES} (256 bits)`,
      `replace it with the output of ${GENERATE}`,
    )
  }
  const { bits, distinct } = secretStrength(secret)
  if (bits < MIN_PRODUCTION_SECRET_BITS || distinct < MIN_PRODUCTION_SECRET_DISTINCT) {
    return finding(
      false,
      `${variable} has low entropy (${distinct} distinct bytes, about ${bits} bits; production needs ${MIN_PRODUCTION_SECRET_DISTINCT} and ${MIN_PRODUCTION_SECRET_BITS})`,
      `generate one with ${GENERATE}`,
    )
  }
  try {
    createHmacKey(secret)
  } catch (error) {
    return finding(
      false,
      `${variable} is unusable: ${(error as Error).message}`,
      `replace it with the output of ${GENERATE}`,
    )
  }
  return finding(true, `${variable} is ${bytes} bytes`)
}

/** `COOKIE_SECURE=0` is refused in production unless `BEHIND_TLS_PROXY=1` (which keeps `Secure`); `undefined` when not set to 0. */
export function cookieSecureFinding(settings: Settings): Finding | undefined {
  if (settings.cookieSecureSetting !== false) return undefined
  if (settings.behindTlsProxy) {
    return {
      check: 'cookie-secure',
      variable: 'COOKIE_SECURE',
      ok: true,
      message: 'COOKIE_SECURE=0 behind a TLS-terminating proxy (BEHIND_TLS_PROXY=1): cookies keep Secure',
    }
  }
  return {
    check: 'cookie-secure',
    variable: 'COOKIE_SECURE',
    ok: false,
    message: 'COOKIE_SECURE=0 with NODE_ENV=production would send session cookies over plain HTTP',
    fix: 'remove COOKIE_SECURE; behind a TLS-terminating proxy set BEHIND_TLS_PROXY=1 instead (browsers see https, so the cookies keep Secure)',
  }
}

/**
 * `DPOP` without `DPOP_ORIGIN` is refused in production: proofs would be checked against the `Host`
 * header, which the client chooses; `undefined` when DPoP is off.
 */
export function dpopOriginFinding(settings: Settings): Finding | undefined {
  if (settings.dpop === undefined) return undefined
  if (settings.dpopOrigin !== undefined) {
    return {
      check: 'dpop-origin',
      variable: 'DPOP_ORIGIN',
      ok: true,
      message: `DPoP proofs name ${settings.dpopOrigin}`,
    }
  }
  return {
    check: 'dpop-origin',
    variable: 'DPOP_ORIGIN',
    ok: false,
    message: 'DPOP without DPOP_ORIGIN would check DPoP proofs against the Host header, which clients choose',
    fix: 'set DPOP_ORIGIN to the origin clients reach the server at, such as https://api.example.com',
  }
}

/** Every rule of the policy, checked whatever `NODE_ENV` says: what production would refuse. */
export function productionFindings(settings: Settings): Finding[] {
  const findings = [secretFinding(settings), cookieSecureFinding(settings), dpopOriginFinding(settings)]
  return findings.filter((finding): finding is Finding => finding !== undefined)
}

/** A failed finding as a problem. */
export function findingProblem(finding: Finding): Problem {
  const { variable, message, fix } = finding
  return fix === undefined ? { variable, message } : { variable, message, fix }
}

/** What stops the server: every invalid value, and with `NODE_ENV=production` what the policy refuses. */
export function refusals(settings: Settings, problems: readonly Problem[]): Problem[] {
  if (!settings.production) return [...problems]
  const refused = productionFindings(settings).filter((finding) => !finding.ok)
  return [...problems, ...refused.map(findingProblem)]
}

/**
 * The settings of `env` as the server starts with them.
 * @throws {ConfigError} for the first refusal, with the one line that says the fix.
 */
export function loadSettings(env: Readonly<Record<string, string | undefined>>): Settings {
  const { settings, problems } = readSettings(env)
  const [first] = refusals(settings, problems)
  if (first !== undefined) throw new ConfigError(first)
  return settings
}
