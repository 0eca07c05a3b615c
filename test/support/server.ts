/**
 * Reference-server fixtures: a fresh data directory, a known secret and the seed's user, and one
 * HTTP client per framework, in-process or over a real socket.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { type Framework, loadConfig } from '../../server/config.js'
import { createServerContext, type ServerContext } from '../../server/context.js'

export const TEST_SECRET = 'test-secret-with-at-least-32-bytes-of-entropy'

export interface TestResponse {
  status: number
  headers: Record<string, string>
  text: string
  json(): unknown
}

export interface RequestInit {
  headers?: Record<string, string>
  body?: string | Uint8Array
}

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

export function toTestResponse(status: number, headers: Record<string, string>, text: string): TestResponse {
  return {
    status,
    headers,
    text,
    json: () => JSON.parse(text),
  }
}

/** Sends a request over a real socket with fetch. */
export async function socketRequest(
  baseUrl: string,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<TestResponse> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return toTestResponse(response.status, headers, await response.text())
}
