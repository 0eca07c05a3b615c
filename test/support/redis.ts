/** Test hygiene for the shared Redis: every test prefix is deleted after its suite. */
import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'

export const REDIS_URL = 'redis://127.0.0.1:6379'

/** A fresh key prefix for one suite. */
export function testPrefix(): string {
  return `jwtguard-test:${randomUUID()}:`
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL })
  await client.connect()
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    await client.quit()
  }
}

/**
 * Returns a prefix factory for one test file: each prefix it hands out is deleted after the file's
 * tests (registers a vitest `afterAll`).
 */
export function trackRedisPrefixes(register: (hook: () => Promise<void>) => void): () => string {
  const used: string[] = []
  register(async () => {
    for (const prefix of used) await deleteRedisPrefix(prefix)
  })
  return () => {
    const prefix = testPrefix()
    used.push(prefix)
    return prefix
  }
}
