/**
 * The timing loop. Each case gets its own compiled loop (so the call site stays monomorphic and
 * V8 can inline the case into it, the same for every case), a calibrated batch size (so the clock
 * is read every few milliseconds, not per operation), a warm-up, and samples of fixed duration.
 * The last result of every batch is stored in a module-level sink, so no work can be dead-coded.
 */
import { cpuUsage, hrtime } from 'node:process'

/** One timed sample. */
export interface Sample {
  /** Operations per wall-clock second. */
  perSecond: number
  /** Operations per CPU second used by this process. */
  perCpuSecond: number
}

/** A benchmarked operation: synchronous, or returning a promise (then each call is awaited). */
export type Operation = () => unknown

type SyncLoop = (fn: Operation, iterations: number) => unknown
type AsyncLoop = (fn: Operation, iterations: number) => Promise<unknown>

// Results end up here; `sinkSize()` reads it so the engine must assume it is observed.
let sink: unknown
let sinkReads = 0

/** Touches the sink; called once at the end of a run so the stores above are observable. */
export function sinkSize(): number {
  sinkReads++
  return typeof sink === 'string' ? sink.length : sink === undefined ? 0 : sinkReads
}

// A fresh function per case: closures made by one factory would share one feedback vector, and
// the call `fn()` would turn megamorphic after the third case, slowing every later case alike.
function compileSyncLoop(): SyncLoop {
  return new Function('fn', 'n', 'let r; for (let i = 0; i < n; i++) r = fn(); return r') as SyncLoop
}

function compileAsyncLoop(): AsyncLoop {
  return new Function(
    'fn',
    'n',
    'return (async () => { let r; for (let i = 0; i < n; i++) r = await fn(); return r })()',
  ) as AsyncLoop
}

/** Options of a {@link Timer}. */
export interface TimerOptions {
  /** Whether the operation returns a promise. */
  async: boolean
  /** Batch duration the calibration aims at, in milliseconds (the clock is read once per batch). */
  batchMs: number
}

/** Runs one operation in calibrated batches and measures operations per second. */
export class Timer {
  readonly #fn: Operation
  readonly #async: boolean
  readonly #syncLoop: SyncLoop
  readonly #asyncLoop: AsyncLoop
  readonly #batchNs: bigint
  #batch = 1

  constructor(fn: Operation, options: TimerOptions) {
    this.#fn = fn
    this.#async = options.async
    this.#syncLoop = compileSyncLoop()
    this.#asyncLoop = compileAsyncLoop()
    this.#batchNs = BigInt(Math.round(options.batchMs * 1e6))
  }

  async #runBatch(iterations: number): Promise<void> {
    sink = this.#async ? await this.#asyncLoop(this.#fn, iterations) : this.#syncLoop(this.#fn, iterations)
  }

  /** Doubles the batch size until one batch takes at least the target duration. */
  async calibrate(): Promise<number> {
    let iterations = 1
    for (;;) {
      const start = hrtime.bigint()
      await this.#runBatch(iterations)
      const elapsed = hrtime.bigint() - start
      if (elapsed >= this.#batchNs || iterations >= 1 << 24) break
      // Jump close to the target once a batch is long enough to be measured at all.
      const scale = elapsed > 50_000n ? Number(this.#batchNs) / Number(elapsed) : 2
      iterations = Math.max(iterations * 2, Math.ceil(iterations * Math.min(scale * 1.1, 16)))
    }
    this.#batch = iterations
    return iterations
  }

  /**
   * Runs whole batches for at least `durationMs`; returns operations per wall-clock second and
   * per CPU second of this process (the latter moves less when other processes take the CPU).
   */
  async sample(durationMs: number): Promise<Sample> {
    const budget = BigInt(Math.round(durationMs * 1e6))
    let operations = 0
    const cpuStart = cpuUsage()
    const start = hrtime.bigint()
    let elapsed = 0n
    do {
      await this.#runBatch(this.#batch)
      operations += this.#batch
      elapsed = hrtime.bigint() - start
    } while (elapsed < budget)
    const cpu = cpuUsage(cpuStart)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    return { perSecond: (operations * 1e9) / Number(elapsed), perCpuSecond: operations / cpuSeconds }
  }
}
