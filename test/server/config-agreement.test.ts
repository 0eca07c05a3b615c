/**
 * Issue 16 item 4: one configuration source. For every variable of the README's environment table
 * (read from the README itself, so a new row without a check here fails), and for a table of whole
 * environments (empty strings, unset and set, the alias, NODE_ENV=production, invalid values), the
 * CLI's view (what its commands read, and the secret it signs with) and the server's configuration
 * agree. Both read ./data when DATA_DIR is unset: the tests run in a temporary working directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.js'
import { readEnvironment, resolveSecret } from '../../src/cli/internal/environment.js'

type Env = Record<string, string | undefined>
type View = Record<string, unknown>

/** The setting each variable sets, by its name in the server's configuration. */
const FIELD: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  JWT_SECRET_KEY: 'secret',
  SECRET_KEY: 'secret',
  DATA_DIR: 'dataDir',
  FRAMEWORK: 'framework',
  REDIS_URL: 'redisUrl',
  REDIS_KEY_PREFIX: 'redisKeyPrefix',
  SHUTDOWN_TIMEOUT: 'shutdownTimeout',
  REDIS_CONNECT_TIMEOUT: 'redisConnectTimeout',
  DATABASE_URL: 'databaseUrl',
  KEY_FILE: 'keyFile',
  KEY_DIR: 'keyDir',
  KEY_POLL_INTERVAL: 'keyPollInterval',
  KEY_ALG: 'keyAlg',
  JWKS_URL: 'jwksUrl',
  JWT_ISSUER: 'issuer',
  JWT_AUDIENCE: 'audience',
  JWKS_COOLDOWN_MS: 'jwksCooldownMs',
  TRUST_PROXY: 'trustProxy',
  DPOP: 'dpop',
  DPOP_ORIGIN: 'dpopOrigin',
  COOKIE_SECURE: 'cookieSecure',
  BEHIND_TLS_PROXY: 'behindTlsProxy',
  TOKENS_IN_BODY: 'tokensInBody',
  IDENTITY_CACHE: 'identityCache',
  HTTP_HEADERS_TIMEOUT: 'httpLimits',
  HTTP_REQUEST_TIMEOUT: 'httpLimits',
  HTTP_KEEP_ALIVE_TIMEOUT: 'httpLimits',
  HTTP_IDLE_TIMEOUT: 'httpLimits',
  HTTP_MAX_CONNECTIONS: 'httpLimits',
  NODE_ENV: 'production',
  LOG_LEVEL: 'logLevel',
}

const SECRET = 'Jq3v8Zr1tWk0pXc5sYb7nHf2mLd9aGe4uR6iOy'
const OTHER_SECRET = 'Vt5kQ9wE2rZx8cB1nM4hJ7gF0dS3aP6lK-yU_i'

