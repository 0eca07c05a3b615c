/**
 * `jwtguard config check`: what the reference server would refuse with `NODE_ENV=production`, read
 * from the same environment (`JWT_SECRET_KEY`/`SECRET_KEY`, `DATA_DIR`, `DATABASE_URL`,
 * `JWT_REQUIRED_CLAIMS`, `NODE_ENV`), each with its fix.
 *
 * @module
 * @internal
 */
import { Buffer } from 'node:buffer'
import { createHmacKey } from '../core/keys.js'
import { secretStrength } from '../core/secret-strength.js'
import type { Command } from './internal/command.js'
import { type Environment, openUserStore, readEnvironment, redactUrl } from './internal/environment.js'

/** The production policy of the reference server. */
export const MIN_PRODUCTION_SECRET_BYTES = 32
/** The least estimated entropy (bits) and distinct bytes of a production secret (`secretStrength`). */
export const MIN_PRODUCTION_SECRET_BITS = 128
export const MIN_PRODUCTION_SECRET_DISTINCT = 8
export const DEMO_USERNAME = 'masnun'

/** One rule of the production policy, checked. */
export interface Finding {
  check: 'secret' | 'demo-user' | 'required-claims' | 'database-url' | 'cookie-secure'
  ok: boolean
  message: string
  /** How to fix it, when not ok. */
  fix?: string
}

function checkSecret(environment: Environment): Finding {
  const secret = environment.secret
  if (secret === undefined) {
    return {
      check: 'secret',
      ok: false,
      message: 'JWT_SECRET_KEY is not set (outside production the server generates DATA_DIR/secret.key)',
      fix: 'set JWT_SECRET_KEY to the output of `jwtguard secret generate`',
    }
  }
  const variable = environment.secretVariable ?? 'JWT_SECRET_KEY'
  const bytes = Buffer.byteLength(secret)
  if (bytes < MIN_PRODUCTION_SECRET_BYTES) {
    return {
      check: 'secret',
      ok: false,
      message: `${variable} is ${bytes} bytes; production needs at least ${MIN_PRODUCTION_SECRET_BYTES} (256 bits)`,
      fix: 'replace it with the output of `jwtguard secret generate`',
    }
  }
  const { bits, distinct } = secretStrength(secret)
  if (bits < MIN_PRODUCTION_SECRET_BITS || distinct < MIN_PRODUCTION_SECRET_DISTINCT) {
    return {
      check: 'secret',
      ok: false,
      message: `${variable} has low entropy (${distinct} distinct bytes, about ${bits} bits; production needs ${MIN_PRODUCTION_SECRET_DISTINCT} and ${MIN_PRODUCTION_SECRET_BITS})`,
      fix: 'replace it with the output of `jwtguard secret generate`',
    }
  }
  try {
    createHmacKey(secret)
  } catch (error) {
    return {
      check: 'secret',
      ok: false,
      message: `${variable} is unusable: ${(error as Error).message}`,
      fix: 'replace it with the output of `jwtguard secret generate`',
    }
  }
  return { check: 'secret', ok: true, message: `${variable} is ${bytes} bytes` }
}

function checkRequiredClaims(raw: string | undefined): Finding {
  if (raw === undefined)
    return { check: 'required-claims', ok: true, message: 'required claims: exp, iat, nbf (default)' }
  const claims = raw
    .split(',')
    .map((claim) => claim.trim())
    .filter((claim) => claim !== '')
  if (!claims.includes('exp')) {
    return {
      check: 'required-claims',
      ok: false,
      message: `JWT_REQUIRED_CLAIMS="${raw}" makes exp optional: a token without exp would be valid forever`,
      fix: 'add exp to JWT_REQUIRED_CLAIMS, or unset it for the default exp,iat,nbf',
    }
  }
  return { check: 'required-claims', ok: true, message: `required claims: ${claims.join(', ')}` }
}

