/**
 * Issue 20 item 3: every code block of the README runs as printed. Each fenced block carries a marker
 * comment (`<!-- readme-test: NAME [run] [extends BASE] -->`) naming what checks it; this file
 *   - fails on a block without a marker, so a new snippet cannot escape the test;
 *   - typechecks every TypeScript block against the built package (dist/, what `npm install jwtguard`
 *     gives) with the README's own tsconfig block, under TypeScript 6 and 7 (the current major and the
 *     previous one) and the project's own compiler;
 *   - runs the `run` blocks as a user would (tsx): the three framework setups serve the seed's session
 *     on a free port (their only change: PORT), the key-rotation block prints its kids.
 * `extends BASE` blocks are typechecked appended to BASE: they use its names (`app`, `auth`, …).
 * The shell blocks: every CLI line's command and flags exist (`--help`); every npm script named exists.
 * (The curl session is replayed against the reference server by test/server/readme-session.test.ts.)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { socketRequest } from '../support/http.js'

const run = promisify(execFile)
const DIR = join('test-artifacts', 'readme')
const SECRET = 'readme-test-secret-with-at-least-32-bytes'

interface Block {
  name: string
  lang: string
  code: string
  run: boolean
  decorators: boolean
  extends: string | undefined
}

/** The README's fenced blocks, each with its marker (or none). */
function readmeBlocks(markdown: string): { blocks: Block[]; unmarked: string[] } {
  const blocks: Block[] = []
  const unmarked: string[] = []
  const fence = /(?:<!-- readme-test: ([^>]*?) -->\n)?```(\w+)\n([\s\S]*?)```/g
  for (const match of markdown.matchAll(fence)) {
    const [, marker, lang = '', code = ''] = match
    if (marker === undefined) {
      unmarked.push(code.split('\n')[0] ?? '')
      continue
    }
    const [name = '', ...words] = marker.split(/\s+/)
    const base = words.indexOf('extends')
    blocks.push({
      name,
      lang,
      code,
      run: words.includes('run'),
      decorators: words.includes('decorators'),
      extends: base === -1 ? undefined : words[base + 1],
    })
  }
  return { blocks, unmarked }
}

const { blocks, unmarked } = readmeBlocks(readFileSync('README.md', 'utf8'))
const byName = new Map(blocks.map((block) => [block.name, block]))

/** The source of a block as a file: its base's code first for an `extends` block. */
function source(block: Block): string {
  const base = block.extends === undefined ? undefined : byName.get(block.extends)
  return base === undefined ? block.code : `${source(base)}\n${block.code}`
}

function writeProject(): string[] {
  rmSync(DIR, { recursive: true, force: true })
  mkdirSync(DIR, { recursive: true })
  const tsconfig = JSON.parse(byName.get('tsconfig')?.code ?? '{}') as Record<string, unknown>
  writeFileSync(join(DIR, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['*.ts'] }, null, 2))
  // NestJS's parameter decorators need `experimentalDecorators`, as the README says: those blocks
  // are checked in a project that adds it to the README's tsconfig.
  mkdirSync(join(DIR, 'decorators'))
  const withDecorators = { extends: '../tsconfig.json', compilerOptions: { experimentalDecorators: true } }
  writeFileSync(
    join(DIR, 'decorators', 'tsconfig.json'),
    JSON.stringify({ ...withDecorators, include: ['*.ts'] }),
  )
  const files: string[] = []
  for (const block of blocks) {
    if (block.lang !== 'ts') continue
    const file = block.decorators ? join('decorators', `${block.name}.ts`) : `${block.name}.ts`
    writeFileSync(join(DIR, file), source(block))
    files.push(file)
  }
  return files
}

afterAll(() => rmSync(DIR, { recursive: true, force: true }))

