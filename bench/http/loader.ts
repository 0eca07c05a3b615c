/**
 * One bounded load run with autocannon's programmatic API, against loopback only. Usable in the
 * orchestrating process or, through loader-child.ts, in a process of its own.
 */
import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'
import { makePayload, makeToken } from '../lib/fixtures.js'

/** One load run. */
export interface LoadSpec {
  url: string
  headers: Record<string, string>
  durationS: number
  connections: number
  /**
   * Send a token never sent before on every request, as `authorization: <scheme> <token>`: no two
   * requests of a run (nor of two runs) carry the same token, so no cache can answer. The tokens
   * are signed before the run starts (enough for `durationS` at {@link FRESH_TOKENS_PER_SECOND}),
   * so that signing does not take the CPU from the server while it is measured; past the pool
   * the load generator signs each one just before its request (counted in the result).
   */
  freshTokens?: { scheme: string } | undefined
}

/** Pre-signed tokens per second of a fresh-token run: above the fastest rate seen on 2 cores. */
export const FRESH_TOKENS_PER_SECOND = 40_000

/** autocannon requests that each carry a token never sent before, and how many were signed late. */
interface FreshTokens {
  requests: autocannon.Request[]
  signedDuringRun: () => number
}

function freshTokenRequests(scheme: string, headers: Record<string, string>, count: number): FreshTokens {
  const payload = makePayload()
  const prefix = randomUUID()
  let counter = 0
  const headersWith = () => ({
    ...headers,
    authorization: `${scheme} ${makeToken('HS256', { ...payload, jti: `${prefix}-${counter++}` })}`,
  })
  const pool = Array.from({ length: count }, headersWith)
  let next = 0
  let late = 0
  return {
    requests: [
      {
        setupRequest: (request) => {
          const ready = pool[next]
          if (ready === undefined) {
            late += 1
            request.headers = headersWith()
          } else {
            pool[next++] = undefined as never
            request.headers = ready
          }
          return request
        },
      },
    ],
    signedDuringRun: () => late,
  }
}

/** What a load run measured. */
export interface LoadResult {
  /** Successful (2xx) responses per second over the whole run. */
  reqPerSec: number
  total: number
  non2xx: number
  errors: number
  timeouts: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** Fresh-token runs: tokens signed during the run because the pre-signed pool ran out. */
  freshSignedDuringRun?: number | undefined
}

/** Refuses any target but the loopback range. */
export function assertLoopback(url: string): void {
  const { hostname } = new URL(url)
  if (!/^127\.\d+\.\d+\.\d+$/.test(hostname) && hostname !== 'localhost' && hostname !== '[::1]') {
    throw new Error(`refusing to load ${hostname}: the HTTP benchmark targets loopback only`)
  }
}

function freshTokensFor(spec: LoadSpec): FreshTokens | undefined {
  if (spec.freshTokens === undefined) return undefined
  const count = Math.ceil(spec.durationS * FRESH_TOKENS_PER_SECOND)
  return freshTokenRequests(spec.freshTokens.scheme, spec.headers, count)
}

let prepared: FreshTokens | undefined

/**
 * Signs the fresh tokens of the next {@link runLoad} now, outside the window in which the caller
 * measures CPU time (a no-op for a run without fresh tokens).
 */
export function prepareLoad(spec: LoadSpec): void {
  prepared = freshTokensFor(spec)
}

/** Runs autocannon for `durationS` seconds and summarises the result. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.url)
  const fresh = spec.freshTokens === undefined ? undefined : (prepared ?? freshTokensFor(spec))
  prepared = undefined
  const result = await autocannon({
    url: spec.url,
    headers: spec.headers,
    ...(fresh === undefined ? {} : { requests: fresh.requests }),
    connections: spec.connections,
    pipelining: 1,
    duration: spec.durationS,
    timeout: 5,
  })
  const ok = result['2xx']
  return {
    reqPerSec: ok / result.duration,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ...(fresh === undefined ? {} : { freshSignedDuringRun: fresh.signedDuringRun() }),
  }
}
