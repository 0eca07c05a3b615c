/**
 * The contract's seed session, run by every runtime of the matrix (scripts/runtimes.mjs) on the
 * built package (dist/): login → private → me → refresh → revoke, and the error without a token,
 * for each algorithm, through the core alone, the Hono adapter and the fetch adapter. Plain
 * JavaScript with Web APIs only, so Node, Bun, Deno and workerd all run this same file.
 */

export const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']
export const ADAPTERS = ['core', 'hono', 'fetch']

const SEED = JSON.stringify({ username: 'masnun', password: 'abc123' })
const JSON_TYPE = { 'content-type': 'application/json' }
const NO_TOKEN = {
  status_code: 401,
  error: 'Authorization Required',
  description: 'Request does not contain an access token',
}

function check(step, condition, detail) {
  if (!condition) throw new Error(`${step}: ${detail}`)
}

async function makeGuard(jwtguard, memory, alg) {
  const keyOption =
    alg === 'HS256'
      ? { secret: 'runtime-matrix-secret-of-at-least-32-bytes' }
      : {
          key: jwtguard.generateAsymmetricKey(alg),
          // Refresh tokens are signed under a secret of their own, never a published key.
          refreshSecret: 'runtime-matrix-refresh-secret-of-32-bytes',
        }
  return jwtguard.createJwtGuard({
    ...keyOption,
    authenticate: (username, password) =>
      username === 'masnun' && password === 'abc123' ? { id: 123 } : null,
    identity: (payload) => ({ user_id: payload.identity }),
    store: memory.createMemoryStore(),
  })
}

/**
 * The session over HTTP-shaped calls: `app(request)` answers a Web `Request` with a `Response`.
 * A 500's cause is what the adapter logged (`logged`): that is the reason reported.
 */
export async function httpSession(app, logged = []) {
  try {
    await httpSteps(app)
  } catch (error) {
    throw logged[0] ?? error
  }
}

async function httpSteps(app) {
  const post = (path, body, headers = {}) =>
    app(
      new Request(`http://localhost${path}`, { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body }),
    )
  const get = (path, token) =>
    app(new Request(`http://localhost${path}`, token ? { headers: { authorization: `JWT ${token}` } } : {}))

  const login = await post('/auth', SEED)
  check('login', login.status === 200, `status ${login.status}`)
  const first = await login.json()
  const privateAnswer = await get('/api/v1/private', first.access_token)
  check('private', privateAnswer.status === 200, `status ${privateAnswer.status}`)
  check('private', (await privateAnswer.json()).meaning_of_life === 42, 'no meaning of life')
  const me = await get('/api/v1/me', first.access_token)
  check('me', (await me.json()).user_id === 123, `status ${me.status}`)

  const refreshed = await post('/auth/refresh', JSON.stringify({ refresh_token: first.refresh_token }))
  check('refresh', refreshed.status === 200, `status ${refreshed.status}`)
  const second = await refreshed.json()

  const revoke = await post('/auth/revoke', '{}', { authorization: `JWT ${second.access_token}` })
  check('revoke', revoke.status === 200 || revoke.status === 204, `status ${revoke.status}`)
  const revoked = await get('/api/v1/me', second.access_token)
  check('revoke', revoked.status === 401, `a revoked token got ${revoked.status}`)
  check('revoke', (await revoked.json()).description === 'Token has been revoked', 'another refusal')
  // After the revoke: replaying the spent refresh token first would be reuse, which ends the whole
  // family, access tokens included, so the revoke above would meet an already refused token.
  const spent = await post('/auth/refresh', JSON.stringify({ refresh_token: first.refresh_token }))
  check('refresh', spent.status === 401, `a spent refresh token got ${spent.status}`)

  const missing = await get('/api/v1/private')
  check('error', missing.status === 401, `no token got ${missing.status}`)
  check('error', missing.headers.get('www-authenticate') === 'JWT realm="Login Required"', 'no challenge')
  check('error', JSON.stringify(await missing.json()) === JSON.stringify(NO_TOKEN), 'another body')
}

