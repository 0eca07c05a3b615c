/**
 * Issue 16: every adapter of this package runs the adapter contract suite it ships
 * (`jwtguard/testing`), mounted directly on the library's adapter (test/adapters/fixtures.ts):
 * over a real socket for all of them, and in process through the app's own `(Request) =>
 * Response` where the app is one (Hono, `jwtguard/fetch`).
 */
import { type AdapterTarget, runAdapterConformance } from 'jwtguard/testing'
import { VITEST } from '../support/runner.js'
import { FRAMEWORKS } from './fixtures.js'

for (const framework of FRAMEWORKS) {
  runAdapterConformance(VITEST, {
    name: `${framework.name} (socket)`,
    async start(guard, reply): Promise<AdapterTarget> {
      const server = await framework.start(guard, reply, 'socket')
      return { url: server.address, close: () => server.close() }
    },
  })
}

for (const framework of FRAMEWORKS.filter((each) =>
  ['hono', 'hono (protect)', 'fetch'].includes(each.name),
)) {
  runAdapterConformance(VITEST, {
    name: `${framework.name} (in process)`,
    async start(guard, reply): Promise<AdapterTarget> {
      const server = await framework.start(guard, reply, 'in-process')
      return { fetch: server.fetch, close: () => server.close() }
    },
  })
}
