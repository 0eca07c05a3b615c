/**
 * The `jwtguard` CLI through the real binary, on a fresh DATA_DIR per test: the users it creates
 * are the ones the reference server authenticates, and its tokens are the ones the server accepts.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpResponse } from 'jwtguard/adapter'
import { Client } from 'pg'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.js'
import { createServerContext, type ServerContext } from '../../server/context.js'
import { APPS } from '../support/apps.js'
import { privateJwk, startAuthorizationServer } from '../support/oidc-provider.js'
import { isOneLine, jwtguard, jwtguardOnTerminal } from './run.js'

const SECRET = 'cli-test-secret-with-at-least-32-bytes-of-entropy'
let dataDir: string
let env: Record<string, string>

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jwtguard-cli-'))
  env = { DATA_DIR: dataDir, JWT_SECRET_KEY: SECRET }
})

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** The reference server's context on the same DATA_DIR and secret, as `npm start` would build it. */
async function withServer<T>(work: (context: ServerContext) => Promise<T>): Promise<T> {
  const context = await createServerContext(
    loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: SECRET, NODE_ENV: 'production' }),
    pino({ level: 'silent' }),
  )
  try {
    return await work(context)
  } finally {
    await context.close()
  }
}

async function login(context: ServerContext, username: string, password: string): Promise<HttpResponse> {
  const route = context.guard.routes.find((candidate) => candidate.path === '/auth')
  if (route === undefined) throw new Error('the server mounts /auth')
  try {
    return await route.handle({
      contentType: 'application/json',
      body: JSON.stringify({ username, password }),
      headers: {},
      remoteAddress: '127.0.0.1',
    })
  } catch (error) {
    return context.guard.errorResponse(error)
  }
}

