/**
 * The `jwtguard` command line: users, secrets, keys, tokens and a production check, each a thin
 * layer over the library's public functions. One top-level handler turns every expected failure
 * into one line on stderr (`code: message` for a `JwtGuardError`) and an exit code: 0 ok,
 * 1 failure, 2 usage error. Only unexpected errors print a stack.
 *
 * @module
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type ErrorCode, isJwtGuardError } from '../core/errors.js'
import { configCommands } from './config.js'
import {
  CliError,
  type CliIo,
  type Command,
  commandHelp,
  groupHelp,
  parseCommandArgs,
  UsageError,
} from './internal/command.js'
import { keyCommands } from './keys.js'
import { secretCommands } from './secret.js'
import { tokenCommands } from './token.js'
import { userCommands } from './users.js'

export type { CliIo } from './internal/command.js'

const COMMANDS: readonly Command[] = [
  ...userCommands,
  ...secretCommands,
  ...keyCommands,
  ...tokenCommands,
  ...configCommands,
]

const TITLE = 'jwtguard: manage the users, secrets, keys and tokens of a jwtguard server.'

/** What to do about a coded error, printed after it. */
const FIXES: Partial<Record<ErrorCode, string>> = {
  ERR_SIGNATURE_INVALID: 'use the secret or keys it was signed with: JWT_SECRET_KEY, --secret-file or --keys',
  ERR_TOKEN_EXPIRED: 'get a new token: log in again, or `jwtguard token issue`',
  ERR_TOKEN_NOT_YET_VALID: 'wait until its nbf, or check that the clocks agree',
  ERR_ALG_NOT_ALLOWED: 'the token uses another algorithm: pass its --alg, or the --keys it was signed with',
  ERR_KEY_NOT_FOUND: 'no key has the token kid: point --keys at the directory that holds it',
  ERR_TOKEN_MALFORMED: 'pass the whole token: three base64url parts separated by dots',
  ERR_TOKEN_TOO_LARGE: 'this is not one of our tokens: they are far smaller',
  ERR_CLAIM_INVALID: 'the claim named is missing or has the wrong type: issue a new token',
  ERR_CRIT_UNSUPPORTED: 'the token needs header extensions jwtguard does not implement',
}

const GROUP_SUMMARIES: Record<string, string> = {
  users: 'Manage the users the server authenticates.',
  secret: 'Generate HMAC secrets.',
  keys: 'Generate asymmetric keys and rotate a key directory.',
  token: 'Decode, verify and issue tokens.',
  config: 'Check the configuration against the production policy.',
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}

/** Finds the command named by the first words of `argv`; the rest are its arguments. */
function findCommand(
  argv: readonly string[],
): { command: Command; rest: string[] } | { group: string | undefined } {
  const [group, name] = argv
  const command = COMMANDS.find((candidate) => candidate.name === `${group} ${name}`)
  if (command !== undefined) return { command, rest: argv.slice(2) }
  return { group }
}

function printError(io: CliIo, json: boolean, code: string | undefined, message: string, fix?: string): void {
  if (json) {
    io.stderr.write(`${JSON.stringify({ error: { code: code ?? null, message, fix: fix ?? null } })}\n`)
    return
  }
  const line = code === undefined ? `jwtguard: ${message}` : `${code}: ${message}`
  io.stderr.write(`${fix === undefined ? line : `${line} (fix: ${fix})`}\n`)
}

/**
 * Runs one command line (without `node` and the script) and resolves to its exit code. Never
 * throws and never exits the process: `run` does that.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json')
  try {
    const found = findCommand(argv)
    if (!('command' in found)) {
      const { group } = found
      const inGroup = COMMANDS.filter((command) => command.name.startsWith(`${group} `))
      const wantsHelp =
        argv.length === 0 || argv.includes('--help') || argv.includes('-h') || group === 'help'
      // Help asked for goes to stdout; help instead of a command is a usage error, on stderr.
      if (inGroup.length > 0 && (argv.length === 1 || wantsHelp)) {
        const asked = argv.length > 1 || group === 'help'
        ;(asked ? io.stdout : io.stderr).write(
          groupHelp(`jwtguard ${group}: ${GROUP_SUMMARIES[group ?? ''] ?? ''}`, inGroup),
        )
        return asked ? 0 : 2
      }
      if (wantsHelp && inGroup.length === 0) {
        ;(argv.length === 0 ? io.stderr : io.stdout).write(groupHelp(TITLE, COMMANDS))
        return argv.length === 0 ? 2 : 0
      }
      const known =
        inGroup.length > 0
          ? inGroup.map((command) => command.name).join(', ')
          : 'users, secret, keys, token, config'
      throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}": try ${known} (jwtguard --help)`)
    }
    const parsed = parseCommandArgs(found.command, found.rest, io)
    if (parsed.help) {
      io.stdout.write(commandHelp(found.command))
      return 0
    }
    const result = await found.command.run(parsed.input)
    io.stdout.write(json ? `${JSON.stringify(result.data, null, 2)}\n` : result.text)
    return result.exitCode ?? 0
  } catch (error) {
    if (error instanceof UsageError) {
      printError(io, json, undefined, error.message)
      return 2
    }
    if (error instanceof CliError) {
      printError(io, json, undefined, error.message)
      return error.exitCode
    }
    if (isJwtGuardError(error)) {
      printError(io, json, error.code, error.message, FIXES[error.code])
      return 1
    }
    io.stderr.write(
      `jwtguard: unexpected error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`,
    )
    return 1
  }
}

/** Runs `process.argv` and sets `process.exitCode`; what `bin/jwtguard.js` calls. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2))
}

function isEntryPoint(): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) await run()
