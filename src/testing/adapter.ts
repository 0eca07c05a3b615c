/**
 * The adapter contract suite: the rows of the HTTP contract that are an adapter's job (routes
 * mounted, 404/405 in JSON, the 401/403 refusals with their challenge, the identity handed to the
 * handler, cookie mode with CSRF, query tokens, the error body, body limits), run against any
 * framework binding. What each response must be is decided by the core (`guard.errorResponse`),
 * so the suite checks that the adapter writes exactly that.
 *
 * @module
 */

import { equal, ok } from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { bodyTooLarge, parseJsonObjectBody } from '../core/body.js'
import { createJwtGuard, type JwtGuard } from '../core/guard.js'
import type { Secret } from '../core/keys.js'
import type { CommonOptions, IssuingOptions } from '../core/options.js'
import { createMemoryStore } from '../stores/memory.js'
import type { TokenStore } from '../stores/types.js'
import { checkFunction, checkName, checkTestApi, type TestApi } from './api.js'
import { type ContractClient, clientFor, expectCoreResponse, expectJson } from './http-checks.js'

const KIT = 'runAdapterConformance'

/** What a stage's guard takes over the suite's defaults (the secret included, never a second key source). */
type StageOptions = Partial<CommonOptions<ContractIdentity> & IssuingOptions> & { secret?: Secret }

/**
 * What the contract routes answer: await it with the identity your adapter put on the request
 * (`undefined` or `null` when there is none) and send the result as JSON with status 200.
 */
export type ContractReply = (identity: unknown) => Promise<unknown>

/**
 * A running app the suite sends requests to: either `fetch`, an in-process
 * `(Request) => Response` (Hono's `app.fetch`, a Workers handler), or `url`, the base URL of a
 * server listening on a free port (`http://127.0.0.1:54321`).
 */
export interface AdapterTarget {
  /** Answers a request in process. Give this or `url`. */
  fetch?: ((request: Request) => Response | Promise<Response>) | undefined
  /** The base URL of a listening server. Give this or `fetch`. */
  url?: string | undefined
  /** Stops the app; called once after the group of tests that started it. */
  close?: (() => void | Promise<void>) | undefined
}

/**
 * An adapter under test. `start` mounts, with the adapter, on a new app:
 *
 * - the guard's own routes (`guard.routes`: `POST /auth`, `/auth/refresh`, `/auth/revoke`), and
 *   the adapter's 404/405 answer for every other path and method;
 * - `GET /protected` and `POST /protected`, a required route;
 * - `GET /optional`, an optional route (no token: no identity);
 * - `GET /open`, a route without protection;
 * - `GET /predicate`, required, with the route option
 *   `allow: (claims, request) => <the request's x-allow header> === 'yes'` (your framework's request);
 * - `GET /billing`, required, with the route option `audience: 'billing'`.
 *
 * Each of the five answers 200 with the JSON of `await reply(identity)`.
 */
export interface AdapterSubject {
  /** Shown in the suite's name: `Adapter conformance: <name>`. */
  name: string
  /** Starts the app described above on `guard`; called once per group of tests. */
  start(guard: JwtGuard<unknown>, reply: ContractReply): AdapterTarget | Promise<AdapterTarget>
}

/** The identity of the suite's guards: the seed user is `{ user_id: 123 }`. */
interface ContractIdentity {
  user_id: number
}

const SEED = { username: 'masnun', password: 'abc123' }
const JSON_HEADERS = { 'content-type': 'application/json' }
const reply: ContractReply = async (identity) => ({ identity: identity ?? null })

/** One group's guard and app, started before its tests and stopped after them. */
interface Stage {
  readonly guard: JwtGuard<ContractIdentity>
  readonly client: ContractClient
  /** A guard on the same secret with its clock `offset` seconds away, or another secret. */
  sibling(options: StageOptions): JwtGuard<ContractIdentity>
}

