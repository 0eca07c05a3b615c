/**
 * Issue 16 item 3: `jwtguard/adapter`, the kit every adapter is built from. `runProtected` does the
 * sync-or-async dance once (synchronous when the check is), the one capped body reader serves Node
 * streams and Web requests, and nothing of Node is on the kit's (or the Web adapters') import path.
 * Nothing inside src/ imports the package root (biome's noRestrictedImports says so too).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { createJwtGuard, isJwtGuardError, type JwtGuard, type JwtGuardOptions } from 'jwtguard'
import {
  type AuthResult,
  type ProtectedCallbacks,
  readBody,
  readRequestBody,
  runProtected,
  serveAuthRoute,
} from 'jwtguard/adapter'
import { describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../support/http.js'
import { nodeModulesOf } from '../support/imports.js'

const NOW = 1_767_225_600 // 2026-01-01T00:00:00Z, the guard's frozen clock

interface Who {
  user_id: number
}

function guardWith(identity: JwtGuardOptions<Who>['identity']): JwtGuard<Who> {
  return createJwtGuard<Who>({
    secret: TEST_SECRET,
    now: () => NOW,
    authenticate: () => ({ id: 123 }),
    identity,
  })
}

const syncGuard = guardWith((payload) => ({ user_id: payload.identity as number }))
const asyncGuard = guardWith(async (payload) => ({ user_id: payload.identity as number }))

/** The code of what `error` is, for assertions: a JwtGuardError's code, else its message. */
const codeOf = (error: unknown) => (isJwtGuardError(error) ? error.code : String(error))

/** Callbacks that record what they were called with and answer what they were told. */
function recorder() {
  const calls: unknown[][] = []
  const callbacks: ProtectedCallbacks<Who, string, number, string> = {
    onIdentity(result: AuthResult<Who> | null, a, b) {
      calls.push(['identity', result?.identity ?? null, a, b])
      return 'admitted'
    },
    onError(error, a, b) {
      calls.push(['error', codeOf(error), a, b])
      return 'refused'
    },
  }
  return { calls, callbacks }
}

const headersWith = (guard: JwtGuard<Who>) => ({
  authorization: `JWT ${guard.createAccessToken({ id: 123 })}`,
})

describe('runProtected', () => {
  it('answers synchronously, with no promise, when the check is synchronous', () => {
    const { calls, callbacks } = recorder()
    const route = syncGuard.protect({}, 'required')
    const answer = runProtected(route, headersWith(syncGuard), undefined, {}, callbacks, 'a', 1)
    expect(answer).toBe('admitted')
    expect(calls).toEqual([['identity', { user_id: 123 }, 'a', 1]])
  })

  it('refuses synchronously: a missing token goes to onError, with the callbacks’ arguments', () => {
    const { calls, callbacks } = recorder()
    const answer = runProtected(syncGuard.protect(), {}, undefined, {}, callbacks, 'a', 2)
    expect(answer).toBe('refused')
    expect(calls).toEqual([['error', 'ERR_TOKEN_MISSING', 'a', 2]])
  })

  it('returns a promise of the answer when the check is asynchronous', async () => {
    const { calls, callbacks } = recorder()
    const route = asyncGuard.protect({}, 'required')
    const answer = runProtected(route, headersWith(asyncGuard), undefined, {}, callbacks, 'b', 3)
    expect(answer).toBeInstanceOf(Promise)
    expect(calls).toEqual([])
    expect(await answer).toBe('admitted')
    expect(calls).toEqual([['identity', { user_id: 123 }, 'b', 3]])
  })

  it('sends an asynchronous refusal to onError', async () => {
    const { calls, callbacks } = recorder()
    const unknownUser = guardWith(async () => null)
    const route = unknownUser.protect({}, 'required')
    expect(await runProtected(route, headersWith(unknownUser), undefined, {}, callbacks, 'c', 4)).toBe(
      'refused',
    )
    expect(calls).toEqual([['error', 'ERR_USER_NOT_FOUND', 'c', 4]])
  })

  it('admits a request without a token on an optional route with a null result', () => {
    const { calls, callbacks } = recorder()
    expect(runProtected(syncGuard.protect({}, 'optional'), {}, undefined, {}, callbacks, 'd', 5)).toBe(
      'admitted',
    )
    expect(calls).toEqual([['identity', null, 'd', 5]])
  })

  it('lets what onIdentity throws through: it is not a refusal', async () => {
    const failure = new Error('handler failed')
    const callbacks: ProtectedCallbacks<Who, null, null, string> = {
      onIdentity() {
        throw failure
      },
      onError: () => 'refused',
    }
    const headers = headersWith(syncGuard)
    expect(() => runProtected(syncGuard.protect(), headers, undefined, {}, callbacks, null, null)).toThrow(
      failure,
    )
    await expect(
      runProtected(asyncGuard.protect(), headersWith(asyncGuard), undefined, {}, callbacks, null, null),
    ).rejects.toBe(failure)
  })
})

