/**
 * Issue 11 item 3: the OpenAPI 3.1 document of server/openapi.ts. It must pass a real OpenAPI 3.1
 * validator for every shape of guard, be served at GET /openapi.json by every framework, and be
 * true of the live server: every route it lists answers, on every framework, only with statuses it
 * declares for that route, with error bodies of its error schema.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validate } from '@readme/openapi-parser'
import {
  createJwtGuard,
  createKeyStore,
  createRemoteJwks,
  generateAsymmetricKey,
  type JwtGuardOptions,
} from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { afterAll, describe, expect, it } from 'vitest'
import {
  buildOpenApiDocument,
  OPENAPI_PATH,
  type OpenApiDocument,
  type Operation,
  type ResponseObject,
  type Schema,
} from '../../server/openapi.js'
import { APPS } from '../support/apps.js'
import type { RequestInit, TestApp, TestResponse } from '../support/server.js'

const SECRET = 'openapi-test-secret-with-at-least-32-bytes'
const base: JwtGuardOptions<{ id: number }> = {
  secret: SECRET,
  authenticate: () => null,
  identity: (payload) => ({ id: Number(payload.identity) }),
}

async function validationErrors(document: unknown): Promise<string[]> {
  // The validator dereferences in place: give it a copy.
  const result = await validate(structuredClone(document) as Parameters<typeof validate>[0])
  return result.valid ? [] : result.errors.map((error) => error.message)
}

const operationsOf = (document: OpenApiDocument) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation: operation as Operation })),
  )

describe('the OpenAPI document passes an OpenAPI 3.1 validator', () => {
  const store = createMemoryStore({ pruneInterval: 0 })
  afterAll(() => store.close())
  const variants: [
    string,
    JwtGuardOptions<{ id: number }>,
    { has: string[]; lacks: string[]; schemes: string[] },
  ][] = [
    [
      'header only, no store',
      base,
      {
        has: ['/auth'],
        lacks: ['/auth/refresh', '/auth/revoke', '/.well-known/jwks.json'],
        schemes: ['JWT'],
      },
    ],
    [
      'a store: refresh and revoke',
      { ...base, store },
      {
        has: ['/auth', '/auth/refresh', '/auth/revoke'],
        lacks: ['/.well-known/jwks.json'],
        schemes: ['JWT'],
      },
    ],
    [
      'asymmetric keys: the JWKS',
      {
        ...base,
        secret: undefined,
        keys: createKeyStore({
          active: generateAsymmetricKey('ES256', { kid: 'k1' }),
          maxTokenLifetime: '1h',
        }),
      },
      { has: ['/auth', '/.well-known/jwks.json'], lacks: ['/auth/refresh'], schemes: ['JWT'] },
    ],
    [
      'cookies and query tokens, other paths and prefix',
      {
        ...base,
        store,
        headerPrefix: 'Bearer',
        authPath: '/login',
        refreshPath: '/login/refresh',
        revokePath: false,
        tokenLocation: ['header', 'cookies', 'query'],
        cookies: { secure: false },
      },
      {
        has: ['/login', '/login/refresh'],
        lacks: ['/auth', '/auth/revoke', '/auth/refresh'],
        schemes: ['JWT', 'cookie', 'csrf', 'query'],
      },
    ],
    ['no auth route', { ...base, authPath: false }, { has: [], lacks: ['/auth'], schemes: ['JWT'] }],
  ]

  it.each(variants)('%s', async (_name, options, expected) => {
    const document = buildOpenApiDocument(createJwtGuard(options))
    expect(await validationErrors(document)).toEqual([])
    expect(document.openapi).toBe('3.1.0')
    for (const path of [
      ...expected.has,
      '/api/v1/private',
      '/api/v1/me',
      '/api/v1/admin',
      '/health',
      OPENAPI_PATH,
    ])
      expect(document.paths).toHaveProperty([path])
    for (const path of expected.lacks) expect(document.paths).not.toHaveProperty([path])
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([...expected.schemes].sort())
  })

  it("a resource server for an OAuth 2.0 issuer: both schemes, the subject's identity, its refusals", async () => {
    const guard = createJwtGuard({
      jwks: createRemoteJwks({ issuer: 'https://idp.test', audience: 'https://orders.api.test' }),
      profile: 'rfc9068',
      headerPrefix: ['Bearer', 'JWT'],
    })
    const document = buildOpenApiDocument(guard)
    expect(await validationErrors(document)).toEqual([])
    expect(document.paths).not.toHaveProperty(['/auth'])
    expect(document.components.securitySchemes.JWT?.description).toMatch(/^`Bearer <token>` or `JWT <token>`/)
    expect(JSON.stringify(document.components.schemas.Identity)).toContain('"sub"')
    const examples =
      (
        document.components.responses.Unauthorized as {
          content: Record<string, { examples: Record<string, { value: { description: string } }> }>
        }
      ).content['application/json']?.examples ?? {}
    expect(examples.issuer?.value.description).toBe('Token issuer is not accepted')
    expect(examples.type?.value.description).toBe('Token type (typ) is not accepted')
  })

  it('describes the header scheme with the configured prefix, and the error schema', () => {
    const document = buildOpenApiDocument(createJwtGuard({ ...base, headerPrefix: 'Bearer' }))
    expect(document.components.securitySchemes.JWT).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: expect.stringContaining('`Bearer <token>`'),
    })
    expect(document.components.schemas.Error).toMatchObject({
      required: ['status_code', 'error', 'description'],
      additionalProperties: false,
    })
    const responses = document.paths['/api/v1/admin']?.get?.responses ?? {}
    expect(Object.keys(responses).sort()).toEqual(['200', '401', '403', '405'])
  })

  it('declares 400, 401, 405, 413, 415, 429 and 503 on login, each error with an example', () => {
    const document = buildOpenApiDocument(createJwtGuard(base))
    const login = document.paths['/auth']?.post as Operation
    expect(Object.keys(login.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '405',
      '413',
      '415',
      '429',
      '503',
    ])
    for (const [status, response] of Object.entries(login.responses)) {
      if (status === '200') continue
      const examples = Object.values(
        resolveResponse(document, response).content?.['application/json']?.examples ?? {},
      )
      expect(examples.length, status).toBeGreaterThan(0)
      for (const example of examples) {
        expect(example.value).toEqual({
          status_code: Number(status),
          error: expect.any(String),
          description: expect.any(String),
        })
      }
    }
  })

  it('the validator refuses a broken document (the check can fail)', async () => {
    const document = buildOpenApiDocument(createJwtGuard(base)) as unknown as {
      components: { schemas: Record<string, unknown> }
      paths: Record<string, Record<string, { responses: unknown }>>
    }
    const dangling = structuredClone(document)
    delete dangling.components.schemas.Error
    expect(await validationErrors(dangling)).not.toEqual([])
    const badScheme = structuredClone(document) as unknown as {
      components: { securitySchemes: { JWT: { in: string } } }
    }
    badScheme.components.securitySchemes.JWT.in = 'body'
    expect(await validationErrors(badScheme)).not.toEqual([])
  })
})

/** Follows one `$ref` into `components`. */
function resolve<T>(document: OpenApiDocument, value: T | { $ref?: string }): T {
  const pointer = (value as { $ref?: string }).$ref
  if (pointer === undefined) return value as T
  const [, , kind, name] = pointer.split('/')
  const target = (document.components as unknown as Record<string, Record<string, unknown>>)[kind ?? '']?.[
    name ?? ''
  ]
  if (target === undefined) throw new Error(`dangling $ref ${pointer}`)
  return target as T
}
const resolveResponse = (document: OpenApiDocument, response: ResponseObject) =>
  resolve<ResponseObject>(document, response)