describe('jwtguard users', () => {
  it('creates DATA_DIR 0700 and the database 0600 (issue 17 item 5)', async () => {
    const nested = join(dataDir, 'new')
    const added = await jwtguard(['users', 'add', 'zoe', '--password-stdin'], {
      env: { ...env, DATA_DIR: nested },
      input: 'a long enough password\n',
    })
    expect(added.code).toBe(0)
    expect(statSync(nested).mode & 0o777).toBe(0o700)
    expect(statSync(join(nested, 'jwtguard.db')).mode & 0o777).toBe(0o600)
  })

  it('adds a user with the password from stdin, lists it, and the server logs it in', async () => {
    const added = await jwtguard(
      ['users', 'add', 'alice', '--id', '42', '--roles', 'admin,ops', '--password-stdin'],
      {
        env,
        input: 'correct horse battery staple\n',
      },
    )
    expect(added).toMatchObject({ code: 0, stderr: '' })
    expect(added.stdout).toContain('created user "alice" (id 42')

    const listed = await jwtguard(['users', 'list', '--json'], { env })
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual([{ id: 42, username: 'alice', roles: ['admin', 'ops'] }])
    expect(listed.stdout).not.toContain('argon2')

    await withServer(async (context) => {
      const ok = await login(context, 'alice', 'correct horse battery staple')
      expect(ok.status).toBe(200)
      const token = (JSON.parse(String(ok.body)) as { access_token: string }).access_token
      expect(context.guard.verify(token).identity).toBe(42)
      expect((await login(context, 'alice', 'correct horse battery staple\n')).status).toBe(401)
    })
  })

  it('changes a password, manages roles and removes the user', async () => {
    await jwtguard(['users', 'add', 'bob', '--password-stdin'], { env, input: 'first-password' })
    const changed = await jwtguard(['users', 'passwd', 'bob', '--password-stdin'], {
      env,
      input: 'second-password\n',
    })
    expect(changed.code).toBe(0)
    const roles = await jwtguard(['users', 'roles', 'bob', '--add', 'editor', '--add', 'viewer', '--json'], {
      env,
    })
    expect(JSON.parse(roles.stdout)).toEqual({ username: 'bob', roles: ['editor', 'viewer'] })
    const set = await jwtguard(['users', 'roles', 'bob', '--set', 'admin'], { env })
    expect(set.stdout).toBe('bob: admin\n')
    await withServer(async (context) => {
      expect((await login(context, 'bob', 'first-password')).status).toBe(401)
      expect((await login(context, 'bob', 'second-password')).status).toBe(200)
    })
    expect((await jwtguard(['users', 'remove', 'bob'], { env })).code).toBe(0)
    const again = await jwtguard(['users', 'remove', 'bob'], { env })
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^jwtguard: no user "bob": check the name with `jwtguard users list`\n$/)
  })

  // Issue 15 item 2: the CLI's changes reach the tokens the server issued (SQLite token store).
  it.each([
    ['users passwd', ['users', 'passwd', 'carl', '--password-stdin'], 'second-password\n'],
    ['users roles --remove', ['users', 'roles', 'carl', '--remove', 'admin'], undefined],
    ['users remove', ['users', 'remove', 'carl'], undefined],
  ])('%s ends the sessions: the tokens issued before are refused', async (_name, args, input) => {
    await jwtguard(['users', 'add', 'carl', '--roles', 'admin', '--password-stdin'], {
      env,
      input: 'first-password',
    })
    const pair = await withServer(async (context) => {
      const ok = await login(context, 'carl', 'first-password')
      expect(ok.status).toBe(200)
      return JSON.parse(String(ok.body)) as { access_token: string; refresh_token: string }
    })
    await new Promise((resolve) => setTimeout(resolve, 5)) // the cut-off is later than the login
    expect((await jwtguard(args, { env, ...(input === undefined ? {} : { input }) })).code).toBe(0)
    await withServer(async (context) => {
      const headers = { authorization: `JWT ${pair.access_token}` }
      await expect(context.guard.authenticateRequest(headers)).rejects.toMatchObject({
        code: 'ERR_TOKEN_REVOKED',
      })
      const refresh = context.guard.routes.find((route) => route.path === '/auth/refresh')
      await expect(
        refresh?.handle({
          contentType: 'application/json',
          body: JSON.stringify({ refresh_token: pair.refresh_token }),
        }),
      ).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' })
    })
  })

  it.each<[string, string[], string | undefined, number, RegExp]>([
    [
      'a duplicate username',
      ['users', 'add', 'carol', '--password-stdin'],
      'pw',
      1,
      /already exists.*users passwd carol/,
    ],
    ['a password piped without --password-stdin', ['users', 'add', 'dave'], 'pw', 2, /pass --password-stdin/],
    ['an empty password', ['users', 'add', 'erin', '--password-stdin'], '\n', 1, /password is empty/],
    ['a two-line password', ['users', 'add', 'erin', '--password-stdin'], 'a\nb\n', 1, /one line/],
    [
      'a password passed as an argument',
      ['users', 'add', 'erin', '--password', 'x'],
      '',
      2,
      /Unknown option '--password'/,
    ],
    ['a missing username', ['users', 'add', '--password-stdin'], 'pw', 2, /missing <username>/],
    [
      'a non-numeric id',
      ['users', 'add', 'erin', '--id', 'x', '--password-stdin'],
      'pw',
      2,
      /--id must be an integer/,
    ],
  ])('refuses %s in one line, with the fix', async (_case, args, input, code, message) => {
    await jwtguard(['users', 'add', 'carol', '--password-stdin'], { env, input: 'pw' })
    const result = await jwtguard(args, { env, ...(input === undefined ? {} : { input }) })
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toMatch(message)
  })

  it('prompts for the password on a terminal, twice, without echoing it', async () => {
    const typed = [
      { prompt: 'Password: ', type: 'typed-on-a-tty\r' },
      { prompt: 'Repeat password: ', type: 'typed-on-a-tty\r' },
    ]
    const added = await jwtguardOnTerminal(['users', 'add', 'frank'], typed, env)
    expect(added.code).toBe(0)
    expect(added.stdout).toContain('created user "frank"')
    expect(added.stdout).not.toContain('typed-on-a-tty')
    await withServer(async (context) => {
      expect((await login(context, 'frank', 'typed-on-a-tty')).status).toBe(200)
    })
    const mismatch = await jwtguardOnTerminal(
      ['users', 'passwd', 'frank'],
      [
        { prompt: 'Password: ', type: 'one\r' },
        { prompt: 'Repeat password: ', type: 'two\r' },
      ],
      env,
    )
    expect(mismatch.code).toBe(1)
    expect(mismatch.stdout).toContain('the passwords do not match')
  })

  it('says where to look when DATA_DIR holds no database', async () => {
    const result = await jwtguard(['users', 'list'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/no user database at .*jwtguard\.db: set DATA_DIR/)
  })
})

