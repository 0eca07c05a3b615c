/**
 * The reference server's start-up policy: what it generates, what it refuses, and the one line it
 * prints when it refuses (spawned as a real process, as `npm start` runs it).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.js'
import { createServerContext, StartupRefusal } from '../../server/context.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-startup-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('loadConfig', () => {
  it('generates a 256-bit secret once, mode 0600, and reuses it', () => {
    const dataDir = tempDir()
    const first = loadConfig({ DATA_DIR: dataDir })
    expect(first.secretSource).toBe('generated')
    expect(Buffer.from(first.secret, 'base64url')).toHaveLength(32)
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600)
    const second = loadConfig({ DATA_DIR: dataDir })
    expect(second.secretSource).toBe('data-dir')
    expect(second.secret).toBe(first.secret)
  })

  it.each([
    ['no secret in production', { NODE_ENV: 'production' }, /JWT_SECRET_KEY is not set/],
    [
      'a short secret in production',
      { NODE_ENV: 'production', JWT_SECRET_KEY: 'super-secret' },
      /needs at least 32/,
    ],
    ['a bad port', { PORT: 'http' }, /PORT must be/],
    ['an unknown framework', { FRAMEWORK: 'koa' }, /FRAMEWORK must be one of/],
    ['a bad proxy count', { TRUST_PROXY: 'yes' }, /TRUST_PROXY/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...env })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...env })).toThrow(message)
  })

  it('accepts the SECRET_KEY alias', () => {
    expect(loadConfig({ DATA_DIR: tempDir(), SECRET_KEY: 'x'.repeat(40) }).secretSource).toBe('environment')
  })
})

describe('production policy', () => {
  it('creates the demo user outside production only, and refuses to start in production while it exists', async () => {
    const dataDir = tempDir()
    const secret = 'a-production-secret-of-at-least-32-bytes'
    const development = await createServerContext(
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: secret }),
      pino({ level: 'silent' }),
    )
    expect(await development.users.findByUsername('masnun')).toMatchObject({ id: 123 })
    await development.close()
    const refusal = createServerContext(
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: secret, NODE_ENV: 'production' }),
      pino({ level: 'silent' }),
    )
    await expect(refusal).rejects.toThrow(StartupRefusal)
    await expect(refusal).rejects.toThrow(/users remove masnun/)
  })

  it('does not create the demo user in production', async () => {
    const context = await createServerContext(
      loadConfig({
        DATA_DIR: tempDir(),
        JWT_SECRET_KEY: 'a-production-secret-of-at-least-32-bytes',
        NODE_ENV: 'production',
      }),
      pino({ level: 'silent' }),
    )
    expect(await context.users.findByUsername('masnun')).toBeNull()
    await context.close()
  })

  it('exits 1 with one clear line when started in production without a secret', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=jwtguard-source', '--import', 'tsx', 'server/main.ts'],
      {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          DATA_DIR: tempDir(),
          JWT_SECRET_KEY: '',
          SECRET_KEY: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^jwtguard: JWT_SECRET_KEY is not set: .*openssl rand/),
    ])
  })
})
