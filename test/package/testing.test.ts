/**
 * Issue 16 item 5: `jwtguard/testing`, the conformance kits, as a third party uses them. The
 * example store of examples/custom-store (a Map store importing only public subpaths) passes the
 * token-store suite, under Vitest here and under node:test as its README runs it; and the kits can
 * fail: a store or an adapter that breaks one rule fails the tests about that rule, by name.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { jwtGuard as fetchGuard } from 'jwtguard/fetch'
import type { TokenStore } from 'jwtguard/stores/memory'
import {
  runAdapterConformance,
  runTokenStoreConformance,
  runUserStoreConformance,
  type TestApi,
} from 'jwtguard/testing'
import { createMemoryUserStore } from 'jwtguard/users'
import { describe, expect, it } from 'vitest'
import { createMapStore } from '../../examples/custom-store/map-store.js'
import { collector } from '../support/collect.js'
import { VITEST } from '../support/runner.js'

const run = promisify(execFile)

runTokenStoreConformance(VITEST, {
  name: 'examples/custom-store (a third party’s Map store)',
  setup: () => ({ open: (now) => createMapStore({ now }) }),
})

/** The names of the tests that failed. */
async function failures(register: (api: TestApi) => void): Promise<string[]> {
  const { api, run: runAll } = collector()
  register(api)
  const outcomes = await runAll()
  expect(outcomes.length).toBeGreaterThan(5)
  return outcomes.filter((outcome) => outcome.error !== undefined).map((outcome) => outcome.name)
}

describe('examples/custom-store', () => {
  it('imports nothing of jwtguard but public subpaths', () => {
    const source = readFileSync('examples/custom-store/map-store.ts', 'utf8')
    const specifiers = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1])
    expect(specifiers).toEqual(['jwtguard/stores/memory'])
  })

  it('passes the suite on node:test, as its conformance file runs it', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=jwtguard-source',
        '--import',
        'tsx',
        '--test',
        '--test-reporter=tap',
        'examples/custom-store/conformance.test.ts',
      ],
      { env: { ...process.env, NODE_OPTIONS: '' } },
    )
    const passed = Number(/^# pass (\d+)$/m.exec(stdout)?.[1])
    expect(passed).toBeGreaterThan(25)
    expect(stdout).toMatch(/^# fail 0$/m)
  }, 60_000)
})

describe('the kits can fail', () => {
  it('a token store that lets a refresh token be spent twice fails the rotation tests', async () => {
    const broken = (now: () => number): TokenStore => {
      const store = createMapStore({ now })
      const saved = new Map<string, Parameters<TokenStore['saveRefresh']>[0]>()
      return {
        ...store,
        view: store.view,
        async saveRefresh(record) {
          await store.saveRefresh(record)
          saved.set(record.id, { ...record, expiresAt: Math.ceil(record.expiresAt) })
        },
        // Never marks a token spent: every replay "wins".
        async consumeRefresh(id) {
          const record = saved.get(id)
          return record === undefined ? { status: 'unknown' } : { status: 'ok', record }
        },
      }
    }
    const failed = await failures((api) =>
      runTokenStoreConformance(api, { name: 'broken', setup: () => ({ open: broken }) }),
    )
    expect(failed).toContain(
      'TokenStore conformance: broken > saveRefresh / consumeRefresh > lets exactly one of 50 concurrent consumers win',
    )
    expect(failed).toContain(
      'TokenStore conformance: broken > saveRefresh / consumeRefresh > spends a token once, then reports every replay as reused',
    )
    expect(failed).not.toContain(
      'TokenStore conformance: broken > revoke / isRevoked > forgets an entry whose expiry has passed',
    )
  })

  it('a user store that matches usernames case-insensitively fails that test, and only that one', async () => {
    const open = () => {
      const store = createMemoryUserStore()
      return { ...store, findByUsername: async (name: string) => store.findByUsername(name.toLowerCase()) }
    }
    const failed = await failures((api) => runUserStoreConformance(api, { name: 'sloppy', open }))
    expect(failed).toEqual([
      'UserStore conformance: sloppy > returns null for unknown users, and matches usernames exactly',
    ])
  })

  it('an adapter that answers unknown paths with an HTML page fails the 404 row', async () => {
    const failed = await failures((api) =>
      runAdapterConformance(api, {
        name: 'html 404',
        start(guard, reply) {
          const auth = fetchGuard(guard)
          const json = async (identity: unknown) => Response.json(await reply(identity))
          const routes: Record<string, (request: Request) => Response | Promise<Response>> = {
            '/protected': auth.protect((_request, { identity }) => json(identity)),
            '/optional': auth.protectOptional((_request, result) => json(result?.identity)),
            '/open': () => json(undefined),
            '/predicate': auth.protect((_request, { identity }) => json(identity), {
              allow: (_claims, request: Request) => request.headers.get('x-allow') === 'yes',
            }),
            '/billing': auth.protect((_request, { identity }) => json(identity), { audience: 'billing' }),
          }
          return {
            async fetch(request) {
              const answered = await auth.handle(request)
              if (answered !== null) return answered
              const route = routes[new URL(request.url).pathname]
              if (route === undefined) return new Response('<h1>Not Found</h1>', { status: 404 })
              if (
                request.method !== 'GET' &&
                !(request.method === 'POST' && new URL(request.url).pathname === '/protected')
              )
                return auth.notFound(request, ['GET', 'POST'])
              return route(request)
            },
          }
        },
      }),
    )
    expect(failed).toEqual([
      'Adapter conformance: html 404 > header tokens > answers an unknown path with 404 and the JSON body',
    ])
  })

  it('refuses an incomplete runner or subject at declaration', () => {
    const { api } = collector()
    expect(() =>
      runTokenStoreConformance({ ...api, afterAll: undefined } as never, {
        name: 'x',
        setup: () => ({ open: (now) => createMapStore({ now }) }),
      }),
    ).toThrow(/afterAll/)
    expect(() => runUserStoreConformance(api, { name: '', open: createMemoryUserStore })).toThrow(TypeError)
    expect(() =>
      runTokenStoreConformance(api, {
        name: 'x',
        setup: () => ({ open: (now) => createMapStore({ now }) }),
        propagationMs: -1,
      }),
    ).toThrow(RangeError)
  })
})
