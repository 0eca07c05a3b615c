/** CPU time of a process, from /proc (Linux), to see which side of a load test is saturated. */
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** User + system CPU seconds used so far by process `pid`, or NaN where /proc is unavailable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/** Measures the CPU share (1.0 = one full core) that processes use while `work` runs. */
export async function withCpuShare<T>(
  pids: readonly number[],
  work: () => Promise<T>,
): Promise<{ result: T; shares: number[]; cpuSeconds: number[]; seconds: number }> {
  const before = pids.map(cpuSeconds)
  const start = process.hrtime.bigint()
  const result = await work()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = pids.map((pid, index) => cpuSeconds(pid) - (before[index] as number))
  return { result, shares: used.map((value) => value / seconds), cpuSeconds: used, seconds }
}
