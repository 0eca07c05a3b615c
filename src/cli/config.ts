/**
 * `jwtguard config check`: the environment as the reference server reads it (the reader they
 * share, src/config/), what the server would refuse to start with, and what it would refuse with
 * `NODE_ENV=production`, each with its fix. Checks that need the reference server's own data are
 * the server's, at its start-up.
 *
 * @module
 * @internal
 */
import { type Problem, readSettings } from '../config/environment.js'
import { type Finding, productionFindings } from '../config/policy.js'
import type { Command } from './internal/command.js'

export type { Finding } from '../config/policy.js'

/** `JWT_REQUIRED_CLAIMS` (the library's `requiredClaims`, by its Flask-JWT name) must keep `exp`. */
function checkRequiredClaims(raw: string | undefined): Finding {
  const variable = 'JWT_REQUIRED_CLAIMS'
  if (raw === undefined || raw === '')
    return {
      check: 'required-claims',
      variable,
      ok: true,
      message: 'required claims: exp, iat, nbf (default)',
    }
  const claims = raw
    .split(',')
    .map((claim) => claim.trim())
    .filter((claim) => claim !== '')
  if (!claims.includes('exp')) {
    return {
      check: 'required-claims',
      variable,
      ok: false,
      message: `JWT_REQUIRED_CLAIMS="${raw}" makes exp optional: a token without exp would be valid forever`,
      fix: 'add exp to JWT_REQUIRED_CLAIMS, or unset it for the default exp,iat,nbf',
    }
  }
  return { check: 'required-claims', variable, ok: true, message: `required claims: ${claims.join(', ')}` }
}

/** A value the server refuses in any mode, as a finding named after its variable (`database-url`). */
function invalidValue(problem: Problem): Finding {
  const finding: Finding = {
    check: problem.variable.toLowerCase().replaceAll('_', '-'),
    variable: problem.variable,
    ok: false,
    message: problem.message,
  }
  return problem.fix === undefined ? finding : { ...finding, fix: problem.fix }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

function verdictOf(invalid: number, failed: number, production: boolean): string {
  if (invalid > 0) {
    return `refused: the server would not start with this environment (${plural(invalid, 'problem')})`
  }
  if (failed === 0) return 'ok: nothing the server would refuse in production'
  return production
    ? `refused: the server would not start in production (${plural(failed, 'problem')})`
    : `not production: fine for development, but production would refuse ${plural(failed, 'thing')}`
}

const check: Command = {
  name: 'config check',
  summary: 'Check the environment as the reference server reads it, and against its production policy.',
  details: [
    'Reads every variable of the server (PORT, DATA_DIR, JWT_SECRET_KEY/SECRET_KEY, KEY_*, REDIS_*,',
    "DATABASE_URL, COOKIE_SECURE, HTTP_*, NODE_ENV, ...) with the server's own reader; a value the server",
    'refuses to start with always exits 1. Production also refuses: a secret shorter than 32 bytes, of',
    'low entropy (or none), COOKIE_SECURE=0 without BEHIND_TLS_PROXY=1, and JWT_REQUIRED_CLAIMS without',
    'exp. With NODE_ENV=production (or --production) any of them exits 1; otherwise they are reported as',
    'what production would refuse, and the exit code is 0.',
  ].join('\n'),
  options: {
    production: { type: 'boolean', description: 'apply the policy as with NODE_ENV=production' },
  },
  async run(input) {
    const { settings, problems } = readSettings(input.io.env)
    const production = settings.production || input.values.production === true
    const invalid = problems.map(invalidValue)
    const policy = [...productionFindings(settings), checkRequiredClaims(input.io.env.JWT_REQUIRED_CLAIMS)]
    const failed = policy.filter((finding) => !finding.ok).length
    const findings = [...invalid, ...policy]
    const label = (finding: Finding) =>
      finding.ok ? 'ok  ' : production || invalid.includes(finding) ? 'FAIL' : 'warn'
    const lines = findings.map(
      (finding) =>
        `${label(finding)}  ${finding.message}${finding.fix === undefined ? '' : `\n      fix: ${finding.fix}`}`,
    )
    return {
      data: { production, ok: invalid.length + failed === 0, findings },
      text: `${lines.join('\n')}\n${verdictOf(invalid.length, failed, production)}\n`,
      exitCode: invalid.length > 0 || (production && failed > 0) ? 1 : 0,
    }
  },
}

export const configCommands: readonly Command[] = [check]