/**
 * Registers the adapter contract suite with the caller's test runner. Each group starts the app
 * once (`start`) on a guard of the suite's own (an HMAC secret, the seed user `masnun`/`abc123`
 * with id 123, a memory token store, the clock frozen) and stops it after its tests.
 * Assertions are `node:assert/strict`.
 *
 * @param test - Your runner's `describe`, `it` and hooks ({@link TestApi}).
 * @param subject - The adapter: a name, and `start` mounting the routes of {@link AdapterSubject}.
 * @throws TypeError when `test` or `subject` is incomplete (at declaration, not per test).
 *
 * @example
 * ```ts
 * import { type Context, Hono } from 'hono'
 * import { jwtGuard } from 'jwtguard/hono'
 * import { runAdapterConformance } from 'jwtguard/testing'
 * import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest'
 *
 * runAdapterConformance(
 *   { describe, it, beforeEach, afterEach, beforeAll, afterAll },
 *   {
 *     name: 'hono',
 *     start(guard, reply) {
 *       const auth = jwtGuard(guard)
 *       const app = new Hono()
 *       app.route('/', auth.routes)
 *       const answer = async (identity: unknown) => Response.json(await reply(identity))
 *       app.on(['GET', 'POST'], '/protected', auth.jwtRequired(), (c) => answer(c.get('identity')))
 *       app.get('/optional', auth.jwtOptional(), (c) => answer(c.get('identity')))
 *       app.get('/open', () => answer(undefined))
 *       const allow = (_claims: unknown, c: Context) => c.req.header('x-allow') === 'yes'
 *       app.get('/predicate', auth.jwtRequired({ allow }), (c) => answer(c.get('identity')))
 *       app.get('/billing', auth.jwtRequired({ audience: 'billing' }), (c) => answer(c.get('identity')))
 *       app.onError(auth.onError)
 *       app.notFound(auth.notFound(app))
 *       return { fetch: (request) => app.fetch(request) }
 *     },
 *   },
 * )
 * ```
 */
export function runAdapterConformance(test: TestApi, subject: AdapterSubject): void {
  checkTestApi(test, KIT)
  const name = checkName(subject?.name, KIT)
  checkFunction(subject.start, 'start', KIT)
  test.describe(`Adapter conformance: ${name}`, () => {
    test.describe('header tokens', () => {
      const stage = staged(test, subject, {})
      // The body rows first, on the app the other rows use: a body refused half-read must leave
      // nothing behind (its 413 closes the connection, and the next request gets a new one).
      bodyTests(test, stage)
      routeTests(test, stage)
      refusalTests(test, stage)
      identityTests(test, stage)
    })
    test.describe('cookie mode', () => {
      cookieTests(test, staged(test, subject, { tokenLocation: ['cookies'], cookies: { secure: false } }))
    })
    test.describe('query tokens', () => {
      queryTests(test, staged(test, subject, { tokenLocation: ['header', 'query'] }))
    })
  })
}

/** Starts the subject on a new guard before the group's tests and stops both after them. */
function staged(test: TestApi, subject: AdapterSubject, options: StageOptions): Stage {
  const secret = randomBytes(32).toString('hex')
  let t0 = 0
  let guard: JwtGuard<ContractIdentity> | undefined
  let store: TokenStore | undefined
  let target: AdapterTarget | undefined
  let client: ContractClient | undefined
  const make = (extra: StageOptions) =>
    createJwtGuard<ContractIdentity>({
      secret,
      now: () => t0,
      authenticate: (username, password) =>
        username === SEED.username && password === SEED.password ? { id: 123 } : null,
      identity: (payload) => (typeof payload.identity === 'number' ? { user_id: payload.identity } : null),
      ...extra,
    })
  test.beforeAll(async () => {
    t0 = Math.floor(Date.now() / 1000)
    store = createMemoryStore({ now: () => t0, pruneInterval: 0 })
    guard = make({ store, ...options })
    target = await subject.start(guard as JwtGuard<unknown>, reply)
    client = clientFor(target, KIT)
  })
  test.afterAll(async () => {
    await target?.close?.()
    await store?.close()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`${KIT}: the app did not start`)
    return value
  }
  return {
    get guard() {
      return started(guard)
    },
    get client() {
      return started(client)
    },
    sibling: (extra) => make({ ...options, ...extra }),
  }
}

