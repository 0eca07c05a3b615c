/**
 * The demo user's bootstrap when several instances start at once on a fresh PostgreSQL (issue 22,
 * item 8): every instance starts, and the user exists once.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.js'
import { createServerContext, DEMO_USER, type ServerContext } from '../../server/context.js'
import { TEST_SECRET } from '../support/server.js'
import { type PrivatePostgres, startPrivatePostgres } from '../support/services.js'

let postgres: PrivatePostgres
const dirs: string[] = []
beforeAll(async () => {
  postgres = await startPrivatePostgres()
}, 30_000)
afterAll(async () => {
  await postgres?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

it('three instances starting at once on a fresh database all start, with one demo user', async () => {
  const start = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jwtguard-boot-'))
    dirs.push(dataDir)
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET_KEY: TEST_SECRET, DATABASE_URL: postgres.url })
    return createServerContext(config, pino({ level: 'silent' }))
  }
  const results = await Promise.allSettled([start(), start(), start()])
  const contexts = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  try {
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    const users = await (contexts[0] as ServerContext).users.list()
    expect(users.filter((user) => user.username === DEMO_USER.username)).toHaveLength(1)
  } finally {
    for (const context of contexts) await context.close()
  }
}, 30_000)