/** Chunks from a generator that records how far it was read. */
function chunks(parts: (string | Uint8Array)[], read: { count: number }, fail?: Error) {
  return (async function* () {
    for (const part of parts) {
      read.count++
      yield part
    }
    if (fail !== undefined) throw fail
  })()
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved'),
    (error: unknown) => error,
  )
}

describe('readBody', () => {
  it('joins byte and string chunks; an empty body is undefined', async () => {
    const read = { count: 0 }
    const body = await readBody(chunks(['{"a":', new TextEncoder().encode('"é"}')], read), 100)
    expect(new TextDecoder().decode(body)).toBe('{"a":"é"}')
    expect(await readBody(chunks([], read), 100)).toBeUndefined()
    expect(await readBody([], 100, '0')).toBeUndefined()
  })

  it('refuses a Content-Length over the limit unread', async () => {
    const read = { count: 0 }
    expect(codeOf(await errorOf(readBody(chunks(['x'], read), 10, '11')))).toBe('ERR_BODY_TOO_LARGE')
    expect(read.count).toBe(0)
  })

  it('stops at the chunk that passes the limit', async () => {
    const read = { count: 0 }
    const error = await errorOf(readBody(chunks(['12345', '67890', 'x', 'never read'], read), 10))
    expect(codeOf(error)).toBe('ERR_BODY_TOO_LARGE')
    expect(read.count).toBe(3)
  })

  it('turns a stream failing midway into ERR_BODY_MALFORMED, keeping the cause', async () => {
    const reset = new Error('ECONNRESET')
    const error = await errorOf(readBody(chunks(['{"a"'], { count: 0 }, reset), 100))
    expect(codeOf(error)).toBe('ERR_BODY_MALFORMED')
    expect((error as Error).cause).toBe(reset)
  })

  it('reads a Node stream', async () => {
    const body = await readBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 100)
    expect(new TextDecoder().decode(body)).toBe('{"a":1}')
  })
})

describe('readRequestBody', () => {
  it('cancels a Web stream that passes the limit', async () => {
    let cancelled = false
    let pulls = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++
        controller.enqueue(new Uint8Array(8))
      },
      cancel() {
        cancelled = true
      },
    })
    const request = new Request('http://localhost/auth', {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(codeOf(await errorOf(readRequestBody(request, 20)))).toBe('ERR_BODY_TOO_LARGE')
    expect(cancelled).toBe(true)
    expect(pulls).toBeLessThan(10)
  })

  it('is undefined for a request without a body', async () => {
    expect(
      await readRequestBody(new Request('http://localhost/auth', { method: 'POST' }), 10),
    ).toBeUndefined()
  })
})

describe('serveAuthRoute', () => {
  const [login] = syncGuard.routes
  if (login === undefined) throw new Error('the guard mounts no login route')
  const post = (body: string, headers: Record<string, string>) =>
    new Request('http://localhost/auth', { method: 'POST', body, headers })

  it('answers the login route for a Web Request', async () => {
    const response = await serveAuthRoute(login, post('{"username":"a","password":"b"}', JSON_TYPE), 100)
    expect(response.status).toBe(200)
    expect(Object.keys(JSON.parse(response.body ?? '{}') as object)).toEqual(['access_token'])
  })

  it('refuses a compressed body before reading it', async () => {
    const error = await errorOf(
      serveAuthRoute(login, post('{}', { ...JSON_TYPE, 'content-encoding': 'gzip' }), 100),
    )
    expect(codeOf(error)).toBe('ERR_MEDIA_TYPE_UNSUPPORTED')
  })
})

const JSON_TYPE = { 'content-type': 'application/json' }

describe('the import graph', () => {
  const src = resolve(import.meta.dirname, '../../src')

  it('of the kit and of the Web adapters loads nothing of Node', () => {
    expect([...nodeModulesOf(join(src, 'adapter/index.ts'))]).toEqual([])
    expect([...nodeModulesOf(join(src, 'adapters/hono/index.ts'), ['hono'])]).toEqual([])
    expect([...nodeModulesOf(join(src, 'adapters/fetch/index.ts'))]).toEqual([])
  })

  it('has no module of src/ importing the package root (src/index.ts)', () => {
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
      .map((file) => join(src, file))
    expect(files.length).toBeGreaterThan(50)
    const root = join(src, 'index.ts')
    const offenders = files.filter((file) =>
      [
        ...readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .matchAll(/(?:from\s+|import\s*\(?\s*)'([^']+)'/g),
      ].some(
        ([, specifier = '']) =>
          specifier === 'jwtguard' ||
          (specifier.startsWith('.') && resolve(dirname(file), specifier.replace(/\.js$/, '.ts')) === root),
      ),
    )
    expect(offenders.map((file) => relative(src, file))).toEqual([])
  })
})
