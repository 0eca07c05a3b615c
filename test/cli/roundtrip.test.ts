/**
 * Issue 6's round trip, through the real binary and the real server process: create a user with the
 * CLI, start the server on the same database, log in over HTTP, issue and verify tokens with the CLI,
 * rotate a key with the CLI and see the running server sign with it after SIGHUP.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess } from '../support/process.js'
import { decodeSegment } from '../support/tokens.js'
import { jwtguard } from './run.js'

const root = mkdtempSync(join(tmpdir(), 'jwtguard-roundtrip-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('CLI and server round trip', () => {
  it('user from the CLI logs in; CLI tokens are accepted; CLI key rotation reaches the server', async () => {
    const dataDir = join(root, 'data')
    const keyDir = join(dataDir, 'keys')
    mkdirSync(keyDir, { recursive: true })
    const env = { DATA_DIR: dataDir }

    const added = await jwtguard(['users', 'add', 'alice', '--password-stdin'], {
      env,
      input: 'correct horse\n',
    })
    expect(added.code).toBe(0)
    const firstKey = await jwtguard(
      ['keys', 'rotate', '--dir', keyDir, '--kid', '2026-01-01', '--alg', 'ES256'],
      {
        env,
      },
    )
    expect(firstKey.code).toBe(0)

    const server = await startServerProcess({ DATA_DIR: dataDir, KEY_DIR: keyDir })
    try {
      const login = await server.request('POST', '/auth', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'correct horse' }),
      })
      expect(login.status).toBe(200)
      const { access_token: accessToken } = login.json() as { access_token: string }
      expect(decodeSegment(accessToken, 0).kid).toBe('2026-01-01')

      const verified = await jwtguard(['token', 'verify', accessToken, '--keys', keyDir, '--json'], { env })
      expect(verified.code).toBe(0)
      expect(JSON.parse(verified.stdout)).toMatchObject({
        payload: { identity: decodeSegment(accessToken, 1).identity },
      })

      const issued = await jwtguard(
        ['token', 'issue', '--identity', String(decodeSegment(accessToken, 1).identity), '--keys', keyDir],
        {
          env,
        },
      )
      expect(issued.code).toBe(0)
      const me = await server.request('GET', '/api/v1/me', {
        headers: { authorization: `JWT ${issued.stdout.trim()}` },
      })
      expect(me.status).toBe(200)

      const rotated = await jwtguard(
        ['keys', 'rotate', '--dir', keyDir, '--kid', '2026-02-01', '--activate-after', '0'],
        { env },
      )
      expect(rotated.code).toBe(0)
      server.child.kill('SIGHUP')
      let kid: unknown
      for (let attempt = 0; attempt < 50 && kid !== '2026-02-01'; attempt += 1) {
        const again = await server.request('POST', '/auth', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'correct horse' }),
        })
        kid = decodeSegment((again.json() as { access_token: string }).access_token, 0).kid
        if (kid !== '2026-02-01') await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(kid).toBe('2026-02-01')
      // The token signed before the rotation still works.
      expect(
        (await server.request('GET', '/api/v1/me', { headers: { authorization: `JWT ${accessToken}` } }))
          .status,
      ).toBe(200)
    } finally {
      await server.stop()
    }
  }, 90_000)
})