/** A shallow check of a JSON value against a schema of the document: type, required, const. */
function schemaProblems(document: OpenApiDocument, schemaOrRef: Schema, value: unknown): string[] {
  const schema = resolve<Schema>(document, schemaOrRef)
  const problems: string[] = []
  if (schema.type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['not an object']
    const record = value as Record<string, unknown>
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in record)) problems.push(`lacks ${key}`)
    }
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(record)) if (!(key in properties)) problems.push(`extra ${key}`)
    }
    for (const [key, property] of Object.entries(properties)) {
      if (!(key in record)) continue
      const item = record[key]
      const type = property.type === 'integer' ? 'number' : property.type
      if (type !== undefined && typeof item !== type && !(type === 'array' && Array.isArray(item)))
        problems.push(`${key} is not ${String(property.type)}`)
      if ('const' in property && item !== property.const)
        problems.push(`${key} is not ${String(property.const)}`)
    }
  }
  return problems
}

const JSON_HEADERS = { 'content-type': 'application/json' }
const withoutContentType = (headers: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'))
const CREDENTIALS = JSON.stringify({ username: 'masnun', password: 'abc123' })

/** The requests sent to every operation: without credentials, with good and bad ones, bad bodies. */
function probes(app: TestApp, tokens: { user: string; admin: string; refresh: string }) {
  const limit = app.context.guard.options.bodyLimit
  const bearer = (token: string) => ({ authorization: `JWT ${token}` })
  const list: [name: string, init: RequestInit][] = [
    ['nothing', {}],
    ['a garbage token', { headers: bearer('abc.def.ghi') }],
    ['credentials', { headers: JSON_HEADERS, body: CREDENTIALS }],
    ['malformed JSON', { headers: JSON_HEADERS, body: '{' }],
    ['text/plain', { headers: { 'content-type': 'text/plain' }, body: 'x' }],
    ['a body over the limit', { headers: JSON_HEADERS, body: JSON.stringify({ pad: 'x'.repeat(limit) }) }],
    // The ones that can revoke or spend tokens come last.
    [
      'a refresh token (and the access token)',
      {
        headers: { ...JSON_HEADERS, ...bearer(tokens.user) },
        body: JSON.stringify({ refresh_token: tokens.refresh }),
      },
    ],
    ['an admin access token', { headers: bearer(tokens.admin) }],
    ['a user access token', { headers: bearer(tokens.user) }],
  ]
  return list
}

/** What a working route answers to one of the probes: the status the test insists on seeing. */
const SUCCESS: Record<string, [probe: string, status: number][]> = {
  login: [['credentials', 200]],
  refresh: [['a refresh token (and the access token)', 200]],
  revoke: [['a refresh token (and the access token)', 204]],
  getPrivate: [['a user access token', 200]],
  getMe: [['a user access token', 200]],
  getAdmin: [
    ['an admin access token', 200],
    ['a user access token', 403],
  ],
  getSessions: [['a user access token', 200]],
  // The document's `{id}` is no session of the user: the answer every other id gets.
  deleteSession: [['a user access token', 404]],
  health: [['nothing', 200]],
  getPage: [['nothing', 200]],
  getOpenApi: [['nothing', 200]],
  getJwks: [['nothing', 200]],
}

function checkAnswer(
  document: OpenApiDocument,
  operation: Operation,
  response: TestResponse,
  what: string,
): void {
  const declared = operation.responses[String(response.status)]
  expect(
    declared,
    `${what}: ${response.status} is not declared (${response.text.slice(0, 200)})`,
  ).toBeDefined()
  const resolved = resolveResponse(document, declared as ResponseObject)
  if (resolved.content?.['text/html'] !== undefined) {
    expect(response.headers['content-type'], what).toMatch(/^text\/html/)
    return
  }
  const content = resolved.content?.['application/json']
  if (content === undefined) {
    expect(response.text, what).toBe('')
    return
  }
  expect(response.headers['content-type'], what).toMatch(/^application\/json/)
  expect(schemaProblems(document, content.schema, response.json()), what).toEqual([])
  if (response.status >= 400)
    expect((response.json() as { status_code: number }).status_code, what).toBe(response.status)
  for (const [header, object] of Object.entries(resolved.headers ?? {})) {
    if (header === 'Set-Cookie') continue // only in cookie mode, only on success
    const value = response.headers[header.toLowerCase()]
    expect(value, `${what}: header ${header}`).toBeDefined()
    // A declared constant (Cache-Control: no-store, ...) must be the value sent.
    const schema = resolve<{ schema?: Schema }>(document, object as { schema?: Schema }).schema
    if (schema !== undefined && 'const' in schema)
      expect(value, `${what}: header ${header}`).toBe(schema.const)
  }
}

const CONFIGURATIONS: [name: string, env: () => Record<string, string>][] = [
  ['HS256 secret', () => ({})],
  [
    'ES256 key file (JWKS)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'jwtguard-openapi-'))
      const file = join(dir, 'key.pem')
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      return { KEY_FILE: file }
    },
  ],
]
const cleanups: (() => void)[] = []
afterAll(() => {
  for (const cleanup of cleanups) cleanup()
})

