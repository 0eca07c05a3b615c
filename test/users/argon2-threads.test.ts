/**
 * Issue 21 item 5: argon2id runs on threads of its own at a low OS priority, so the kernel serves
 * the event loop first while logins pour in. Read back from the kernel: /proc/self/task/<tid>/stat.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createPasswordHasher } from 'jwtguard/users'
import { describe, expect, it } from 'vitest'

const linux = process.platform === 'linux'
const CHEAP = { memoryCost: 1024, timeCost: 1 }

/** The `nice` of each thread of this process (field 19 of its stat, after the command's parens). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]
    } catch {
      return [] // the thread ended between the listing and the read
    }
  })
}
const countAt = (nice: number) => threadNices().filter((value) => value === nice).length

describe.runIf(linux)('argon2id threads', () => {
  it('runs checks on maxConcurrency threads at the chosen priority, started on first use', async () => {
    const before = countAt(17)
    const hasher = createPasswordHasher({ ...CHEAP, maxConcurrency: 2, threadPriority: 17 })
    expect(countAt(17)).toBe(before)
    const stored = await Promise.all([hasher.hash('abc123'), hasher.hash('def456')])
    expect(countAt(17)).toBe(before + 2)
    expect(await hasher.verify(stored[0] ?? '', 'abc123')).toBe(true)
    expect(await hasher.verify(stored[1] ?? '', 'abc123')).toBe(false)
    expect(await hasher.verify('not a hash', 'abc123')).toBe(false)
    expect(countAt(17)).toBe(before + 2)
  })

  it('lowers to 19 by default, and leaves the priority alone with threadPriority false', async () => {
    const before = countAt(19)
    const low = createPasswordHasher({ ...CHEAP, maxConcurrency: 1 })
    await low.verify(await low.hash('abc123'), 'abc123')
    expect(countAt(19)).toBe(before + 1)
    const pooled = createPasswordHasher({ ...CHEAP, maxConcurrency: 1, threadPriority: false })
    expect(await pooled.verify(await pooled.hash('abc123'), 'abc123')).toBe(true)
    expect(countAt(19)).toBe(before + 1)
  })

  it('does not keep the process alive once the checks are done', async () => {
    const { spawnSync } = await import('node:child_process')
    const script = `import('jwtguard/users').then(async ({ createPasswordHasher }) => {
      const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1 })
      console.log(await hasher.verify(await hasher.hash('abc123'), 'abc123'))
    })`
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(child.stdout.trim()).toBe('true')
    expect(child.status).toBe(0)
  })
})

describe('threadPriority', () => {
  it.each([-1, 20, 1.5, Number.NaN])('refuses %s at construction', (threadPriority) => {
    expect(() => createPasswordHasher({ threadPriority })).toThrow(/threadPriority/)
  })
})