/** The body of a login response (the suite's guard answers with the tokens in the body). */
async function login(stage: Stage): Promise<{ access_token: string; refresh_token?: string }> {
  const response = await stage.client.send('POST', '/auth', {
    headers: JSON_HEADERS,
    body: JSON.stringify(SEED),
  })
  equal(response.status, 200, `POST /auth with the seed's credentials: ${response.text}`)
  return response.json() as { access_token: string; refresh_token?: string }
}

function routeTests(test: TestApi, stage: Stage): void {
  test.it('mounts the login route: POST /auth answers the tokens, never cacheable', async () => {
    const response = await stage.client.send('POST', '/auth', {
      headers: JSON_HEADERS,
      body: JSON.stringify(SEED),
    })
    equal(response.status, 200, `POST /auth: ${response.text}`)
    expectJson(response)
    const body = response.json() as Record<string, unknown>
    equal(typeof body.access_token, 'string', 'access_token')
    equal(typeof body.refresh_token, 'string', 'refresh_token (the guard has a store)')
    equal(response.headers.get('cache-control'), 'no-store', 'Cache-Control of a token response')
  })

  test.it(
    'mounts the refresh and revoke routes: a revoked token is refused on a protected route',
    async () => {
      const tokens = await login(stage)
      const refreshed = await stage.client.send('POST', '/auth/refresh', {
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: tokens.refresh_token }),
      })
      equal(refreshed.status, 200, `POST /auth/refresh: ${refreshed.text}`)
      const access = (refreshed.json() as { access_token: string }).access_token
      const authorization = `JWT ${access}`
      const revoked = await stage.client.send('POST', '/auth/revoke', { headers: { authorization } })
      ok([200, 204].includes(revoked.status), `POST /auth/revoke answered ${revoked.status}: ${revoked.text}`)
      await expectCoreResponse(
        stage,
        await stage.client.send('GET', '/protected', { headers: { authorization } }),
        {
          headers: { authorization },
          expectStatus: 401,
        },
      )
    },
  )

  test.it('answers another method on an auth route with 405, Allow and the JSON body', async () => {
    const response = await stage.client.send('GET', '/auth')
    await expectCoreResponse(stage, response, { error: stage.guard.methodNotAllowed(['POST']) })
    equal(response.headers.get('allow'), 'POST', 'Allow')
  })

  test.it('answers a method the app does not route on a known path with 405 and Allow', async () => {
    const response = await stage.client.send('DELETE', '/protected')
    equal(response.status, 405, `DELETE /protected: ${response.text}`)
    expectJson(response)
    const allow = (response.headers.get('allow') ?? '').split(/,\s*/)
    ok(allow.includes('GET') && allow.includes('POST'), `Allow lists GET and POST: ${allow.join(', ')}`)
  })

  test.it('answers an unknown path with 404 and the JSON body', async () => {
    await expectCoreResponse(stage, await stage.client.send('GET', '/no/such/route'), {
      error: stage.guard.notFound(),
    })
  })
}