/** A value for each variable that differs from its default, with what it needs beside it. */
const SAMPLE: Record<string, Env> = {
  PORT: { PORT: '8080' },
  HOST: { HOST: '0.0.0.0' },
  JWT_SECRET_KEY: { JWT_SECRET_KEY: OTHER_SECRET },
  SECRET_KEY: { JWT_SECRET_KEY: undefined, SECRET_KEY: OTHER_SECRET },
  DATA_DIR: { DATA_DIR: 'other-data' },
  FRAMEWORK: { FRAMEWORK: 'hono' },
  REDIS_URL: { REDIS_URL: 'redis://:redis-password@cache.internal:6379/0' },
  REDIS_KEY_PREFIX: { REDIS_KEY_PREFIX: 'tenant-a:' },
  SHUTDOWN_TIMEOUT: { SHUTDOWN_TIMEOUT: '9' },
  REDIS_CONNECT_TIMEOUT: { REDIS_CONNECT_TIMEOUT: '3' },
  DATABASE_URL: { DATABASE_URL: 'postgres://app:pg-password@db.internal:5432/users' },
  KEY_FILE: { KEY_FILE: '/etc/jwtguard/key.pem' },
  KEY_DIR: { KEY_DIR: '/etc/jwtguard/keys' },
  KEY_POLL_INTERVAL: { KEY_POLL_INTERVAL: '0' },
  KEY_ALG: { KEY_ALG: 'PS256' },
  JWKS_URL: {
    JWKS_URL: 'https://issuer.test/jwks.json',
    JWT_ISSUER: 'https://issuer.test',
    JWT_AUDIENCE: 'api',
  },
  JWT_ISSUER: { JWT_ISSUER: 'https://issuer.test' },
  JWT_AUDIENCE: { JWT_AUDIENCE: 'api' },
  JWKS_COOLDOWN_MS: { JWKS_COOLDOWN_MS: '1000' },
  TRUST_PROXY: { TRUST_PROXY: '2' },
  DPOP: { DPOP: 'required' },
  DPOP_ORIGIN: { DPOP: 'allowed', DPOP_ORIGIN: 'https://api.example.test' },
  COOKIE_SECURE: { COOKIE_SECURE: '1' },
  BEHIND_TLS_PROXY: { BEHIND_TLS_PROXY: '1' },
  TOKENS_IN_BODY: { TOKENS_IN_BODY: '0' },
  IDENTITY_CACHE: { IDENTITY_CACHE: '0' },
  HTTP_HEADERS_TIMEOUT: { HTTP_HEADERS_TIMEOUT: '2' },
  HTTP_REQUEST_TIMEOUT: { HTTP_REQUEST_TIMEOUT: '20' },
  HTTP_KEEP_ALIVE_TIMEOUT: { HTTP_KEEP_ALIVE_TIMEOUT: '1' },
  HTTP_IDLE_TIMEOUT: { HTTP_IDLE_TIMEOUT: '60' },
  HTTP_MAX_CONNECTIONS: { HTTP_MAX_CONNECTIONS: '100' },
  NODE_ENV: { NODE_ENV: 'production' },
  LOG_LEVEL: { LOG_LEVEL: 'debug' },
}

interface Row {
  variables: string[]
  defaults: string
}

/** The rows of the README's environment table: the variables each names, and its default. */
function readmeRows(): Row[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const lines = readme.split('\n')
  const header = lines.indexOf('| variable | default | meaning |')
  if (header === -1) throw new Error('the README has no environment table')
  const rows: Row[] = []
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break
    const [name = '', defaults = ''] = line.split('|').slice(1)
    const variables = [...name.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] as string)
    rows.push({ variables, defaults: defaults.trim() })
  }
  return rows
}

const ROWS = readmeRows()
const README_VARIABLES = ROWS.flatMap((row) => row.variables)

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jwtguard-agree-'))
  dirs.push(dir)
  return dir
}
let previousCwd: string
beforeAll(() => {
  previousCwd = process.cwd()
  process.chdir(tempDir())
})
afterAll(() => {
  process.chdir(previousCwd)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const defined = (env: Env): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))

/** What the server starts with, or the one line it refuses with. */
function serverView(env: Env): View {
  try {
    return { ...loadConfig(defined(env)) }
  } catch (error) {
    return { refused: (error as Error).message }
  }
}

/** What the CLI's commands read, and the HMAC secret `token issue` signs with. */
function cliView(env: Env): View {
  try {
    const environment = readEnvironment(defined(env))
    const asymmetric = environment.keySource !== 'secret'
    return { ...environment, secret: asymmetric ? '' : resolveSecret(environment, undefined).secret }
  } catch (error) {
    return { refused: (error as Error).message }
  }
}

/** The server first: outside production it generates the secret the CLI then reads. */
function views(env: Env): { server: View; cli: View } {
  const server = serverView(env)
  return { server, cli: cliView(env) }
}

function expectAgreement(server: View, cli: View): void {
  expect(server.refused, 'the server starts').toBeUndefined()
  expect(cli.refused, 'the CLI reads it').toBeUndefined()
  const pick = (view: View) =>
    Object.fromEntries(README_VARIABLES.map((name) => [name, view[FIELD[name] ?? name]]))
  expect(pick(cli)).toEqual(pick(server))
}