describe('jwtguard users on PostgreSQL (DATABASE_URL)', () => {
  const ADMIN_URL = process.env.POSTGRES_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  // A database of its own: the CLI uses the server's table name, which must not touch shared data.
  const database = `jwtguard_cli_${randomBytes(4).toString('hex')}`

  async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: ADMIN_URL })
    await client.connect() // fails the suite when PostgreSQL is unreachable
    try {
      return await work(client)
    } finally {
      await client.end()
    }
  }

  beforeAll(() => admin((client) => client.query(`CREATE DATABASE ${database}`)))
  afterAll(() => admin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)))

  it('adds, lists and removes users in PostgreSQL', async () => {
    const url = new URL(ADMIN_URL)
    url.pathname = `/${database}`
    const pgEnv = { ...env, DATABASE_URL: url.toString() }
    const added = await jwtguard(['users', 'add', 'masnun', '--id', '123', '--password-stdin'], {
      env: pgEnv,
      input: 'abc123\n',
    })
    expect(added.code).toBe(0)
    expect(added.stdout).toContain(`in ${url.toString()}`)
    const generated = await jwtguard(['users', 'add', 'next', '--password-stdin'], {
      env: pgEnv,
      input: 'pw',
    })
    expect(generated.stdout).toContain('(id 124')
    const listed = await jwtguard(['users', 'list', '--json'], { env: pgEnv })
    expect(JSON.parse(listed.stdout).map((user: { id: number }) => user.id)).toEqual([123, 124])
    expect((await jwtguard(['users', 'remove', 'masnun'], { env: pgEnv })).code).toBe(0)
    // Nothing was written to DATA_DIR.
    expect((await jwtguard(['users', 'list'], { env })).stderr).toMatch(/no user database/)
  })

  it('says which URL failed, without its password, when PostgreSQL is unreachable', async () => {
    const result = await jwtguard(['users', 'list'], {
      env: { ...env, DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/none' },
    })
    expect(result.code).toBe(1)
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toMatch(
      /cannot open the user table at DATABASE_URL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/none \(ECONNREFUSED\)/,
    )
    expect(result.stderr).not.toContain('hunter2')
  })
})