/** The same session on the core alone: the guard's route handlers and `protect().authenticate`. */
async function coreSession(guard) {
  const route = (path) => guard.routes.find((candidate) => candidate.path === path)
  const call = async (path, body, headers = {}) => {
    const response = await route(path).handle({ contentType: 'application/json', body, headers })
    return { status: response.status, json: () => JSON.parse(response.body ?? 'null') }
  }
  const protect = guard.protect()
  const who = async (token) =>
    (await protect.authenticate(token ? { authorization: `JWT ${token}` } : {})).identity.user_id

  const login = await call('/auth', SEED)
  check('login', login.status === 200, `status ${login.status}`)
  const first = login.json()
  check('private', guard.verify(first.access_token).identity === 123, 'verify')
  check('me', (await who(first.access_token)) === 123, 'identity')
  const refreshed = await call('/auth/refresh', JSON.stringify({ refresh_token: first.refresh_token }))
  check('refresh', refreshed.status === 200, `status ${refreshed.status}`)
  const second = refreshed.json()
  const revoke = await call('/auth/revoke', '{}', { authorization: `JWT ${second.access_token}` })
  check('revoke', revoke.status === 200 || revoke.status === 204, `status ${revoke.status}`)
  const refused = await who(second.access_token).then(
    () => 'admitted',
    (error) => error.code,
  )
  check('revoke', refused === 'ERR_TOKEN_REVOKED', `a revoked token: ${refused}`)
  const missing = await who(undefined).then(
    () => 'admitted',
    (error) => error.code,
  )
  check('error', missing === 'ERR_TOKEN_MISSING', `no token: ${missing}`)
}

function honoApp(Hono, honoGuard, guard, logged) {
  const app = new Hono()
  const auth = honoGuard(guard, { logError: (error) => logged.push(error) })
  app.route('/', auth.routes)
  app.get(
    '/api/v1/private',
    auth.protect((c) => c.json({ meaning_of_life: 42 })),
  )
  app.get(
    '/api/v1/me',
    auth.protect((c) => c.json(c.get('identity'))),
  )
  app.onError(auth.onError)
  app.notFound(auth.notFound(app))
  return (request) => app.fetch(request)
}

function fetchApp(fetchGuard, guard, logged) {
  const auth = fetchGuard(guard, { logError: (error) => logged.push(error) })
  const routes = {
    '/api/v1/private': auth.protect(() => Response.json({ meaning_of_life: 42 })),
    '/api/v1/me': auth.protect((_request, { identity }) => Response.json(identity)),
  }
  return async (request) => {
    const answered = await auth.handle(request)
    if (answered !== null) return answered
    const route = routes[new URL(request.url).pathname]
    return route === undefined ? auth.notFound(request) : route(request)
  }
}

/** The reason a cell failed: the library's code and message, else the error's own words. */
function reason(error) {
  const text =
    error instanceof Error ? `${error.code ? `${error.code}: ` : ''}${error.message}` : String(error)
  return text.split('\n')[0].slice(0, 200)
}

/**
 * Runs every cell; `load(name)` imports one module of the package (`'.'`, `'fetch'`, `'hono'`,
 * `'stores/memory'`) or `'hono-framework'` (the `hono` package itself). Never throws: a cell is
 * `'ok'` or the reason it failed.
 */
export async function runMatrix(load) {
  const results = {}
  let modules
  try {
    modules = {
      jwtguard: await load('.'),
      memory: await load('stores/memory'),
    }
  } catch (error) {
    for (const adapter of ADAPTERS)
      results[adapter] = Object.fromEntries(ALGORITHMS.map((a) => [a, reason(error)]))
    return results
  }
  const apps = {
    core: async () => coreSession,
    hono: async () => {
      const [{ Hono }, { jwtGuard }] = await Promise.all([load('hono-framework'), load('hono')])
      return (guard, logged = []) => httpSession(honoApp(Hono, jwtGuard, guard, logged), logged)
    },
    fetch: async () => {
      const { jwtGuard } = await load('fetch')
      return (guard, logged = []) => httpSession(fetchApp(jwtGuard, guard, logged), logged)
    },
  }
  for (const adapter of ADAPTERS) {
    results[adapter] = {}
    let session
    try {
      session = await apps[adapter]()
    } catch (error) {
      for (const alg of ALGORITHMS) results[adapter][alg] = `import: ${reason(error)}`
      continue
    }
    for (const alg of ALGORITHMS) {
      try {
        await session(await makeGuard(modules.jwtguard, modules.memory, alg))
        results[adapter][alg] = 'ok'
      } catch (error) {
        results[adapter][alg] = reason(error)
      }
    }
  }
  return results
}
