/**
 * Issue 21 item 5: argon2id runs on threads of its own at a low OS priority, so the kernel serves
 * the event loop first while logins pour in. Read back from the kernel: /proc/self/task/<tid>/stat.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createPasswordHasher } from 'jwtguard/users'
import { describe, expect, it } from 'vitest'

const linux = process.platform === 'linux'
const CHEAP = { memoryCost: 1024, timeCost: 1 }

interface ThreadStat {
  nice: number
  /** User plus system CPU time, in clock ticks. */
  cpu: number
}

/** Each thread of this process: its `nice` and CPU time (fields 19, 14 and 15 of its stat). */
function threads(): ThreadStat[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // Fields from the third on, after the command name's parentheses.
      const fields = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number)
      return [{ nice: fields[16] ?? Number.NaN, cpu: (fields[11] ?? 0) + (fields[12] ?? 0) }]
    } catch {
      return [] // the thread ended between the listing and the read
    }
  })
}
const at = (nice: number) => threads().filter((thread) => thread.nice === nice)
const cpuAt = (nice: number) => at(nice).reduce((sum, thread) => sum + thread.cpu, 0)

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) throw new Error('the argon2 threads did not start')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.runIf(linux)('argon2id threads', () => {
  it('starts maxConcurrency threads at the chosen priority on first use, and checks run on them', async () => {
    const before = at(17).length
    const hasher = createPasswordHasher({ ...CHEAP, maxConcurrency: 2, threadPriority: 17 })
    expect(at(17).length).toBe(before)
    // The first checks run in libuv's pool while the threads start, then on the threads.
    const stored = await Promise.all([hasher.hash('abc123'), hasher.hash('def456')])
    await until(() => at(17).length === before + 2)
    const heavy = createPasswordHasher({
      memoryCost: 65536,
      timeCost: 3,
      maxConcurrency: 1,
      threadPriority: 16,
    })
    await heavy.hash('warm')
    await until(() => at(16).length === 1)
    const cpu = cpuAt(16)
    await heavy.hash('abc123')
    expect(cpuAt(16)).toBeGreaterThan(cpu) // the hash ran on the niced thread
    expect(await hasher.verify(stored[0] ?? '', 'abc123')).toBe(true)
    expect(await hasher.verify(stored[1] ?? '', 'abc123')).toBe(false)
    expect(await hasher.verify('not a hash', 'abc123')).toBe(false)
    expect(at(17).length).toBe(before + 2)
  })

  it('lowers to 19 by default, and leaves the priority alone with threadPriority false', async () => {
    const before = at(19).length
    const low = createPasswordHasher({ ...CHEAP, maxConcurrency: 1 })
    await low.verify(await low.hash('abc123'), 'abc123')
    await until(() => at(19).length === before + 1)
    const pooled = createPasswordHasher({ ...CHEAP, maxConcurrency: 1, threadPriority: false })
    expect(await pooled.verify(await pooled.hash('abc123'), 'abc123')).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(at(19).length).toBe(before + 1)
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
