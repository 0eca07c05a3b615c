/**
 * Shared harness of the attack corpus: error-code capture through the public API, the seed's API
 * on every adapter (the library's adapters mounted directly by test/adapters/fixtures.ts, on a guard
 * configured as the reference server configures its own: nothing of server/ is imported), in
 * process plus one real socket per framework for header-level cases, a raw TCP client for bytes no
 * HTTP client will send, and the assertion that a refusal is a clean coded 4xx that never echoes
 * the token.
 */
import { createHmac } from 'node:crypto'
import { connect } from 'node:net'
import {
  createJwtGuard,
  type ErrorCode,
  isJwtGuardError,
  type JwtGuard,
  type JwtGuardOptions,
} from 'jwtguard'
import { createMemoryStore, type TokenStore } from 'jwtguard/stores/memory'
import {
  createMemoryUserStore,
  createPasswordHasher,
  passwordAuthenticator,
  type UserStore,
  userLookup,
} from 'jwtguard/users'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAMEWORKS as ADAPTERS, type Framework as Adapter } from '../adapters/fixtures.js'
import { TEST_SECRET, type TestClient, type TestResponse } from '../support/http.js'
import { b64url } from '../support/tokens.js'

export { TEST_SECRET } from '../support/http.js'
export { b64url } from '../support/tokens.js'

/** The adapters every HTTP row runs on (test/adapters/fixtures.ts, Hono in both of its forms). */
export const FRAMEWORKS: readonly Adapter['name'][] = ADAPTERS.map((adapter) => adapter.name)
export const SEED_LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })
export const JSON_HEADERS = { 'content-type': 'application/json' }

/** The seed's identity: what `identity(payload)` returns and `/api/v1/me` shows. */
export interface SeedIdentity {
  user_id: number
}

/** What a guard of the corpus is built on: the seed's users (`masnun`, id 123) and a token store. */
export interface SeedContext {
  users: UserStore
  tokens: TokenStore
}

/** A running app of the corpus, reached through `request`. */
export interface TestApp {
  framework: Adapter['name']
  request: TestClient
  close(): Promise<void>
}

const hasher = createPasswordHasher()
let seedHash: Promise<string> | undefined

/** Fresh users holding the seed user (argon2id, hashed once per file) and an empty token store. */
export async function createSeedContext(): Promise<SeedContext> {
  seedHash ??= hasher.hash('abc123')
  const users = createMemoryUserStore()
  await users.create({ id: 123, username: 'masnun', passwordHash: await seedHash })
  return { users, tokens: createMemoryStore({ pruneInterval: 0 }) }
}

/**
 * The guard the reference server builds outside production, from the library alone: HS256 on
 * {@link TEST_SECRET}, a token store, the verified-token cache, header and cookie mode with the tokens
 * also in the login body, roles in the tokens, users looked up on refresh and on every request.
 */
export function seedGuard(context: SeedContext): JwtGuard<SeedIdentity> {
  return createJwtGuard<SeedIdentity>({
    secret: TEST_SECRET,
    store: context.tokens,
    cache: { maxEntries: 10_000 },
    tokenLocation: ['header', 'cookies'],
    cookies: { secure: false, tokensInBody: true },
    authenticate: passwordAuthenticator(context.users, hasher),
    lookupUser: userLookup(context.users),
    additionalClaims: ({ roles }) => (roles !== undefined && roles.length > 0 ? { roles } : {}),
    identity: seedIdentity(context),
  })
}