function refusalTests(test: TestApi, stage: Stage): void {
  const rows: [string, () => string | undefined][] = [
    ['no Authorization header', () => undefined],
    ['another scheme', () => 'Bearer abc'],
    ['a malformed header', () => 'JWT a b'],
    [
      'a bad signature',
      () => `JWT ${stage.sibling({ secret: randomBytes(32).toString('hex') }).createAccessToken({ id: 1 })}`,
    ],
    ['an expired token', () => `JWT ${expired(stage)}`],
    [
      'a token whose user the identity callback does not find',
      () => `JWT ${stage.guard.createAccessToken({ id: 'ghost' })}`,
    ],
  ]
  for (const [what, header] of rows) {
    test.it(`refuses ${what} as the core decides: 401, challenge, JSON body`, async () => {
      const value = header()
      const headers: Record<string, string> = value === undefined ? {} : { authorization: value }
      const response = await stage.client.send('GET', '/protected', { headers })
      await expectCoreResponse(stage, response, { headers, expectStatus: 401 })
      ok(response.headers.get('www-authenticate'), 'a 401 carries WWW-Authenticate')
    })
  }

  test.it("hands the framework's request to allow(): 403 when it says no, 200 when it says yes", async () => {
    const authorization = `JWT ${stage.guard.createAccessToken({ id: 9 })}`
    const refused = await stage.client.send('GET', '/predicate', {
      headers: { authorization, 'x-allow': 'no' },
    })
    await expectCoreResponse(stage, refused, {
      headers: { authorization },
      allow: () => false,
      expectStatus: 403,
    })
    const admitted = await stage.client.send('GET', '/predicate', {
      headers: { authorization, 'x-allow': 'yes' },
    })
    equal(admitted.status, 200, `allow() said yes: ${admitted.text}`)
  })

  test.it("checks a route's own audience: another audience is refused, its own admitted", async () => {
    const authorization = `JWT ${stage.guard.createAccessToken({ id: 9 })}`
    await expectCoreResponse(
      stage,
      await stage.client.send('GET', '/billing', { headers: { authorization } }),
      {
        headers: { authorization },
        audience: 'billing',
        expectStatus: 401,
      },
    )
    const billing = `JWT ${stage.sibling({ audience: 'billing' }).createAccessToken({ id: 9 })}`
    const admitted = await stage.client.send('GET', '/billing', { headers: { authorization: billing } })
    equal(admitted.status, 200, `a token for billing: ${admitted.text}`)
    equal(JSON.stringify(admitted.json()), JSON.stringify({ identity: { user_id: 9 } }))
  })
}

/** An access token of the suite's secret that expired an hour before the frozen clock. */
function expired(stage: Stage): string {
  const now = stage.guard.options.now()
  return stage.sibling({ now: () => now - 3600 }).createAccessToken({ id: 1 })
}

function identityTests(test: TestApi, stage: Stage): void {
  for (const method of ['GET', 'POST']) {
    test.it(`hands the identity to the handler of a required route (${method})`, async () => {
      const authorization = `JWT ${stage.guard.createAccessToken({ id: 7 })}`
      const response = await stage.client.send(method, '/protected', { headers: { authorization } })
      equal(response.status, 200, `${method} /protected with a token: ${response.text}`)
      equal(JSON.stringify(response.json()), JSON.stringify({ identity: { user_id: 7 } }))
    })
  }

  test.it(
    'optional route: no identity without a token, the identity with one, a refusal for a bad one',
    async () => {
      const none = await stage.client.send('GET', '/optional')
      equal(JSON.stringify([none.status, none.json()]), JSON.stringify([200, { identity: null }]))
      const authorization = `JWT ${stage.guard.createAccessToken({ id: 8 })}`
      const some = await stage.client.send('GET', '/optional', { headers: { authorization } })
      equal(JSON.stringify([some.status, some.json()]), JSON.stringify([200, { identity: { user_id: 8 } }]))
      const bad = { authorization: `JWT ${expired(stage)}` }
      await expectCoreResponse(stage, await stage.client.send('GET', '/optional', { headers: bad }), {
        headers: bad,
        expectStatus: 401,
      })
    },
  )

  test.it('leaves an unprotected route alone: no identity', async () => {
    const response = await stage.client.send('GET', '/open')
    equal(JSON.stringify([response.status, response.json()]), JSON.stringify([200, { identity: null }]))
  })
}

