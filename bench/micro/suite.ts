/**
 * Runs the micro benchmark groups: every case is checked, calibrated and warmed up, then the
 * cases of a group are sampled round-robin (the starting case rotates each round), so each
 * round's samples saw the same machine load and ratios can be taken round by round.
 */
import { loadAverage } from '../lib/machine.js'
import { pairedRatio, type Summary, summarize } from '../lib/stats.js'
import { buildGroups } from './cases.js'
import { sinkSize, Timer } from './timing.js'

/** Timing parameters of the micro suite. */
export interface MicroOptions {
  rounds: number
  sampleMs: number
  warmupMs: number
  batchMs: number
  log: (line: string) => void
}

export interface MicroCaseResult {
  id: string
  label: string
  async: boolean
  batch: number
  /** Operations per wall-clock second: the figure reported. */
  opsPerSec: Summary
  /** Operations per CPU second of the process: a cross-check that other load moves less. */
  opsPerCpuSec: Summary
}

export interface RatioResult {
  numerator: string
  denominator: string
  /** Paired (round-by-round) ratio of ops per wall-clock second. */
  ratio: Summary
  /** Paired ratio of ops per CPU second: what the target verdict uses (see README). */
  cpuRatio: Summary
  target: number | undefined
}

export interface MicroGroupResult {
  id: string
  cases: MicroCaseResult[]
  ratios: RatioResult[]
  loadAverage: { before: [number, number, number]; after: [number, number, number] }
}

/** Quick and full parameters. */
export function microOptions(quick: boolean, log: (line: string) => void): MicroOptions {
  return quick
    ? { rounds: 3, sampleMs: 100, warmupMs: 150, batchMs: 5, log }
    : { rounds: 9, sampleMs: 300, warmupMs: 1000, batchMs: 5, log }
}

/** Runs every group; returns the results in group order. */
export async function runMicro(options: MicroOptions): Promise<MicroGroupResult[]> {
  const groups = await buildGroups()
  const results: MicroGroupResult[] = []
  for (const group of groups) {
    const before = loadAverage()
    const timers = new Map<string, Timer>()
    const batches = new Map<string, number>()
    for (const item of group.cases) {
      await item.check()
      const timer = new Timer(item.run, { async: item.async, batchMs: options.batchMs })
      await timer.calibrate()
      await timer.sample(options.warmupMs)
      // Calibrate again: optimised code is faster than what the first calibration saw.
      batches.set(item.id, await timer.calibrate())
      timers.set(item.id, timer)
    }
    const samples = new Map<string, number[]>(group.cases.map((item) => [item.id, []]))
    const cpuSamples = new Map<string, number[]>(group.cases.map((item) => [item.id, []]))
    for (let round = 0; round < options.rounds; round++) {
      for (let offset = 0; offset < group.cases.length; offset++) {
        const item = group.cases[(round + offset) % group.cases.length]
        if (item === undefined) continue
        const sample = await (timers.get(item.id) as Timer).sample(options.sampleMs)
        samples.get(item.id)?.push(sample.perSecond)
        cpuSamples.get(item.id)?.push(sample.perCpuSecond)
      }
    }
    const series = (id: string) => samples.get(id) ?? []
    const result: MicroGroupResult = {
      id: group.id,
      cases: group.cases.map((item) => ({
        id: item.id,
        label: item.label,
        async: item.async,
        batch: batches.get(item.id) ?? 0,
        opsPerSec: summarize(series(item.id)),
        opsPerCpuSec: summarize(cpuSamples.get(item.id) ?? []),
      })),
      ratios: group.ratios.map(([numerator, denominator, target]) => ({
        numerator,
        denominator,
        ratio: pairedRatio(series(numerator), series(denominator)),
        cpuRatio: pairedRatio(cpuSamples.get(numerator) ?? [], cpuSamples.get(denominator) ?? []),
        target,
      })),
      loadAverage: { before, after: loadAverage() },
    }
    results.push(result)
    const summary = result.cases
      .map((item) => `${item.id} ${Math.round(item.opsPerSec.median / 1000)}k`)
      .join(', ')
    options.log(`micro ${group.id}: ${summary}`)
  }
  sinkSize()
  return results
}
