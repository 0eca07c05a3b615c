/**
 * argon2id on threads of its own, at a lower OS scheduling priority than the event loop. Each
 * check holds a core for 10–15 ms; in libuv's pool it competes with the event loop as an equal, so
 * under a login flood every other request waits for the scheduler. Here each thread lowers its own
 * priority (Linux applies `setpriority` to one thread), so the kernel runs the event loop first
 * whenever both want a core, and the checks take what is left.
 *
 * @module
 * @internal
 */
import { readlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** argon2id parameters, as @node-rs/argon2 takes them. */
export interface Argon2Parameters {
  algorithm: number
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** A task for a thread: hash a password, or verify one against a hash. */
type Task =
  | { op: 'hash'; password: string; parameters: Argon2Parameters }
  | { op: 'verify'; hash: string; password: string }

/**
 * Runs argon2id tasks, at most one per thread at a time. `verify` is `false` for a hash it cannot
 * read; a rejection means the thread failed, not the password.
 */
export interface Argon2Threads {
  hash(password: string, parameters: Argon2Parameters): Promise<string>
  verify(hash: string, password: string): Promise<boolean>
}

// The thread's program: CommonJS, evaluated; it loads @node-rs/argon2 from where this module does.
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads')
const { readlinkSync } = require('node:fs')
const { setPriority } = require('node:os')
const argon2 = require(workerData.argon2)
try {
  // /proc/thread-self is this thread: setpriority on its id lowers this thread alone.
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), workerData.nice)
} catch {}
parentPort.postMessage({ ready: true })
// A hash it cannot read is a wrong password, as password.ts's pooled verify answers it.
function verifyOrFalse(hash, password) {
  try {
    return argon2.verifySync(hash, password)
  } catch {
    return false
  }
}
parentPort.on('message', (task) => {
  try {
    if (task.op === 'hash') parentPort.postMessage({ value: argon2.hashSync(task.password, task.parameters) })
    else parentPort.postMessage({ value: verifyOrFalse(task.hash, task.password) })
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) })
  }
})
`

/** Whether this platform can lower one thread's priority (Linux's /proc/thread-self). */
export function threadPriorityAvailable(): boolean {
  try {
    readlinkSync('/proc/thread-self')
    return true
  } catch {
    return false
  }
}

type Reply = { value?: unknown; error?: string; ready?: true }

interface Slot {
  worker: Worker
  /** The thread is up, at its priority, and takes tasks. */
  ready: boolean
  settle: ((reply: Reply) => void) | undefined
}

/** One thread at priority `nice`; it leaves `slots` when it dies, failing its task if it had one. */
function spawnSlot(slots: Slot[], argon2: string, nice: number): Slot {
  // No execArgv: the program is plain CommonJS, whatever flags (--input-type, loaders) the app has.
  const worker = new Worker(PROGRAM, { eval: true, execArgv: [], workerData: { argon2, nice } })
  const slot: Slot = { worker, ready: false, settle: undefined }
  worker.unref()
  const fail = (message: string) => {
    const index = slots.indexOf(slot)
    if (index >= 0) slots.splice(index, 1)
    slot.settle?.({ error: message })
  }
  worker.on('message', (reply: Reply) => {
    if (reply.ready !== true) slot.settle?.(reply)
    else {
      slot.ready = true
      // Again: an unref before the thread is up does not hold once it is (Node 20).
      worker.unref()
    }
  })
  worker.on('error', (error) => fail(error.message))
  worker.on('exit', (code) => fail(`argon2 thread exited (${code})`))
  slots.push(slot)
  return slot
}

/** Sends `task` to `slot`'s thread; the thread keeps the process alive only while it works. */
function send(slot: Slot, task: Task): Promise<unknown> {
  return new Promise((resolve, reject) => {
    slot.worker.ref()
    slot.settle = (reply) => {
      slot.settle = undefined
      slot.worker.unref()
      if (reply.error === undefined) resolve(reply.value)
      else reject(new Error(`argon2 thread: ${reply.error}`))
    }
    slot.worker.postMessage(task)
  })
}

/**
 * `size` threads started on first use, each at OS priority `nice` (0 normal … 19 lowest), for at
 * most `size` tasks at once (the hasher's queue sees to it). A task that finds no thread ready (the
 * first ones, while the threads start; or a runtime without eval workers) runs on `fallback`,
 * libuv's pool, so a cold start does not wait for a thread. A thread that dies fails its task and
 * is replaced on the next one. Idle threads do not keep the process alive.
 */
export function createArgon2Threads(size: number, nice: number, fallback: Argon2Threads): Argon2Threads {
  const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2')
  const slots: Slot[] = []
  let unavailable = false
  const run = (task: Task): Promise<unknown> | undefined => {
    const slot = slots.find((candidate) => candidate.ready && candidate.settle === undefined)
    if (slot !== undefined) return send(slot, task)
    if (!unavailable && slots.length < size) {
      try {
        spawnSlot(slots, argon2, nice)
      } catch {
        unavailable = true
      }
    }
    return undefined
  }
  return {
    async hash(password, parameters) {
      const done = run({ op: 'hash', password, parameters })
      return done === undefined ? fallback.hash(password, parameters) : ((await done) as string)
    },
    async verify(hash, password) {
      const done = run({ op: 'verify', hash, password })
      return done === undefined ? fallback.verify(hash, password) : ((await done) as boolean)
    },
  }
}