describe('jwtguard token', () => {
  it('issues a token that token verify and the server accept', async () => {
    const issued = await jwtguard(
      ['token', 'issue', '--identity', '123', '--expires-in', '15m', '--allow-unknown'],
      { env },
    )
    expect(issued.code).toBe(0)
    const token = issued.stdout.trim()
    expect(token.split('.')).toHaveLength(3)

    const verified = await jwtguard(['token', 'verify', token, '--json'], { env })
    expect(verified.code).toBe(0)
    const { payload } = JSON.parse(verified.stdout) as { payload: Record<string, number> }
    expect(payload.identity).toBe(123)
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900)

    const fromStdin = await jwtguard(['token', 'verify', '-'], { env, input: `${token}\n` })
    expect(fromStdin.code).toBe(0)
    expect(fromStdin.stdout).toMatch(/^VALID: signature and claims checked/)

    await withServer(async (context) => {
      await context.users.create({ id: 123, username: 'seed', passwordHash: 'h' })
      const auth = await context.guard.authenticateRequest({ authorization: `JWT ${token}` })
      expect(auth.identity).toEqual({ user_id: 123 })
    })
  })

  it('verifies with the secret the server generated in DATA_DIR', async () => {
    const devConfig = loadConfig({ DATA_DIR: dataDir })
    expect(devConfig.secretSource).toBe('generated')
    const issued = await jwtguard(['token', 'issue', '--identity', '5', '--allow-unknown'], {
      env: { DATA_DIR: dataDir },
    })
    expect(issued.code).toBe(0)
    const context = await createServerContext(devConfig, pino({ level: 'silent' }))
    try {
      expect(context.guard.verify(issued.stdout.trim()).identity).toBe(5)
    } finally {
      await context.close()
    }
  })

  it('refuses a token signed with another secret: code, message and fix in one line', async () => {
    const token = (
      await jwtguard(['token', 'issue', '--identity', '1', '--allow-unknown'], { env })
    ).stdout.trim()
    const result = await jwtguard(['token', 'verify', token], {
      env: { ...env, JWT_SECRET_KEY: 'another-secret-with-at-least-32-bytes!!' },
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toMatch(
      /^ERR_SIGNATURE_INVALID: Signature verification failed \(fix: .*JWT_SECRET_KEY/,
    )
    const json = await jwtguard(['token', 'verify', token, '--json'], {
      env: { ...env, JWT_SECRET_KEY: 'another-secret-with-at-least-32-bytes!!' },
    })
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'ERR_SIGNATURE_INVALID' } })
  })

  it('refuses an expired token with ERR_TOKEN_EXPIRED', async () => {
    const token = (
      await jwtguard(['token', 'issue', '--identity', '1', '--expires-in', '1', '--allow-unknown'], { env })
    ).stdout.trim()
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const result = await jwtguard(['token', 'verify', token, '--leeway', '0'], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^ERR_TOKEN_EXPIRED: /)
  })

  it('decodes a token, marked UNVERIFIED, even one with a bad signature', async () => {
    const token = (
      await jwtguard(['token', 'issue', '--identity', '9', '--allow-unknown'], { env })
    ).stdout.trim()
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`
    const decoded = await jwtguard(['token', 'decode', forged], { env: {} })
    expect(decoded.code).toBe(0)
    expect(decoded.stdout).toMatch(/^UNVERIFIED: /)
    expect(decoded.stdout).toContain('payload (unverified)')
    expect(decoded.stdout).toContain('"identity": 9')
    const json = JSON.parse((await jwtguard(['token', 'decode', forged, '--json'], { env: {} })).stdout)
    expect(json).toMatchObject({ verified: false, header: { alg: 'HS256' }, payload: { identity: 9 } })
    const malformed = await jwtguard(['token', 'decode', 'not-a-token'], { env: {} })
    expect(malformed.code).toBe(1)
    expect(malformed.stderr).toMatch(/^ERR_TOKEN_MALFORMED: /)
  })

  it('refuses an id that names no user, unless --allow-unknown (issue 20)', async () => {
    const unknown = await jwtguard(['token', 'issue', '--identity', '999'], { env })
    expect(unknown.code).toBe(1)
    expect(unknown.stdout).toBe('')
    expect(isOneLine(unknown.stderr)).toBe(true)
    expect(unknown.stderr).toMatch(/no user .*--allow-unknown/)
    await jwtguard(['users', 'add', 'alice', '--id', '7', '--password-stdin'], { env, input: 'pw-alice' })
    const missing = await jwtguard(['token', 'issue', '--identity', '999'], { env })
    expect(missing.stderr).toMatch(/no user with id 999 in .*jwtguard\.db: .*--allow-unknown/)
    const named = await jwtguard(['token', 'issue', '--identity', 'alice'], { env })
    expect(named.code).toBe(1)
    expect(named.stderr).toMatch(/user ids are numbers/)
    const allowed = await jwtguard(['token', 'issue', '--identity', '999', '--allow-unknown'], { env })
    expect(allowed.code).toBe(0)
  })

  it("carries the user's roles, or --role, --scope and --claim; the admin route admits it (issue 20)", async () => {
    await jwtguard(['users', 'add', 'root', '--id', '42', '--roles', 'admin', '--password-stdin'], {
      env,
      input: 'pw-root',
    })
    const issued = await jwtguard(['token', 'issue', '--identity', '42', '--json'], { env })
    expect(issued.code).toBe(0)
    const { access_token: token, payload } = JSON.parse(issued.stdout) as {
      access_token: string
      payload: Record<string, unknown>
    }
    expect(payload.roles).toEqual(['admin'])
    for (const { create } of APPS.filter((entry) => entry.name.includes('socket'))) {
      const app = await create({ DATA_DIR: dataDir, JWT_SECRET_KEY: SECRET })
      try {
        const admin = await app.request('GET', '/api/v1/admin', {
          headers: { authorization: `JWT ${token}` },
        })
        expect(admin.status, app.framework).toBe(200)
      } finally {
        await app.close()
      }
    }

    const custom = await jwtguard(
      [
        'token',
        'issue',
        '--identity',
        '42',
        '--json',
        '--role',
        'ops',
        '--role',
        'audit',
        '--scope',
        'read',
        '--scope',
        'write',
        '--claim',
        'tenant=acme',
        '--claim',
        'level=3',
      ],
      { env },
    )
    expect(JSON.parse(custom.stdout).payload).toMatchObject({
      roles: ['ops', 'audit'],
      scope: 'read write',
      tenant: 'acme',
      level: 3,
    })
    const reserved = await jwtguard(['token', 'issue', '--identity', '42', '--claim', 'exp=1'], { env })
    expect(reserved.code).toBe(2)
    expect(reserved.stderr).toMatch(/exp/)
    const malformed = await jwtguard(['token', 'issue', '--identity', '42', '--claim', 'nothing'], { env })
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toMatch(/name=value/)
  }, 60_000)

  it('reads KEY_DIR and KEY_FILE from the environment as the server does (issue 20)', async () => {
    const keys = join(dataDir, 'keys')
    await jwtguard(['keys', 'rotate', '--dir', keys, '--kid', 'k1'], { env })
    const keyEnv = { DATA_DIR: dataDir, KEY_DIR: keys }
    const token = (
      await jwtguard(['token', 'issue', '--identity', '3', '--allow-unknown'], { env: keyEnv })
    ).stdout.trim()
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      kid: 'k1',
    })
    const verified = await jwtguard(['token', 'verify', token], { env: keyEnv })
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(/^VALID: .* key "k1" of KEY_DIR /)

    const fileEnv = { DATA_DIR: dataDir, KEY_FILE: join(keys, 'k1.jwk') }
    const fromFile = await jwtguard(['token', 'verify', token], { env: fileEnv })
    expect(fromFile.code).toBe(0)
    expect(fromFile.stdout).toMatch(/KEY_FILE /)
    const both = await jwtguard(['token', 'verify', token], { env: { ...keyEnv, ...fileEnv } })
    expect(both.code).toBe(1)
    expect(both.stderr).toMatch(/set only one of KEY_FILE, KEY_DIR and JWKS_URL/)
  }, 60_000)
})

describe('jwtguard keys', () => {
  it('rotates a key directory: new tokens carry the new kid, old ones still verify', async () => {
    const keys = join(dataDir, 'keys')
    const first = await jwtguard(['keys', 'rotate', '--dir', keys, '--kid', '2026-01', '--json'], { env })
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      active: { kid: '2026-01', alg: 'ES256' },
      previous: null,
    })
    expect(statSync(join(keys, '2026-01.jwk')).mode & 0o777).toBe(0o600)
    const oldToken = (
      await jwtguard(['token', 'issue', '--identity', '1', '--keys', keys, '--allow-unknown'], { env })
    ).stdout.trim()

    const second = await jwtguard(
      [
        'keys',
        'rotate',
        '--dir',
        keys,
        '--kid',
        '2026-02',
        '--alg',
        'EdDSA',
        '--activate-after',
        '0',
        '--json',
      ],
      {
        env,
      },
    )
    expect(JSON.parse(second.stdout)).toMatchObject({
      active: { kid: '2026-02', alg: 'EdDSA' },
      previous: '2026-01',
      verifying: ['2026-01'],
    })
    const newToken = (
      await jwtguard(['token', 'issue', '--identity', '1', '--keys', keys, '--allow-unknown'], { env })
    ).stdout.trim()
    const header = JSON.parse(
      (await jwtguard(['token', 'decode', newToken, '--json'], { env })).stdout,
    ).header
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: '2026-02' })
    for (const token of [oldToken, newToken]) {
      expect((await jwtguard(['token', 'verify', token, '--keys', keys], { env })).code).toBe(0)
    }
    const stale = await jwtguard(['keys', 'rotate', '--dir', keys, '--kid', '2025-12'], { env })
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/would not sort after 2026-02\.jwk/)
  }, 60_000)

  it('publishes the next key before it signs: rotate --publish-only, then keys activate', async () => {
    const keys = join(dataDir, 'staged-keys')
    expect((await jwtguard(['keys', 'rotate', '--dir', keys, '--kid', '2026-01'], { env })).code).toBe(0)
    const published = await jwtguard(
      ['keys', 'rotate', '--dir', keys, '--kid', '2026-02', '--publish-only'],
      {
        env,
      },
    )
    expect(published.code).toBe(0)
    expect(readFileSync(join(keys, '2026-02.jwk'), 'utf8')).not.toContain('"d"') // public only
    const kidOf = async () => {
      const token = (
        await jwtguard(['token', 'issue', '--identity', '1', '--keys', keys, '--allow-unknown'], { env })
      ).stdout.trim()
      return JSON.parse((await jwtguard(['token', 'decode', token, '--json'], { env })).stdout).header.kid
    }
    expect(await kidOf()).toBe('2026-01') // published: verifies, does not sign yet
    const activated = await jwtguard(['keys', 'activate', '--dir', keys], { env })
    expect(activated.code).toBe(0)
    expect(await kidOf()).toBe('2026-02')
    expect(statSync(join(keys, '2026-02.jwk')).mode & 0o777).toBe(0o600)
    expect((await jwtguard(['keys', 'activate', '--dir', keys], { env })).code).toBe(1) // nothing waits
  }, 60_000)

  it('generates a key as PEM on stdout, its public JWK on stderr', async () => {
    const result = await jwtguard(['keys', 'generate', '--alg', 'ES384'], { env: {} })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/)
    expect(result.stderr).toMatch(/"crv":"P-384"/)
    expect(result.stderr).not.toContain('"d"')
    const hmac = await jwtguard(['keys', 'generate', '--alg', 'HS256'], { env: {} })
    expect(hmac.code).toBe(2)
    expect(hmac.stderr).toMatch(/jwtguard secret generate/)
  })
})

describe('jwtguard secret generate', () => {
  it('prints a 64-byte base64url secret, or writes it to a new 0600 file', async () => {
    const printed = await jwtguard(['secret', 'generate'], { env: {} })
    expect(printed.stdout).toMatch(/^[A-Za-z0-9_-]{86}\n$/)
    const file = join(dataDir, 'secret.key')
    expect((await jwtguard(['secret', 'generate', '--bytes', '32', '--out', file], { env: {} })).code).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = await jwtguard(['secret', 'generate', '--out', file], { env: {} })
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists/)
    expect((await jwtguard(['secret', 'generate', '--bytes', '16'], { env: {} })).code).toBe(2)
  })
})

describe('jwtguard config check', () => {
  it('exits 1 in production with a low-entropy secret, naming the fix (issue 17 item 6)', async () => {
    const result = await jwtguard(['config', 'check'], {
      env: { DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET_KEY: 'x'.repeat(40) },
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAIL\s+JWT_SECRET_KEY has low entropy \(1 distinct bytes, about 0 bits/)
    expect(result.stdout).toContain('jwtguard secret generate')
  })

  it('exits 1 in production with COOKIE_SECURE=0, unless BEHIND_TLS_PROXY=1 (issue 17 item 6)', async () => {
    const production = { ...env, NODE_ENV: 'production', COOKIE_SECURE: '0' }
    const refused = await jwtguard(['config', 'check'], { env: production })
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(
      /FAIL\s+COOKIE_SECURE=0 with NODE_ENV=production would send session cookies over plain HTTP/,
    )
    expect(refused.stdout).toContain('BEHIND_TLS_PROXY=1')
    const proxied = await jwtguard(['config', 'check'], { env: { ...production, BEHIND_TLS_PROXY: '1' } })
    expect(proxied.code).toBe(0)
    expect(proxied.stdout).toMatch(/ok\s+COOKIE_SECURE=0 behind a TLS-terminating proxy/)
  })

  it('exits 1 in production with a short secret, naming the fix', async () => {
    const result = await jwtguard(['config', 'check'], {
      env: { DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET_KEY: 'super-secret' },
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAIL\s+JWT_SECRET_KEY is 12 bytes; production needs at least 32/)
    expect(result.stdout).toMatch(/fix: .*jwtguard secret generate/)
  })

  it('reports an optional exp, and passes a sound production setup', async () => {
    const production = { ...env, NODE_ENV: 'production' }
    const refused = await jwtguard(['config', 'check', '--json'], {
      env: { ...production, JWT_REQUIRED_CLAIMS: 'iat,nbf' },
    })
    expect(refused.code).toBe(1)
    const { findings } = JSON.parse(refused.stdout) as { findings: { check: string; ok: boolean }[] }
    expect(findings.filter((finding) => !finding.ok).map((finding) => finding.check)).toEqual([
      'required-claims',
    ])
    const ok = await jwtguard(['config', 'check'], { env: production })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/ok: nothing the server would refuse in production/)
  })

  it("leaves the reference server's demo user to the server, which refuses to start with it (issue 16)", async () => {
    await jwtguard(['users', 'add', 'masnun', '--id', '123', '--password-stdin'], { env, input: 'abc123' })
    const check = await jwtguard(['config', 'check', '--json'], { env: { ...env, NODE_ENV: 'production' } })
    expect(check.code).toBe(0)
    expect(check.stdout).not.toMatch(/masnun|demo/)
    await expect(withServer(async () => undefined)).rejects.toThrow(/the demo user "masnun" exists/)
  })

  it("exits 1 for a value the server refuses in any mode, with the server's message (issue 16)", async () => {
    const result = await jwtguard(['config', 'check', '--json'], {
      env: { ...env, DATABASE_URL: 'mysql://app:hunter2@db/users', PORT: 'http' },
    })
    expect(result.code).toBe(1)
    const { findings } = JSON.parse(result.stdout) as { findings: { check: string; ok: boolean }[] }
    expect(findings.filter((finding) => !finding.ok).map((finding) => finding.check)).toEqual([
      'port',
      'database-url',
    ])
    expect(result.stdout).not.toContain('hunter2')
  })

  it('only warns outside production, unless --production', async () => {
    const weak = { DATA_DIR: dataDir, JWT_SECRET_KEY: 'super-secret' }
    const development = await jwtguard(['config', 'check'], { env: weak })
    expect(development.code).toBe(0)
    expect(development.stdout).toMatch(/warn\s+JWT_SECRET_KEY is 12 bytes/)
    expect((await jwtguard(['config', 'check', '--production'], { env: weak })).code).toBe(1)
  })
})

describe('jwtguard usage', () => {
  it.each<[string[], RegExp]>([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['users', 'frobnicate'], /unknown command "users frobnicate": try users add, users remove/],
    [['token', 'issue', '--identity', '1', '--bogus'], /Unknown option '--bogus'/],
    [['token', 'issue'], /--identity is required/],
    [['token', 'issue', '--identity', '1', '--expires-in', 'soon'], /expires-in must be/],
    [['token', 'verify', 'a', 'b'], /unexpected argument "b"/],
  ])('exits 2 for %j, in one line without a stack', async (args, message) => {
    const result = await jwtguard(args, { env })
    expect(result.code).toBe(2)
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('prints help on --help (exit 0) and on a bare group (exit 2)', async () => {
    const help = await jwtguard(['token', 'issue', '--help'], { env })
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: jwtguard token issue \[options\]/)
    expect(help.stdout).toContain('--expires-in DURATION')
    const group = await jwtguard(['users'], { env })
    expect(group.code).toBe(2)
    expect(group.stderr).toContain('jwtguard users add <username>')
  })
})

describe('jwtguard token verify, as the resource server verifies', () => {
  it("verifies oidc-provider's RFC 9068 token (no nbf, typ at+jwt) with JWT_ISSUER and JWT_AUDIENCE alone", async () => {
    const audience = 'https://orders.api.test'
    const idp = await startAuthorizationServer({
      keys: [privateJwk('RS256', 'rs-1'), privateJwk('ES256', 'es-1')],
      audience,
      otherAudience: 'https://billing.api.test',
    })
    try {
      const token = await idp.accessToken('urn:jwtguard:ES256')
      const resourceEnv = { DATA_DIR: dataDir, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: audience }
      const valid = await jwtguard(['token', 'verify', token], { env: resourceEnv })
      expect(valid.stderr).toBe('')
      expect(valid.code).toBe(0)
      expect(valid.stdout).toMatch(
        /^VALID: signature and claims checked with the JWKS of http:\/\/127\.0\.0\.1:\d+ \(discovered\)/,
      )
      const other = await jwtguard(['token', 'verify', await idp.accessToken('urn:other')], {
        env: resourceEnv,
      })
      expect(other.code).toBe(1)
      expect(other.stderr).toMatch(/Token audience is not accepted/)
    } finally {
      await idp.close()
    }
  }, 60_000)
})
