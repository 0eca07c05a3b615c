/**
 * An unknown user and a wrong password take the same time through `passwordAuthenticator`, with
 * the default (OWASP) argon2id parameters. Compared as a ratio of medians over interleaved logins,
 * never as an absolute time, and against a baseline without any hashing, so that the test fails
 * when the dummy verification for unknown users is removed (the last test shows it does).
 */
import {
  createPasswordHasher,
  type PasswordHasher,
  passwordAuthenticator,
  type UserStore,
} from 'jwtguard/users'
import { createSqliteUserStore } from 'jwtguard/users/sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

type Authenticate = (username: string, password: string) => Promise<unknown>

const ROUNDS = 25
const hasher = createPasswordHasher()
let store: UserStore

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

async function timed(authenticate: Authenticate, username: string, password: string): Promise<number> {
  const started = process.hrtime.bigint()
  const user = await authenticate(username, password)
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6
  if (user !== null) throw new Error('every login measured here must fail')
  return elapsed
}

interface Timing {
  wrongPassword: number
  unknownUser: number
  ratio: number
}

/** Medians of interleaved wrong-password and unknown-user logins, after a warm-up of each. */
async function measure(authenticate: Authenticate): Promise<Timing> {
  await timed(authenticate, 'masnun', 'warm-up')
  await timed(authenticate, 'nobody', 'warm-up')
  const wrongPassword: number[] = []
  const unknownUser: number[] = []
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate which goes first, so a slow moment of the machine falls on both sides.
    if (round % 2 === 0) {
      wrongPassword.push(await timed(authenticate, 'masnun', `wrong-${round}`))
      unknownUser.push(await timed(authenticate, `nobody-${round}`, `wrong-${round}`))
    } else {
      unknownUser.push(await timed(authenticate, `nobody-${round}`, `wrong-${round}`))
      wrongPassword.push(await timed(authenticate, 'masnun', `wrong-${round}`))
    }
  }
  const timing = { wrongPassword: median(wrongPassword), unknownUser: median(unknownUser) }
  return { ...timing, ratio: timing.unknownUser / timing.wrongPassword }
}

/** Everything `passwordAuthenticator` does except hashing: the store lookup and the code around it. */
const noHashing: PasswordHasher = {
  hash: async (password) => password,
  verify: async () => false,
  verifyDummy: async () => undefined,
}

let baseline: number

beforeAll(async () => {
  store = createSqliteUserStore({ database: ':memory:' })
  await store.create({ id: 123, username: 'masnun', passwordHash: await hasher.hash('abc123') })
  const plain = await measure(passwordAuthenticator(store, noHashing))
  baseline = Math.max(plain.wrongPassword, plain.unknownUser)
})

afterAll(async () => {
  await store.close()
})

/** The property under test: equal within [0.67, 1.5], and both dominated by the hash. */
function equalAndHashed(timing: Timing): boolean {
  return (
    timing.ratio >= 0.67 &&
    timing.ratio <= 1.5 &&
    timing.wrongPassword > 10 * baseline &&
    timing.unknownUser > 10 * baseline
  )
}

describe('login timing through passwordAuthenticator (default argon2id parameters)', () => {
  it('takes the same time for an unknown user as for a wrong password', async () => {
    const timing = await measure(passwordAuthenticator(store, hasher))
    console.info(
      `timing: wrong password ${timing.wrongPassword.toFixed(1)} ms, unknown user ${timing.unknownUser.toFixed(1)} ms, ratio ${timing.ratio.toFixed(2)}, no-hash baseline ${baseline.toFixed(3)} ms`,
    )
    expect(timing.ratio).toBeGreaterThanOrEqual(0.67)
    expect(timing.ratio).toBeLessThanOrEqual(1.5)
    expect(timing.wrongPassword).toBeGreaterThan(10 * baseline)
    expect(timing.unknownUser).toBeGreaterThan(10 * baseline)
    expect(equalAndHashed(timing)).toBe(true)
  })

  it('would catch an authenticator that skips the dummy verification', async () => {
    // The shape passwordAuthenticator had before the dummy hash: return at once for unknown users.
    const leaky: Authenticate = async (username, password) => {
      const user = await store.findByUsername(username)
      if (user === null) return null
      return (await hasher.verify(user.passwordHash, password)) ? user : null
    }
    const timing = await measure(leaky)
    expect(timing.ratio).toBeLessThan(0.67)
    expect(equalAndHashed(timing)).toBe(false)
  })
})