function bodyTests(test: TestApi, stage: Stage): void {
  const limit = () => stage.guard.options.bodyLimit
  test.it('refuses malformed JSON with 400 and the JSON body', async () => {
    const body = '{"username":'
    await expectCoreResponse(
      stage,
      await stage.client.send('POST', '/auth', { headers: JSON_HEADERS, body }),
      {
        error: thrownBy(() => parseJsonObjectBody({ contentType: 'application/json', body }, limit())),
      },
    )
  })

  test.it('refuses wrong credentials with 401 and the JSON body', async () => {
    const body = JSON.stringify({ username: SEED.username, password: 'wrong' })
    const response = await stage.client.send('POST', '/auth', { headers: JSON_HEADERS, body })
    equal(response.status, 401, `wrong credentials: ${response.text}`)
    expectJson(response)
  })

  test.it('refuses a login body over the limit with 413, whatever its Content-Length says', async () => {
    const body = JSON.stringify({ username: 'x'.repeat(limit()), password: 'y' })
    await expectCoreResponse(
      stage,
      await stage.client.send('POST', '/auth', { headers: JSON_HEADERS, body }),
      {
        error: bodyTooLarge(limit()),
      },
    )
  })

  test.it('stops reading a login body streamed past the limit without Content-Length: 413', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(1022)}",`)
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"username":['))
        sent += chunk.byteLength
        // Just past the limit: small enough for the socket buffers, so the client never blocks on it.
        if (sent > limit() + 4096) controller.close()
        else controller.enqueue(chunk)
      },
    })
    const response = await stage.client.send('POST', '/auth', { headers: JSON_HEADERS, body })
    await expectCoreResponse(stage, response, { error: bodyTooLarge(limit()) })
  })
}

/** What `action` throws (the core's verdict on a request), failing when it throws nothing. */
function thrownBy(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error(`${KIT}: expected the core to refuse`)
}

function cookieTests(test: TestApi, stage: Stage): void {
  let cookie = ''
  let csrf = ''
  test.beforeAll(async () => {
    const response = await stage.client.send('POST', '/auth', {
      headers: JSON_HEADERS,
      body: JSON.stringify(SEED),
    })
    equal(response.status, 200, `POST /auth in cookie mode: ${response.text}`)
    const names = stage.guard.options.cookies
    if (names === undefined) throw new Error(`${KIT}: cookie mode without cookie options`)
    const setCookies = response.headers.getSetCookie()
    const access = setCookies.find((value) => value.startsWith(`${names.accessName}=`))
    const csrfCookie = setCookies.find((value) => value.startsWith(`${names.csrfName}=`))
    ok(
      access !== undefined && csrfCookie !== undefined,
      `one Set-Cookie header per cookie: ${JSON.stringify(setCookies)}`,
    )
    ok(/;\s*HttpOnly/i.test(access), 'the access cookie is HttpOnly')
    cookie = [access, csrfCookie].map((value) => value.split(';')[0]).join('; ')
    csrf = decodeURIComponent(csrfCookie.slice(names.csrfName.length + 1).split(';')[0] ?? '')
  })

  test.it('authenticates a safe request with the access cookie', async () => {
    const response = await stage.client.send('GET', '/protected', { headers: { cookie } })
    equal(response.status, 200, `GET with the cookie: ${response.text}`)
    equal(JSON.stringify(response.json()), JSON.stringify({ identity: { user_id: 123 } }))
  })

  test.it('refuses an unsafe request without the CSRF header, as the core decides', async () => {
    const response = await stage.client.send('POST', '/protected', { headers: { cookie } })
    await expectCoreResponse(stage, response, { headers: { cookie }, method: 'POST', expectStatus: 401 })
  })

  test.it('admits an unsafe request with the CSRF header', async () => {
    const header = stage.guard.options.cookies?.csrfHeader ?? 'x-csrf-token'
    const response = await stage.client.send('POST', '/protected', { headers: { cookie, [header]: csrf } })
    equal(response.status, 200, `POST with the CSRF header: ${response.text}`)
  })
}

function queryTests(test: TestApi, stage: Stage): void {
  test.it('reads a token from the query string the adapter hands to the core', async () => {
    const param = stage.guard.options.queryParam
    const token = stage.guard.createAccessToken({ id: 4 })
    const admitted = await stage.client.send('GET', `/protected?x=1&${param}=${token}`)
    equal(admitted.status, 200, `a query token: ${admitted.text}`)
    equal(JSON.stringify(admitted.json()), JSON.stringify({ identity: { user_id: 4 } }))
    const refused = await stage.client.send('GET', '/protected?x=1')
    await expectCoreResponse(stage, refused, { url: '/protected?x=1', expectStatus: 401 })
  })
}
