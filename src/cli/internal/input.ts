/**
 * Reading secrets: a password from a prompt with echo off, or from stdin with `--password-stdin`,
 * never from argv (where `ps` and shell history would keep it); a token from stdin with `-`.
 *
 * @module
 * @internal
 */
import { CliError, type CliIo, UsageError } from './command.js'

/** Longest stdin the CLI reads, in bytes: passwords and tokens are far smaller. */
const MAX_STDIN_BYTES = 64 * 1024

/** Reads stdin to its end. */
export async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buffer.length
    if (size > MAX_STDIN_BYTES)
      throw new CliError(`stdin is larger than ${MAX_STDIN_BYTES} bytes: pipe only the value`)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Reads one line typed at the terminal without echoing it. Ctrl-C or Ctrl-D cancel. */
function promptHidden(io: CliIo, question: string): Promise<string> {
  const { stdin } = io
  const setRawMode = stdin.setRawMode
  if (typeof setRawMode !== 'function') {
    throw new UsageError('cannot turn off echo on this input: pipe the password and pass --password-stdin')
  }
  // Echo off before the prompt shows: an answer typed (or pasted) right away is never echoed.
  setRawMode.call(stdin, true)
  io.stderr.write(question)
  stdin.setEncoding('utf8')
  stdin.resume()
  return new Promise((resolvePrompt, reject) => {
    let value = ''
    const finish = (error?: Error): void => {
      stdin.off('data', onData)
      setRawMode.call(stdin, false)
      stdin.pause()
      io.stderr.write('\n')
      if (error === undefined) resolvePrompt(value)
      else reject(error)
    }
    function onData(chunk: string | Buffer): void {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') {
          finish()
          return
        }
        if (char === '\u0003' || (char === '\u0004' && value === '')) {
          finish(new CliError('cancelled', 130))
          return
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('')
        else if (char >= ' ') value += char
      }
    }
    stdin.on('data', onData)
  })
}

/**
 * The new password for `users add` and `users passwd`: from stdin with `--password-stdin` (one
 * line; the trailing newline is dropped), else from a prompt, typed twice.
 */
export async function readNewPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  let password: string
  if (fromStdin) {
    password = (await readStdin(io)).replace(/\r?\n$/, '')
    if (/[\r\n]/.test(password)) {
      throw new CliError('the password on stdin spans several lines: pipe exactly one line')
    }
  } else {
    if (io.stdin.isTTY !== true) {
      throw new UsageError('stdin is not a terminal: pipe the password and pass --password-stdin')
    }
    password = await promptHidden(io, 'Password: ')
    if (password !== '' && (await promptHidden(io, 'Repeat password: ')) !== password) {
      throw new CliError('the passwords do not match: run the command again')
    }
  }
  if (password === '') throw new CliError('the password is empty: give a non-empty password')
  return password
}

/** A token given as an argument, or read from stdin when the argument is `-` or missing. */
export async function readTokenArgument(io: CliIo, argument: string | undefined): Promise<string> {
  if (argument !== undefined && argument !== '-') return argument.trim()
  if (io.stdin.isTTY === true) {
    throw new UsageError('no token: pass it as an argument, or pipe it and use "-"')
  }
  const token = (await readStdin(io)).trim()
  if (token === '') throw new UsageError('no token on stdin: pipe the token, or pass it as an argument')
  return token
}
