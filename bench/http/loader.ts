/**
 * One bounded load run with autocannon's programmatic API, against loopback only. Usable in the
 * orchestrating process or, through loader-child.ts, in a process of its own.
 */
import autocannon from 'autocannon'

/** One load run. */
export interface LoadSpec {
  url: string
  headers: Record<string, string>
  durationS: number
  connections: number
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
