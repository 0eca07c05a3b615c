/**
 * Reference-server fixtures: a fresh data directory, a known secret and the seed's user. Only the
 * server's own tests use this file (test/package/server-imports.test.ts keeps it so); the HTTP
 * plumbing lives in ./http.ts, re-exported here for them.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { type Framework, loadConfig } from '../../server/config.js'
import { createServerContext, type ServerContext } from '../../server/context.js'
import { type RequestInit, TEST_SECRET, type TestResponse } from './http.js'

export { type RequestInit, socketRequest, TEST_SECRET, type TestResponse, toTestResponse } from './http.js'

/** A running reference app, reached through `request`. */
export interface TestApp {
  framework: Framework
  transport: 'in-process' | 'socket'
  context: ServerContext
  request(method: string, path: string, init?: RequestInit): Promise<TestResponse>
  close(): Promise<void>
}

export async function createTestContext(env: Record<string, string> = {}): Promise<{
  context: ServerContext
  cleanup(): Promise<void>
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-test-'))
  const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: TEST_SECRET, ...env })
  const context = await createServerContext(config, pino({ level: 'silent' }))
  return {
    context,
    async cleanup() {
      await context.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
