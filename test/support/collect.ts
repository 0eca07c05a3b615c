/**
 * A fifth test runner, a few lines long, for tests of the conformance kits themselves: it collects
 * what a kit registers and runs it on demand, with `describe` scopes and their hooks, and returns
 * each test's name and failure. So a test can show that a kit fails a broken store or adapter.
 */
import type { TestApi } from 'jwtguard/testing'

type Hook = () => Promise<void>

interface Scope {
  beforeAll: Hook[]
  afterAll: Hook[]
  beforeEach: Hook[]
  afterEach: Hook[]
}

interface Registered {
  name: string
  scopes: Scope[]
  body: Hook
}

export interface Outcome {
  name: string
  error: unknown
}

export function collector(): { api: TestApi; run(): Promise<Outcome[]> } {
  const root: Scope = { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] }
  const stack: { name: string; scope: Scope }[] = [{ name: '', scope: root }]
  const tests: Registered[] = []
  const current = () => stack[stack.length - 1]?.scope ?? root
  const api: TestApi = {
    describe(name, body) {
      stack.push({ name, scope: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] } })
      body()
      stack.pop()
    },
    it(name, body) {
      const path = [...stack.map((entry) => entry.name).filter(Boolean), name].join(' > ')
      tests.push({ name: path, scopes: stack.map((entry) => entry.scope), body })
    },
    beforeEach: (hook) => current().beforeEach.push(hook),
    afterEach: (hook) => current().afterEach.push(hook),
    beforeAll: (hook) => current().beforeAll.push(hook),
    afterAll: (hook) => current().afterAll.push(hook),
  }
  return {
    api,
    async run() {
      const started = new Set<Scope>()
      const outcomes: Outcome[] = []
      for (const test of tests) {
        let error: unknown
        try {
          for (const scope of test.scopes) {
            if (started.has(scope)) continue
            started.add(scope)
            for (const hook of scope.beforeAll) await hook()
          }
          for (const scope of test.scopes) for (const hook of scope.beforeEach) await hook()
          try {
            await test.body()
          } finally {
            for (const scope of [...test.scopes].reverse()) for (const hook of scope.afterEach) await hook()
          }
        } catch (thrown) {
          error = thrown
        }
        outcomes.push({ name: test.name, error })
      }
      for (const scope of [...started].reverse()) for (const hook of scope.afterAll) await hook()
      return outcomes
    },
  }
}