const base = (): Env => ({ DATA_DIR: tempDir(), JWT_SECRET_KEY: SECRET })

describe("the README's environment table", () => {
  it('names only variables this test checks, and this test checks only its variables', () => {
    expect(README_VARIABLES.length).toBeGreaterThan(20)
    expect([...README_VARIABLES].sort()).toEqual(Object.keys(FIELD).sort())
    expect(Object.keys(SAMPLE).sort()).toEqual(Object.keys(FIELD).sort())
  })

  it('gives the defaults the server and the CLI use', () => {
    const { server, cli } = views({})
    expectAgreement(server, cli)
    for (const { variables, defaults } of ROWS) {
      const literals = [...defaults.matchAll(/`([^`]+)`/g)].map((match) => match[1])
      if (defaults === '—') {
        for (const name of variables)
          expect([undefined, false], name).toContain(server[FIELD[name] as string])
      } else if (literals.length === variables.length && defaults.replace(/`[^`]+`|\s|\//g, '') === '') {
        variables.forEach((name, index) => {
          const value = server[FIELD[name] as string]
          const expected = name === 'DATA_DIR' ? resolve(literals[index] as string) : literals[index]
          expect(typeof value === 'boolean' ? (value ? '1' : '0') : String(value), name).toBe(expected)
        })
      }
    }
  })
})

describe.each(README_VARIABLES)('%s', (name) => {
  const field = FIELD[name] as string

  it('set: the CLI and the server resolve it alike, away from the default', () => {
    const unset = base()
    const set = { ...unset, ...SAMPLE[name] }
    const { server, cli } = views(set)
    expectAgreement(server, cli)
    expect(server[field]).not.toEqual(serverView(unset)[field])
  })

  it('empty: counts as unset, alike', () => {
    const unset = { ...base(), [name]: undefined }
    const { server, cli } = views({ ...unset, [name]: '' })
    expectAgreement(server, cli)
    expect(server[field]).toEqual(serverView(unset)[field])
  })
})

