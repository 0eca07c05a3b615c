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
   * Sign a new token for every request and send it as `authorization: <scheme> <token>`: no two
   * requests of a run (nor of two runs) carry the same token, so no cache can answer. The signing
   * happens in the load generator, before the request leaves.
   */
  freshTokens?: { scheme: string } | undefined
}

/**
 * autocannon requests that each carry a token never sent before: the same claims, a new `jti`
 * each, signed just before the request is written.
 */
function freshTokenRequests(scheme: string): autocannon.Request[] {
  const payload = makePayload()
  const prefix = randomUUID()
  let counter = 0
  return [
    {
      setupRequest: (request) => {
        const token = makeToken('HS256', { ...payload, jti: `${prefix}-${counter++}` })
        request.headers = { ...request.headers, authorization: `${scheme} ${token}` }
        return request
      },
    },
  ]
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
}

/** Refuses any target but the loopback range. */
export function assertLoopback(url: string): void {
  const { hostname } = new URL(url)
  if (!/^127\.\d+\.\d+\.\d+$/.test(hostname) && hostname !== 'localhost' && hostname !== '[::1]') {
    throw new Error(`refusing to load ${hostname}: the HTTP benchmark targets loopback only`)
  }
}

/** Runs autocannon for `durationS` seconds and summarises the result. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  assertLoopback(spec.url)
  const result = await autocannon({
    url: spec.url,
    headers: spec.headers,
    ...(spec.freshTokens === undefined ? {} : { requests: freshTokenRequests(spec.freshTokens.scheme) }),
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
  }
}
