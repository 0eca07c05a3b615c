/**
 * The attack corpus's empty-key class, on the reference server's configuration: it never runs on an
 * empty secret (CVE-2022-23540, GHSA-c32j-vqhx-rx3x). Moved here from test/attacks/empty-key.test.ts
 * when tests outside test/server stopped importing server/ (issue 16).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.js'

describe('the reference server never runs on an empty secret', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-attack-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))
  it('refuses JWT_SECRET_KEY="" in production (ConfigError, exit at start-up)', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, JWT_SECRET_KEY: '' })).toThrow(
      ConfigError,
    )
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, SECRET_KEY: '' })).toThrow(
      ConfigError,
    )
  })
  it('outside production, generates 256 random bits instead of using ""', () => {
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: '' })
    expect(config.secretSource).not.toBe('environment')
    expect(Buffer.byteLength(config.secret)).toBeGreaterThanOrEqual(32)
  })
})