describe.each(CONFIGURATIONS)('the live server (%s) does what its document says', (_name, env) => {
  describe.each(APPS)('$name', ({ create }) => {
    it('serves the document at GET /openapi.json, and every listed route answers only declared statuses', async () => {
      const app = await create(env())
      try {
        const served = await app.request('GET', OPENAPI_PATH)
        expect(served.status).toBe(200)
        expect(served.headers['content-type']).toMatch(/^application\/json/)
        const document = served.json() as OpenApiDocument
        expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(app.context.guard))))
        expect(await validationErrors(document)).toEqual([])
        const hasJwks = app.context.guard.jwks() !== undefined
        expect(Object.hasOwn(document.paths, '/.well-known/jwks.json')).toBe(hasJwks)

        const operations = operationsOf(document)
        expect(operations.map((entry) => entry.operation.operationId).sort()).toEqual(
          Object.keys(SUCCESS)
            .filter((id) => id !== 'getJwks' || hasJwks)
            .sort(),
        )
        for (const { path, method, operation } of operations) {
          const login = await app.request('POST', '/auth', { headers: JSON_HEADERS, body: CREDENTIALS })
          expect(login.status).toBe(200)
          const admin = { id: 123, roles: ['admin'] }
          const tokens = {
            user: app.context.guard.createAccessToken({ id: 123 }),
            admin: app.context.guard.createAccessToken(admin),
            refresh: (login.json() as { refresh_token: string }).refresh_token,
          }
          const seen = new Map<string, number>()
          for (const [probe, init] of probes(app, tokens)) {
            // Clients send no body with GET (fetch refuses to).
            const sent = method === 'get' ? { headers: withoutContentType(init.headers) } : init
            const response = await app.request(method.toUpperCase(), path, sent)
            checkAnswer(document, operation, response, `${method.toUpperCase()} ${path} with ${probe}`)
            seen.set(probe, response.status)
          }
          for (const [probe, status] of SUCCESS[operation.operationId] ?? []) {
            expect(seen.get(probe), `${method.toUpperCase()} ${path} with ${probe}`).toBe(status)
          }
          // Any other method: the 405 every operation of the path declares, with Allow.
          const other = await app.request('PUT', path, {})
          checkAnswer(document, operation, other, `PUT ${path}`)
          expect(other.status).toBe(405)
        }
      } finally {
        await app.close()
      }
    })
  })
})
