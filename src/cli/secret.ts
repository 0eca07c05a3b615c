/**
 * `jwtguard secret generate`: a random HMAC secret, long enough for HS512.
 *
 * @module
 * @internal
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createHmacKey } from '../core/keys.js'
import { CliError, type Command, integerOption, stringOption } from './internal/command.js'

const generate: Command = {
  name: 'secret generate',
  summary: 'Print a random secret for JWT_SECRET_KEY (base64url).',
  details:
    'The default 64 bytes suit HS256, HS384 and HS512; production refuses fewer than 32.\nWith --out the secret goes into a new file (mode 0600) instead of stdout.',
  options: {
    bytes: { type: 'string', value: 'N', description: 'random bytes (at least 32, default 64)' },
    out: { type: 'string', value: 'FILE', description: 'write to FILE (mode 0600); refuses to overwrite' },
  },
  async run(input) {
    const bytes = integerOption(input, 'bytes', 64, 32)
    if (bytes > 1024) throw new CliError('--bytes must be at most 1024: longer secrets add nothing')
    const secret = randomBytes(bytes).toString('base64url')
    // The library's own check, so that what this prints is always accepted.
    createHmacKey(secret, { alg: bytes >= 64 ? 'HS512' : bytes >= 48 ? 'HS384' : 'HS256' })
    const out = stringOption(input, 'out')
    if (out === undefined) return { data: { secret, bytes }, text: `${secret}\n` }
    try {
      writeFileSync(out, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      throw new CliError(
        code === 'EEXIST'
          ? `${out} already exists: choose another path, or delete it first if you mean to replace the secret`
          : `cannot write ${out} (${code ?? 'error'}): check the directory exists and is writable`,
      )
    }
    return { data: { file: out, bytes }, text: `wrote a ${bytes}-byte secret to ${out} (mode 0600)\n` }
  },
}

export const secretCommands: readonly Command[] = [generate]
