/**
 * Commands, their options and help, argument parsing (node:util parseArgs), and the two errors the
 * top-level handler prints without a stack: {@link UsageError} (exit 2) and {@link CliError} (exit 1).
 *
 * @module
 * @internal
 */
import { parseArgs } from 'node:util'

/** Everything a command reads and writes: the process's, or a test's. */
export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  stdin: NodeJS.ReadableStream & { isTTY?: boolean | undefined; setRawMode?: (mode: boolean) => unknown }
  env: Readonly<Record<string, string | undefined>>
}

/** One option of a command, with what `--help` prints about it. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Shown after the option name in help, e.g. `FILE`. */
  value?: string
  description: string
}

/** What a command answers: data for `--json`, text for people, and the exit code. */
export interface CommandResult {
  data: unknown
  text: string
  /** @default 0 */
  exitCode?: number
}

/** Parsed arguments, as a command receives them. */
export interface CommandInput {
  positionals: string[]
  values: Record<string, string | boolean | string[] | undefined>
  json: boolean
  io: CliIo
}

export interface Command {
  /** The words after `jwtguard`, e.g. `users add`. */
  name: string
  /** Positional arguments, for the usage line, e.g. `<username>`. */
  args?: string
  summary: string
  /** More lines of help. */
  details?: string
  options: Record<string, OptionSpec>
  /** Number of positionals accepted. @default [0, 0] */
  positionals?: [min: number, max: number]
  run(input: CommandInput): Promise<CommandResult>
}

/** A mistake in how the command was called. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** An expected failure, whose message says what to do. Exit code 1 (or `exitCode`). */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as JSON' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
}

function optionLine(name: string, spec: OptionSpec): [string, string] {
  const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`
  return [flag, spec.description + (spec.multiple === true ? ' (repeatable)' : '')]
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const lines = [
    `Usage: jwtguard ${command.name}${command.args === undefined ? '' : ` ${command.args}`} [options]`,
    '',
    command.summary,
  ]
  if (command.details !== undefined) lines.push('', command.details)
  const rows = Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([name, spec]) =>
    optionLine(name, spec),
  )
  const width = Math.max(...rows.map(([flag]) => flag.length))
  lines.push('', 'Options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`))
  return `${lines.join('\n')}\n`
}

/** The `--help` text of a group of commands (or of all of them). */
export function groupHelp(title: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length + (command.args?.length ?? 0) + 1))
  const rows = commands.map(
    (command) =>
      `  jwtguard ${`${command.name}${command.args === undefined ? '' : ` ${command.args}`}`.padEnd(width)}  ${command.summary}`,
  )
  return `${title}\n\nCommands:\n${rows.join('\n')}\n\nEvery command takes --help and --json. Exit codes: 0 ok, 1 failure, 2 usage error.\n`
}

/** Parses a command's arguments; any mistake is a {@link UsageError} naming the fix. */
export function parseCommandArgs(
  command: Command,
  args: readonly string[],
  io: CliIo,
): { help: true } | { help: false; input: CommandInput } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  for (const [name, spec] of Object.entries({ ...command.options, ...GLOBAL_OPTIONS })) {
    options[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === undefined ? {} : { multiple: spec.multiple }),
    }
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message.split('. ')[0] ?? 'invalid arguments'
    throw new UsageError(`${message}: see \`jwtguard ${command.name} --help\``)
  }
  const values = parsed.values as CommandInput['values']
  if (values.help === true) return { help: true }
  const [min, max] = command.positionals ?? [0, 0]
  const { positionals } = parsed
  if (positionals.length < min) {
    throw new UsageError(
      `missing ${command.args ?? 'arguments'}: usage is \`jwtguard ${command.name} ${command.args ?? ''}\``,
    )
  }
  if (positionals.length > max) {
    throw new UsageError(
      `unexpected argument "${positionals[max]}": usage is \`jwtguard ${command.name}${command.args === undefined ? '' : ` ${command.args}`}\``,
    )
  }
  return { help: false, input: { positionals, values, json: values.json === true, io } }
}

/** A string option's value, or `undefined`. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name]
  return typeof value === 'string' ? value : undefined
}

/** A repeatable string option's values. */
export function listOption(input: CommandInput, name: string): string[] {
  const value = input.values[name]
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
}

/** A positive integer option, or `fallback`. */
export function integerOption(input: CommandInput, name: string, fallback: number, minimum = 1): number {
  const raw = stringOption(input, name)
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < minimum) {
    throw new UsageError(`--${name} must be an integer >= ${minimum}, got "${raw}"`)
  }
  return value
}
