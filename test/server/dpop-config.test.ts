/**
 * `DPOP` and `DPOP_ORIGIN` (issue 19 item 3), read by the one environment reader: invalid values
 * stop the server with a line that says the fix, and production refuses DPoP checked against the
 * `Host` header.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../server/config.js'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const config = (env: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-dpop-'))
  dirs.push(dir)
  return loadConfig({ DATA_DIR: dir, JWT_SECRET_KEY: randomBytes(48).toString('base64'), ...env })
}

describe('DPOP and DPOP_ORIGIN', () => {
  it('reads the mode, case-insensitively, and the origin without a trailing slash', () => {
    expect(config({})).toMatchObject({ dpop: undefined, dpopOrigin: undefined })
    expect(config({ DPOP: 'Required', DPOP_ORIGIN: 'https://api.example.com/' })).toMatchObject({
      dpop: 'required',
      dpopOrigin: 'https://api.example.com',
    })
  })

  it.each([
    [{ DPOP: 'sometimes' }, /DPOP must be required or allowed.*set DPOP=required or DPOP=allowed/],
    [
      { DPOP: 'allowed', DPOP_ORIGIN: 'ftp://api.example.com' },
      /DPOP_ORIGIN .* is not a https:\/\/ or http:\/\/ URL/,
    ],
    [
      { DPOP: 'allowed', DPOP_ORIGIN: 'https://api.example.com/v1' },
      /DPOP_ORIGIN must be an origin without a path/,
    ],
  ])('refuses %o', (env, message) => {
    expect(() => config(env)).toThrow(ConfigError)
    expect(() => config(env)).toThrow(message)
  })

  it('refuses DPOP without DPOP_ORIGIN in production, and takes it with one', () => {
    const production = { NODE_ENV: 'production', DPOP: 'required' }
    expect(() => config(production)).toThrow(/DPOP without DPOP_ORIGIN .*set DPOP_ORIGIN/)
    expect(config({ ...production, DPOP_ORIGIN: 'https://api.example.com' }).dpop).toBe('required')
  })
})
