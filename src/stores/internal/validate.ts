/**
 * Argument and option checks shared by the stores (internal).
 *
 * @module
 */
import type { RefreshRecord } from '../types.js'

/** Rejects an empty or non-string id: a programming error, reported as a `TypeError`. */
export function checkId(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`)
  return value
}

/** Checks a time in seconds since the epoch. */
export function checkTime(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number of seconds since the epoch`)
  }
  return value
}

/** A reuse interval in seconds: finite and not negative (default 0). */
export function checkInterval(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError('reuseInterval must be a finite number of seconds, 0 or more')
  }
  return value
}

/** An expiry time, checked and rounded up to a whole second (what Redis `EXAT` takes). */
export function checkExpiry(value: unknown, name: string): number {
  return Math.ceil(checkTime(value, name))
}

/** Validates an optional interval in seconds; `0` means "never". */
export function intervalOption(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${option} must be a number of seconds >= 0 (0 turns it off)`)
  }
  return value
}

/** Validates the optional clock. */
export function clockOption(value: unknown): () => number {
  if (value === undefined) return () => Date.now() / 1000
  if (typeof value !== 'function') throw new TypeError('now must be a function returning seconds')
  return value as () => number
}

/** Runs `task` every `seconds` on a timer that never keeps the process alive; returns a stopper. */
export function every(seconds: number, task: () => void): () => void {
  if (seconds === 0) return () => {}
  const timer: unknown = setInterval(task, Math.max(1, Math.round(seconds * 1000)))
  // Node and Bun return a Timeout to unref; workerd, Deno and browsers a number, which keeps nothing alive.
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer as ReturnType<typeof setInterval>)
}

/** The longest `userAgent` and `clientAddress` a record keeps. */
export const MAX_SESSION_TEXT = 256

/** An optional session text: a string of at most {@link MAX_SESSION_TEXT} characters. */
function sessionText(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > MAX_SESSION_TEXT) {
    throw new TypeError(`${name} must be a string of at most ${MAX_SESSION_TEXT} characters`)
  }
  return value
}

/**
 * Copies and checks a record, so later changes to the caller's object cannot alter the store.
 * The optional session fields are copied only when present: a store returns a record as saved.
 */
export function checkRecord(record: RefreshRecord): RefreshRecord {
  if (typeof record !== 'object' || record === null) throw new TypeError('record must be an object')
  const checked: RefreshRecord = {
    id: checkId(record.id, 'record.id'),
    familyId: checkId(record.familyId, 'record.familyId'),
    identity: checkId(record.identity, 'record.identity'),
    issuedAt: checkTime(record.issuedAt, 'record.issuedAt'),
    expiresAt: checkExpiry(record.expiresAt, 'record.expiresAt'),
  }
  if (record.createdAt !== undefined) checked.createdAt = checkTime(record.createdAt, 'record.createdAt')
  const userAgent = sessionText(record.userAgent, 'record.userAgent')
  if (userAgent !== undefined) checked.userAgent = userAgent
  const clientAddress = sessionText(record.clientAddress, 'record.clientAddress')
  if (clientAddress !== undefined) checked.clientAddress = clientAddress
  return checked
}
