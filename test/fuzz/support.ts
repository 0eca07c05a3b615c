/**
 * Fuzzing budget and bookkeeping. `FUZZ_RUNS` is the number of cases per property (default 2000,
 * what `npm test` runs); `npm run fuzz` sets it to 10^6. `FUZZ_SEED` replays a run. Each file
 * prints how many cases it ran and how long they took.
 */
import { createHmac } from 'node:crypto'
import type fc from 'fast-check'
import { afterAll } from 'vitest'

const parsed = Number(process.env.FUZZ_RUNS ?? 2000)
/** Cases per property (weight 1). */
export const FUZZ_RUNS = Number.isInteger(parsed) && parsed > 0 ? parsed : 2000
const seedText = process.env.FUZZ_SEED
export const FUZZ_SEED = seedText === undefined ? undefined : Number(seedText)

/** The fast-check parameters of a property weighted `weight` (a share of FUZZ_RUNS). */
export function params(weight = 1): fc.Parameters<unknown> {
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS * weight))
  return { numRuns, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }), endOnFailure: true }
}

/** A test timeout that grows with the budget: 20 s, or 1 ms per case when that is more. */
export function timeout(weight = 1): number {
  return Math.max(20_000, Math.round(FUZZ_RUNS * weight))
}

let cases = 0
let accepted = 0
const started = performance.now()
/** Counts one executed case (call it inside the property). */
export function count(): void {
  cases += 1
}
/** Counts one case whose input was accepted (to show the generators reach the success path). */
export function countAccepted(): void {
  accepted += 1
}

/** Prints this file's total once its tests are done. */
export function reportTotals(file: string): void {
  afterAll(() => {
    const seconds = (performance.now() - started) / 1000
    console.log(
      `fuzz ${file}: ${cases} cases (${accepted} accepted) in ${seconds.toFixed(1)} s (FUZZ_RUNS=${FUZZ_RUNS})`,
    )
  })
}

export const NOW = 1_700_000_000
export const SECRET = 'fuzz-secret-with-at-least-32-bytes-of-entropy'

/** base64url of text or bytes. */
export function b64(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url')
}

/** HS256 over `header.payload` given as raw texts (or bytes), by node:crypto alone. */
export function hs256(header: string | Uint8Array, payload: string | Uint8Array, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}
