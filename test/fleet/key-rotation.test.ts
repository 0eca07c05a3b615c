/**
 * Fleet key rotation with zero refusals (issue 22, item 5): three instances (Fastify, Express,
 * Hono) on one key directory; `jwtguard keys rotate` publishes the next key, the instances pick it
 * up by polling the directory (no signal), and it signs only after the delay. Tokens flow through
 * every instance the whole time: none is refused, and the new key ends up signing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { jwtguard } from '../cli/run.js'
import { type ServerProcess, startServerProcess } from '../support/process.js'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-rotate-'))
  dirs.push(dir)
  return dir
}
const servers: ServerProcess[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as { kid: string }).kid

it('rotates across three instances while tokens flow: 0 refused, then the new key signs', async () => {
  const keyDir = tempDir()
  expect((await jwtguard(['keys', 'rotate', '--dir', keyDir, '--kid', '2026-01'])).code).toBe(0)
  // Instances notice changes at different times (as with SIGHUP sent host by host): 0.2 to 2 s.
  const fleet = [
    ['fastify', '0.2'],
    ['express', '1'],
    ['hono', '2'],
  ] as const
  servers.push(
    ...(await Promise.all(
      fleet.map(([framework, poll]) =>
        startServerProcess({
          KEY_DIR: keyDir,
          KEY_POLL_INTERVAL: poll,
          FRAMEWORK: framework,
          DATA_DIR: tempDir(),
        }),
      ),
    )),
  )
  const refused: string[] = []
  const kids = new Set<string>()
  let rotating = true
  const rotation = jwtguard([
    'keys',
    'rotate',
    '--dir',
    keyDir,
    '--kid',
    '2026-02',
    '--activate-after',
    '2.5',
  ]).then((result) => {
    rotating = false
    return result
  })
  let round = 0
  let after = 0
  let settledBy = Number.POSITIVE_INFINITY
  // Tokens flow until the rotation is over, a few more rounds have run and the new key has signed
  // (every instance polls within 2 s: allow 5 s after the rotation before calling it missed).
  while (rotating || after < 6 || (!kids.has('2026-02') && Date.now() < settledBy)) {
    if (!rotating) {
      after += 1
      if (settledBy === Number.POSITIVE_INFINITY) settledBy = Date.now() + 5000
    }
    const issuer = servers[round % servers.length] as ServerProcess
    round += 1
    const login = await issuer.request('POST', '/auth', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
    })
    expect(login.status).toBe(200)
    const token = (login.json() as { access_token: string }).access_token
    kids.add(kidOf(token))
    for (const server of servers) {
      const answer = await server.request('GET', '/api/v1/private', {
        headers: { authorization: `JWT ${token}` },
      })
      if (answer.status !== 200) refused.push(`${kidOf(token)} on ${server.address}: ${answer.text}`)
    }
  }
  expect((await rotation).code).toBe(0)
  expect(refused).toEqual([])
  expect([...kids].sort()).toEqual(['2026-01', '2026-02'])
  expect(round).toBeGreaterThan(10)
}, 90_000)
