/**
 * Issue 21 item 3: the reference server as it would be deployed. `npm run build` compiles it
 * (build/server/), the compiled server answers as the sources do, and `npm start`
 * (scripts/start.sh) runs the build when it is there and newer than the sources, the sources
 * through tsx otherwise.
 */
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess } from '../support/process.js'
import { TEST_SECRET } from '../support/server.js'

const ROOT = resolve(import.meta.dirname, '../..')
const dirs: string[] = []
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('the compiled reference server', () => {
  it('runs from build/ with plain Node.js: 200 on /auth, then on a protected route', async () => {
    expect(
      existsSync(join(ROOT, 'build/BUILT')),
      'build/ is missing: run `npm run build` (npm test does)',
    ).toBe(true)
    const server = await startServerProcess(
      { DATA_DIR: tempDir('jwtguard-compiled-'), JWT_SECRET_KEY: TEST_SECRET, FRAMEWORK: 'fastify' },
      { compiled: true },
    )
    try {
      const login = await server.request('POST', '/auth', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
      })
      expect(login.status).toBe(200)
      const { access_token } = login.json() as { access_token: string }
      const me = await server.request('GET', '/api/v1/me', {
        headers: { authorization: `JWT ${access_token}` },
      })
      expect(me.status).toBe(200)
      expect(me.json()).toEqual({ user_id: 123 })
      const openapi = await server.request('GET', '/openapi.json')
      expect(openapi.status).toBe(200)
      const page = await server.request('GET', '/')
      expect(page.status).toBe(200)
      expect(page.text).toContain('<html')
    } finally {
      await server.stop()
    }
  }, 60_000)
})

/**
 * scripts/start.sh in a copy of the layout it looks at, with stand-ins for the two entry points
 * that print which one ran.
 */
function startScriptSandbox(): { run(): string; dir: string } {
  const dir = tempDir('jwtguard-start-')
  mkdirSync(join(dir, 'scripts'))
  cpSync(join(ROOT, 'scripts/start.sh'), join(dir, 'scripts/start.sh'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'src'))
  mkdirSync(join(dir, 'server'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  writeFileSync(join(dir, 'server/main.ts'), "const from: string = 'sources'\nconsole.log(from)\n")
  return {
    dir,
    // stderr joins stdout: what the script says, then what ran.
    run: () => execFileSync('sh', ['-c', `sh '${join(dir, 'scripts/start.sh')}' 2>&1`], { encoding: 'utf8' }),
  }
}

function build(dir: string, at: Date): void {
  mkdirSync(join(dir, 'build/server'), { recursive: true })
  writeFileSync(join(dir, 'build/server/main.js'), "console.log('compiled')\n")
  writeFileSync(join(dir, 'build/BUILT'), `${at.toISOString()}\n`)
  utimesSync(join(dir, 'build/BUILT'), at, at)
}

describe('npm start (scripts/start.sh)', () => {
  const past = new Date(Date.now() - 3_600_000)

  it('runs the sources through tsx without a build', () => {
    const sandbox = startScriptSandbox()
    expect(sandbox.run()).toBe('sources\n')
  })

  it('runs the build when it is newer than every source', () => {
    const sandbox = startScriptSandbox()
    for (const file of ['package.json', 'server/main.ts', 'src', 'server']) {
      utimesSync(join(sandbox.dir, file), past, past)
    }
    build(sandbox.dir, new Date())
    expect(sandbox.run()).toBe('compiled\n')
  })

  it('runs the sources, and says why, when a source changed after the build', () => {
    const sandbox = startScriptSandbox()
    build(sandbox.dir, past)
    expect(sandbox.run()).toBe(
      'jwtguard: build/ is older than the sources: running the sources (npm run build to refresh it)\nsources\n',
    )
  })
})