describe('README code blocks', () => {
  it('each carries a marker, and every marker names a block that exists', () => {
    expect(unmarked).toEqual([])
    const checked = [
      'fastify',
      'express',
      'hono',
      'nest',
      'fetch',
      'register',
      'tsconfig',
      'keys',
      'resource-server',
      'idp-auth0',
      'idp-okta',
      'idp-keycloak',
      'idp-entra',
      'roles',
      'throttle',
      'testing',
      'cluster',
    ]
    const shell = ['two-commands', 'curl-session', 'cli', 'development']
    expect(blocks.map((block) => block.name).sort()).toEqual([...checked, ...shell].sort())
    for (const block of blocks) {
      if (block.extends !== undefined) expect(byName.has(block.extends), block.name).toBe(true)
    }
  })

  const files = writeProject()

  it.each([
    ['the project compiler', 'typescript'],
    ['TypeScript 6', 'typescript-6'],
    ['TypeScript 7', 'typescript-7'],
  ])(
    'typecheck against the built package with %s and the README tsconfig',
    async (_label, compiler) => {
      expect(existsSync('dist/index.d.ts'), 'dist/ is missing: run `npm run build` (npm test does)').toBe(
        true,
      )
      const tsc = join(process.cwd(), 'node_modules', compiler, 'bin', 'tsc')
      for (const project of [join(DIR, 'tsconfig.json'), join(DIR, 'decorators', 'tsconfig.json')]) {
        const result = await run(process.execPath, [tsc, '-p', project]).then(
          () => '',
          (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
        )
        expect(result, project).toBe('')
      }
      expect(files.length).toBeGreaterThanOrEqual(6)
    },
    120_000,
  )

  it('keys: the rotation block prints both kids, the new one first', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(DIR, 'keys.ts')])
    expect(stdout.trim()).toBe("[ '2026-02', '2026-01' ] 200")
  })

  it.each([
    ['idp-auth0', 'resource-server sub Login Required'],
    ['idp-okta', "[ 'scope', 'scp' ] [ 'roles', 'groups', 'permissions' ] Login Required"],
    ['idp-keycloak', "resource-server [ 'Bearer', 'JWT' ]"],
    ['idp-entra', 'rfc9068 Login Required'],
  ])('%s: the identity-provider configuration runs as printed, fetching nothing', async (name, printed) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(DIR, `${name}.ts`)])
    expect(stdout.trim()).toBe(printed)
  })

  it("resource-server: a guard over a remote JWKS, without authenticate, verifies the issuer's token", async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(DIR, 'resource-server.ts')])
    expect(stdout.trim()).toBe('{ user_id: 123 } 0')
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

/** Starts a setup block on a free port and waits until it answers. */
async function startSetup(name: string): Promise<string> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(DIR, `${name}.ts`)], {
    env: { ...process.env, PORT: String(port), JWT_SECRET_KEY: SECRET },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.push(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const address = `http://localhost:${port}`
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${stderr}`)
    const answered = await socketRequest(address, 'GET', '/api/v1/private').then(
      (response) => response.status,
      () => 0,
    )
    if (answered === 401) return address
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not answer on ${address}:\n${stderr}`)
}

describe.each(['fastify', 'express', 'hono'])("README's %s setup, run as printed", (name) => {
  it("serves the seed's session: login, private, me, admin", async () => {
    const address = await startSetup(name)
    const request = (method: string, path: string, init?: Parameters<typeof socketRequest>[3]) =>
      socketRequest(address, method, path, init)

    const login = await request('POST', '/auth', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
    })
    expect(login.status).toBe(200)
    const { access_token: token } = login.json() as { access_token: string }
    const authorization = { authorization: `JWT ${token}` }
    expect((await request('GET', '/api/v1/private', { headers: authorization })).json()).toEqual({
      meaning_of_life: 42,
    })
    expect((await request('GET', '/api/v1/me', { headers: authorization })).json()).toEqual({ user_id: 123 })
    expect((await request('GET', '/api/v1/me')).status).toBe(401)
    expect((await request('GET', '/api/v1/admin', { headers: authorization })).json()).toEqual({
      admin: true,
    })
    const wrong = await request('POST', '/auth', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'masnun', password: 'nope' }),
    })
    expect(wrong.status).toBe(401)
    if (name === 'fastify') {
      const audit = await request('GET', '/api/v1/audit', { headers: authorization })
      expect(audit.json()).toEqual({ seen: { user_id: 123 } })
    }
  }, 60_000)
})

const block = (name: string): string => byName.get(name)?.code ?? ''
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts

describe('README shell blocks', () => {
  it('two commands: npm install && npm start, npm test, as package.json defines them', () => {
    expect(block('two-commands')).toMatch(/^npm install && npm start\b/m)
    expect(block('two-commands')).toMatch(/^npm test\b/m)
    expect(scripts.start).toBeDefined()
    expect(scripts.test).toBeDefined()
  })

  it('development: every npm script it names exists', () => {
    const named = [...block('development').matchAll(/^npm (?:run )?([\w:]+)/gm)].map(([, name]) => name ?? '')
    expect(named.length).toBeGreaterThanOrEqual(8)
    for (const name of named) expect(scripts[name], `npm run ${name}`).toBeDefined()
  })

  it('cli: every command and flag it shows exists (its --help names them)', async () => {
    const lines = block('cli')
      .split('\n')
      .filter((line) => line.startsWith('npx jwtguard '))
    expect(lines.length).toBeGreaterThanOrEqual(6)
    for (const line of lines) {
      const words = (line.split('#')[0] ?? '').trim().split(/\s+/).slice(2)
      const command = words.filter((word) => /^[a-z]+$/.test(word)).slice(0, 2)
      const help = await run(process.execPath, ['bin/jwtguard.js', ...command, '--help'], {
        env: { ...process.env, JWTGUARD_CLI_FROM_SOURCE: '1' },
      })
      expect(help.stdout, line).toMatch(new RegExp(`^Usage: jwtguard ${command.join(' ')}`))
      for (const flag of words.filter((word) => word.startsWith('--'))) {
        expect(help.stdout, `${line}: ${flag}`).toContain(flag)
      }
    }
  }, 60_000)
})