/** Starts `framework`'s app of the seed's routes on the guard `makeGuard` builds on a fresh context. */
async function startApp(
  framework: Adapter['name'],
  transport: 'in-process' | 'socket',
  makeGuard: (context: SeedContext) => JwtGuard<SeedIdentity> = seedGuard,
): Promise<TestApp & { address?: string | undefined }> {
  const adapter = ADAPTERS.find((candidate) => candidate.name === framework)
  if (adapter === undefined) throw new Error(`no adapter ${framework}`)
  const context = await createSeedContext()
  const server = await adapter.start(
    makeGuard(context) as JwtGuard<unknown>,
    async (identity) => identity ?? null,
    transport,
  )
  return {
    framework,
    address: server.address,
    request: server.request,
    async close() {
      await server.close()
      await context.tokens.close()
      await context.users.close()
    },
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/**
 * The moment a test file's tokens are built around. The API guard's clock is frozen here; the
 * HTTP apps run on the real clock, seconds later, well inside every margin the rows use.
 */
export const T0 = nowSeconds()

/** A Flask-JWT-shaped payload around {@link T0} for the seed user. */
export function seedClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { exp: T0 + 300, iat: T0, nbf: T0, identity: 123, ...extra }
}

const HMAC_HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/**
 * A compact JWS HMAC-signed by node:crypto alone (never the library's signer): `header` and
 * `payload` are objects, or raw JSON text for what `JSON.stringify` cannot write (duplicate keys,
 * `NaN`), or bytes. The hash follows `header.alg` when it names an HS algorithm, else SHA-256.
 */
export function hs(header: unknown, payload: unknown, secret: string | Uint8Array = TEST_SECRET): string {
  const alg =
    typeof header === 'string'
      ? /"alg"\s*:\s*"(HS\d{3})"/.exec(header)?.[1]
      : (header as { alg?: unknown })?.alg
  const hash = HMAC_HASH[String(alg)] ?? 'sha256'
  const input = `${segment(header)}.${segment(payload)}`
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`
}

/** base64url of an object (as JSON), of JSON text, or of raw bytes (for invalid UTF-8). */
export function segment(value: unknown): string {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64url') : b64url(value)
}

/** The reference server's header. */
export const HS256 = { alg: 'HS256', typ: 'JWT' }

/**
 * The reference server's guard as a library user builds it, with the clock frozen at {@link T0}:
 * same secret, same defaults. Extra options (a store, a key) override.
 */
export function apiGuard(options: Partial<JwtGuardOptions<unknown>> = {}): JwtGuard<unknown> {
  return createJwtGuard<unknown>({
    secret: TEST_SECRET,
    now: () => T0,
    authenticate: () => null,
    identity: (payload) => payload,
    ...options,
  } as JwtGuardOptions<unknown>)
}

/** The message of the coded error `action` throws (what the HTTP description must be). */
export function messageOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    if (isJwtGuardError(error)) return error.message
    throw error
  }
  throw new Error('expected a coded error, got none')
}

/** One attack: a token and the code it must be refused with. */
export interface AttackRow {
  name: string
  token: string
  code: ErrorCode
}

/** Where the HTTP half of a table runs: the seed's guard, or another guard on the seed's users. */
export interface TableOptions {
  /** The API verification. @default the reference server's guard, `API.verify` */
  verify?: ((token: string) => unknown) | undefined
  /** Builds the guard of the HTTP apps on the seed's context. @default {@link seedGuard} */
  makeGuard?: ((context: SeedContext) => JwtGuard<SeedIdentity>) | undefined
  /** Run the HTTP half. @default true */
  http?: boolean | undefined
}

/**
 * Runs a table of attacks through the public API (clock frozen at T0) and over HTTP on every
 * framework: each must be refused with its code, and over HTTP with 401 "Invalid token" and the
 * same description, never a 5xx, never echoing the token.
 */
export function runAttackTable(rows: readonly AttackRow[], options: TableOptions = {}): void {
  const verify = options.verify ?? ((token: string) => API.verify(token))
  describe('through the public API', () => {
    it.each(rows)('$name: $code', ({ token, code }) => {
      expect(codeOf(() => verify(token))).toBe(code)
    })
  })
  // Bytes no HTTP client sends inside a header value (controls, spaces, non-ASCII) stay API-only
  // here; the socket suites send them raw.
  const sendable = rows.filter(({ token }) => HEADER_SAFE.test(token))
  if (sendable.length === 0 || options.http === false) return
  describeHttp((getApp) => {
    it.each(sendable)('$name: 401 Invalid token', async ({ token, code }) => {
      // The description must be the one of the row's code: the API decides which, HTTP must show it.
      expect(codeOf(() => verify(token))).toBe(code)
      await expectRefused(getApp(), `JWT ${token}`, INVALID_TOKEN(messageOf(() => verify(token))))
    })
  }, options.makeGuard)
}

/** Visible ASCII only: what any HTTP client sends as a header value unchanged. */
export const HEADER_SAFE = /^[\x21-\x7e]*$/

/** A token that must be accepted, and what the verified payload must then hold. */
export interface AcceptedRow {
  name: string
  token: string
  /** Claims the verified payload must carry (the values actually checked). */
  claims: Record<string, unknown>
}

/**
 * Runs tokens that must be accepted (documented behaviour, not an attack that works): the API
 * returns a payload holding `claims`, and every framework answers `/api/v1/me` with the seed user.
 */
export function runAcceptedTable(rows: readonly AcceptedRow[]): void {
  describe('through the public API', () => {
    it.each(rows)('$name: accepted', ({ token, claims }) => {
      expect(API.verify(token)).toMatchObject(claims)
    })
  })
  describeHttp((getApp) => {
    it.each(rows)('$name: 200', async ({ token }) => {
      const response = await getApp().request('GET', '/api/v1/me', {
        headers: { authorization: `JWT ${token}` },
      })
      expect(response.status).toBe(200)
      expect(response.json()).toEqual({ user_id: 123 })
    })
  })
}

/**
 * Declares `body` once per framework, in process: the seed's routes on the seed's guard, or with
 * `makeGuard`, on the guard it returns.
 */
export function describeHttp(
  body: (app: () => TestApp) => void,
  makeGuard?: (context: SeedContext) => JwtGuard<SeedIdentity>,
): void {
  describe.each(FRAMEWORKS)('over HTTP: %s (in process)', (framework) => {
    let app: TestApp | undefined
    beforeAll(async () => {
      app = await startApp(framework, 'in-process', makeGuard)
    })
    afterAll(async () => {
      await app?.close()
    })
    body(() => {
      if (app === undefined) throw new Error('app not started')
      return app
    })
  })
}

/** The API guard of {@link runAttackTable}: the reference server's configuration. */
export const API = apiGuard()

/** The `code` of the JwtGuardError `action` throws, `'OK'` when it returns, `'UNCODED <name>'` else. */
export function codeOf(action: () => unknown): ErrorCode | 'OK' | `UNCODED ${string}` {
  try {
    action()
    return 'OK'
  } catch (error) {
    return isJwtGuardError(error) ? error.code : `UNCODED ${(error as Error)?.name ?? typeof error}`
  }
}

/** As {@link codeOf}, for a promise. */
export async function asyncCodeOf(
  promise: Promise<unknown> | (() => Promise<unknown>),
): Promise<ErrorCode | 'OK' | `UNCODED ${string}`> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
    return 'OK'
  } catch (error) {
    return isJwtGuardError(error) ? error.code : `UNCODED ${(error as Error)?.name ?? typeof error}`
  }
}

/** What the client must see for a refused token. */
export interface Refusal {
  status: number
  /** The `error` field of the body. */
  error: string
  /** The `description` field, when the row pins it. */
  description?: string | undefined
}

export const INVALID_TOKEN = (description?: string): Refusal => ({
  status: 401,
  error: 'Invalid token',
  description,
})

/** Asserts that neither the body nor any header carries one of `secrets` (a token or its parts). */
export function expectNoLeak(response: TestResponse, secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (secret.length < 8) continue
    expect(response.text.includes(secret), 'response body echoes the token').toBe(false)
    for (const [name, value] of Object.entries(response.headers)) {
      expect(value.includes(secret), `header ${name} echoes the token`).toBe(false)
    }
  }
}

/** The token and its non-trivial segments: none may appear in a response. */
export function leakCandidates(token: string): string[] {
  return [token, ...token.split('.').filter((segment) => segment.length >= 16)]
}

/**
 * Sends `Authorization: <authorization>` to a protected route and asserts the refusal: the exact
 * status and `error`, the contract's JSON body, never a 5xx, and no echo of the token.
 */
export async function expectRefused(
  app: Pick<TestApp, 'request'>,
  authorization: string,
  refusal: Refusal,
  path = '/api/v1/private',
): Promise<TestResponse> {
  const response = await app.request('GET', path, { headers: { authorization } })
  expect(response.status).toBeLessThan(500)
  expect(response.status).toBe(refusal.status)
  const body = response.json() as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['description', 'error', 'status_code'])
  expect(body.status_code).toBe(refusal.status)
  expect(body.error).toBe(refusal.error)
  if (refusal.description !== undefined) expect(body.description).toBe(refusal.description)
  if (refusal.status === 401) expect(response.headers['www-authenticate']).toMatch(/^JWT realm="/)
  const token = authorization.replace(/^\S+\s+/, '')
  expectNoLeak(response, leakCandidates(token))
  return response
}

/** The seed's identity loader, for guards built by a test: the user must exist. */
export function seedIdentity(context: SeedContext) {
  return async (payload: Record<string, unknown>): Promise<SeedIdentity | null> => {
    const id = payload.identity
    if (typeof id !== 'number') return null
    const user = await context.users.findById(id)
    return user === null ? null : { user_id: user.id }
  }
}

/** The seed's app of `framework` on a real loopback socket, for raw-byte requests. */
export interface ListeningApp {
  framework: Adapter['name']
  host: string
  port: number
  close(): Promise<void>
}

export async function listenApp(framework: Adapter['name']): Promise<ListeningApp> {
  const app = await startApp(framework, 'socket')
  if (app.address === undefined) throw new Error(`${framework} did not listen`)
  const { hostname, port } = new URL(app.address)
  return { framework, host: hostname, port: Number(port), close: () => app.close() }
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Writes `head` (the request line and headers, CRLF-separated, without the final blank line) as
 * raw latin1 bytes on a fresh connection and reads the first response. No HTTP client will send
 * control characters or an over-sized header; this does.
 */
export function rawRequest(target: { host: string; port: number }, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, target.host)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no response within 5 s'))
    }, 5000)
    const finish = () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      const headText = end === -1 ? text : text.slice(0, end)
      const [statusLine = '', ...lines] = headText.split('\r\n')
      const status = Number(statusLine.split(' ')[1])
      if (!Number.isInteger(status)) {
        reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 80))}`))
        return
      }
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status, headers, body: end === -1 ? '' : text.slice(end + 4) })
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const text = Buffer.concat(chunks).toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end === -1) return
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end))
      if (length !== null && text.length - end - 4 >= Number(length[1])) {
        socket.destroy()
        finish()
      }
    })
    socket.on('end', finish)
    socket.on('error', (error) => {
      clearTimeout(timer)
      if (chunks.length > 0) finish()
      else reject(error)
    })
    socket.write(`${head}\r\nConnection: close\r\n\r\n`, 'latin1')
  })
}

/** A GET of `path` with `Authorization: <value>`, written byte for byte. */
export function rawAuthorizationRequest(
  target: { host: string; port: number },
  value: string,
  path = '/api/v1/private',
): Promise<RawResponse> {
  return rawRequest(target, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${value}`)
}