describe('whole environments', () => {
  const dataDir = () => tempDir()

  it.each<[string, () => Env]>([
    ['nothing set (./data, a generated secret)', () => ({})],
    [
      'JWT_SECRET_KEY empty and SECRET_KEY set: the alias',
      () => ({ DATA_DIR: dataDir(), JWT_SECRET_KEY: '', SECRET_KEY: OTHER_SECRET }),
    ],
    ['DATA_DIR empty: ./data, not the working directory', () => ({ DATA_DIR: '', JWT_SECRET_KEY: SECRET })],
    ['DATA_DIR empty and no secret: the one generated in ./data', () => ({ DATA_DIR: '' })],
    [
      'both secrets set: JWT_SECRET_KEY wins',
      () => ({ DATA_DIR: dataDir(), JWT_SECRET_KEY: SECRET, SECRET_KEY: OTHER_SECRET }),
    ],
    ['every variable empty', () => Object.fromEntries(Object.keys(FIELD).map((name) => [name, '']))],
    [
      'production behind a TLS proxy, with COOKIE_SECURE=0',
      () => ({
        ...base(),
        NODE_ENV: 'production',
        COOKIE_SECURE: '0',
        BEHIND_TLS_PROXY: '1',
        TRUST_PROXY: '1',
      }),
    ],
    [
      'production with PostgreSQL and Redis',
      () => ({
        ...base(),
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://app:pw@db.internal/users',
        REDIS_URL: 'rediss://cache.internal:6380',
        REDIS_KEY_PREFIX: 'a:',
      }),
    ],
    [
      'a key directory, KEY_ALG and no secret',
      () => ({ DATA_DIR: dataDir(), KEY_DIR: '/keys', KEY_ALG: 'RS384' }),
    ],
    [
      'resource-server mode in production',
      () => ({
        DATA_DIR: dataDir(),
        NODE_ENV: 'production',
        JWKS_URL: 'https://issuer.test/jwks.json',
        JWT_ISSUER: 'https://issuer.test',
        JWT_AUDIENCE: 'api',
        KEY_ALG: 'PS512',
        JWKS_COOLDOWN_MS: '0',
      }),
    ],
    [
      'resource-server mode from JWT_ISSUER and JWT_AUDIENCE alone (the JWKS discovered)',
      () => ({ DATA_DIR: dataDir(), JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api', KEY_ALG: 'PS256' }),
    ],
    ['upper-case FRAMEWORK and TRUE', () => ({ ...base(), FRAMEWORK: 'EXPRESS', COOKIE_SECURE: 'TRUE' })],
  ])('%s', (_name, env) => {
    const { server, cli } = views(env())
    expectAgreement(server, cli)
  })

  it.each<[string, Env, RegExp]>([
    ['a bad port', { PORT: 'http' }, /^PORT must be an integer from 0 to 65535, got "http"/],
    [
      'two key sources',
      { KEY_FILE: '/k.pem', KEY_DIR: '/keys' },
      /^set only one of KEY_FILE, KEY_DIR and JWKS_URL/,
    ],
    [
      'JWKS_URL alone',
      { JWKS_URL: 'https://issuer.test/jwks.json' },
      /^JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE/,
    ],
    ['an unknown KEY_ALG', { KEY_ALG: 'HS256' }, /^KEY_ALG must be one of RS256/],
    [
      'a DATABASE_URL that is not PostgreSQL',
      { DATABASE_URL: 'mysql://db/users' },
      /^DATABASE_URL mysql:\/\/db\/users is not a postgres/,
    ],
    ['a flag that is not one', { TOKENS_IN_BODY: 'no' }, /^TOKENS_IN_BODY must be 1 or 0/],
    ['an unknown log level', { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL must be one of fatal, error/],
    ['a bad HTTP limit', { HTTP_MAX_CONNECTIONS: '1.5' }, /^HTTP_MAX_CONNECTIONS must be a whole number/],
  ])('refused alike, with the same line: %s', (_name, env, message) => {
    const { server, cli } = views({ ...base(), ...env })
    expect(server.refused).toMatch(message)
    expect(cli.refused).toBe(server.refused)
  })

  it.each<[string, Env, string]>([
    [
      'JWT_ISSUER and JWT_AUDIENCE, nothing to sign with',
      { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api' },
      'JWT_ISSUER',
    ],
    [
      'the same with NODE_ENV=production (no secret needed)',
      { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api', NODE_ENV: 'production' },
      'JWT_ISSUER',
    ],
    ['JWT_ISSUER alone: an issuer, its secret generated', { JWT_ISSUER: 'https://idp.test' }, 'secret'],
    [
      'JWT_ISSUER, JWT_AUDIENCE and a secret: an issuer writing iss and aud',
      { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api', JWT_SECRET_KEY: SECRET },
      'secret',
    ],
    [
      'JWT_ISSUER, JWT_AUDIENCE and a key directory: an issuer',
      { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api', KEY_DIR: '/keys' },
      'KEY_DIR',
    ],
    [
      'JWKS_URL given: no discovery',
      { JWT_ISSUER: 'https://idp.test', JWT_AUDIENCE: 'api', JWKS_URL: 'https://idp.test/jwks' },
      'JWKS_URL',
    ],
  ])('where the keys come from, alike: %s', (_name, env, keySource) => {
    const { server, cli } = views({ DATA_DIR: dataDir(), ...env })
    expectAgreement(server, cli)
    expect(server.keySource).toBe(keySource)
    expect(cli.keySource).toBe(keySource)
  })

  it('production without a secret: the server refuses to start and the CLI has no secret to sign with', () => {
    const { server, cli } = views({ DATA_DIR: dataDir(), NODE_ENV: 'production' })
    expect(server.refused).toMatch(/^JWT_SECRET_KEY is not set: .*openssl rand -base64 48/)
    expect(cli.refused).toMatch(/^no secret: set JWT_SECRET_KEY/)
  })
})
