/**
 * A verify (or sign) loop to profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=jwtguard-source --import tsx \
 *     bench/profile/verify-loop.ts [verify|guard|sign|floor] [seconds]
 * then `npx tsx bench/profile/summarize.ts /tmp/prof/<file>.cpuprofile`.
 */
import { createHmacKey, createJwtGuard, createVerifier, signToken } from 'jwtguard'
import { IDENTITY, makePayload, makeToken, SECRET } from '../lib/fixtures.js'
import { createFloorVerifier } from '../micro/floor.js'

const mode = process.argv[2] ?? 'verify'
const seconds = Number(process.argv[3] ?? 5)
const payload = makePayload()
const token = makeToken('HS256', payload)
const key = createHmacKey(SECRET)
const verify = createVerifier({ keys: [key] })
const guard = createJwtGuard({
  secret: SECRET,
  authenticate: () => null,
  identity: (claims) => ({ user_id: claims.identity }),
})
const floor = createFloorVerifier('HS256')

const operations: Record<string, () => unknown> = {
  verify: () => verify(token),
  guard: () => guard.verify(token),
  sign: () => signToken(payload, key),
  floor: () => floor(token),
}
const operation = operations[mode]
if (operation === undefined) throw new Error(`mode must be one of ${Object.keys(operations).join(', ')}`)
const check = mode === 'sign' ? verify(operation() as string) : operation()
if ((check as { identity?: unknown }).identity !== IDENTITY) throw new Error('wrong identity')

let last: unknown
let count = 0
const deadline = performance.now() + seconds * 1000
while (performance.now() < deadline) {
  for (let index = 0; index < 1000; index++) last = operation()
  count += 1000
}
console.log(`${mode}: ${Math.round(count / seconds)} ops/s (${typeof last})`)