async function checkDemoUser(environment: Environment): Promise<Finding> {
  let opened: Awaited<ReturnType<typeof openUserStore>>
  try {
    opened = await openUserStore(environment, 'existing')
  } catch (error) {
    return {
      check: 'demo-user',
      ok: false,
      message: `cannot read the users: ${(error as Error).message}`,
      fix: 'fix DATABASE_URL or DATA_DIR so that the server can read its users',
    }
  }
  if (opened === undefined) {
    return { check: 'demo-user', ok: true, message: `no user database yet in ${environment.dataDir}` }
  }
  try {
    const demo = await opened.store.findByUsername(DEMO_USERNAME)
    if (demo !== null) {
      return {
        check: 'demo-user',
        ok: false,
        message: `the demo user "${DEMO_USERNAME}" (id ${demo.id}, well-known password) exists in ${opened.location}`,
        fix: `remove it: jwtguard users remove ${DEMO_USERNAME}`,
      }
    }
    return { check: 'demo-user', ok: true, message: `no demo user in ${opened.location}` }
  } finally {
    await opened.store.close()
  }
}

function checkDatabaseUrl(url: string | undefined): Finding | undefined {
  if (url === undefined) return undefined
  if (!/^postgres(ql)?:\/\//.test(url)) {
    return {
      check: 'database-url',
      ok: false,
      message: `DATABASE_URL ${redactUrl(url)} is not a postgres:// URL`,
      fix: 'set DATABASE_URL=postgres://user:password@host:5432/db, or unset it for SQLite in DATA_DIR',
    }
  }
  return undefined
}

/** `COOKIE_SECURE=0` is refused in production unless `BEHIND_TLS_PROXY=1` (which keeps `Secure`). */
function checkCookieSecure(env: Record<string, string | undefined>): Finding | undefined {
  const off = env.COOKIE_SECURE === '0' || env.COOKIE_SECURE === 'false'
  if (!off) return undefined
  if (env.BEHIND_TLS_PROXY === '1' || env.BEHIND_TLS_PROXY === 'true') {
    return {
      check: 'cookie-secure',
      ok: true,
      message: 'COOKIE_SECURE=0 behind a TLS-terminating proxy (BEHIND_TLS_PROXY=1): cookies keep Secure',
    }
  }
  return {
    check: 'cookie-secure',
    ok: false,
    message: 'COOKIE_SECURE=0 would send session cookies over plain HTTP',
    fix: 'remove COOKIE_SECURE; behind a TLS-terminating proxy set BEHIND_TLS_PROXY=1 instead',
  }
}

const check: Command = {
  name: 'config check',
  summary: 'Check the configuration against the production policy of the reference server.',
  details: [
    'Reads JWT_SECRET_KEY/SECRET_KEY, DATA_DIR, DATABASE_URL, JWT_REQUIRED_CLAIMS, COOKIE_SECURE,',
    'BEHIND_TLS_PROXY and NODE_ENV, like the server. Production refuses: a secret shorter than 32 bytes,',
    'of low entropy (or none), the demo user, required claims without exp, and COOKIE_SECURE=0 without',
    'BEHIND_TLS_PROXY=1. With NODE_ENV=production (or --production) any of them exits 1; otherwise they',
    'are reported as what production would refuse, and the exit code is 0.',
  ].join('\n'),
  options: {
    production: { type: 'boolean', description: 'apply the policy as with NODE_ENV=production' },
  },
  async run(input) {
    const environment = readEnvironment(input.io.env)
    const production = environment.production || input.values.production === true
    const databaseUrl = checkDatabaseUrl(environment.databaseUrl)
    const findings: Finding[] = [
      checkSecret(environment),
      databaseUrl ?? (await checkDemoUser(environment)),
      checkRequiredClaims(input.io.env.JWT_REQUIRED_CLAIMS),
    ]
    const cookieSecure = checkCookieSecure(input.io.env)
    if (cookieSecure !== undefined) findings.push(cookieSecure)
    const failed = findings.filter((finding) => !finding.ok)
    const verdict =
      failed.length === 0
        ? 'ok: nothing the server would refuse in production'
        : production
          ? `refused: the server would not start in production (${failed.length} problem${failed.length === 1 ? '' : 's'})`
          : `not production: fine for development, but production would refuse ${failed.length} thing${failed.length === 1 ? '' : 's'}`
    const lines = findings.map(
      (finding) =>
        `${finding.ok ? 'ok  ' : production ? 'FAIL' : 'warn'}  ${finding.message}${finding.fix === undefined ? '' : `\n      fix: ${finding.fix}`}`,
    )
    return {
      data: { production, ok: failed.length === 0, findings },
      text: `${lines.join('\n')}\n${verdict}\n`,
      exitCode: production && failed.length > 0 ? 1 : 0,
    }
  },
}

export const configCommands: readonly Command[] = [check]
