/**
 * Runs the real `jwtguard` binary (bin/jwtguard.js, on the sources through tsx) in a child process
 * with a clean environment: nothing leaks in from the developer's shell.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/jwtguard.js', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export function jwtguard(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        // Test the sources, even when a build left a dist/ behind.
        JWTGUARD_CLI_FROM_SOURCE: '1',
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** True when `text` is exactly one line (the CLI's error format: no stack, no banner). */
export function isOneLine(text: string): boolean {
  return text.endsWith('\n') && !text.slice(0, -1).includes('\n')
}

/**
 * Runs the binary on a pseudo-terminal (util-linux `script`), typing each answer once its prompt
 * has appeared, as a person would: before raw mode the terminal itself would echo early input.
 */
export function jwtguardOnTerminal(
  args: readonly string[],
  answers: readonly { prompt: string; type: string }[],
  env: Record<string, string>,
): Promise<RunResult> {
  const quote = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        JWTGUARD_CLI_FROM_SOURCE: '1',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let next = 0
    let searchFrom = 0
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const answer = answers[next]
      const at = answer === undefined ? -1 : stdout.indexOf(answer.prompt, searchFrom)
      if (answer !== undefined && at !== -1) {
        searchFrom = at + answer.prompt.length
        next += 1
        child.stdin.write(answer.type)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }))
  })
}
