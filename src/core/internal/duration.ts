/** Durations: a number of seconds, or a string such as `90`, `15m`, `2h`, `14d`. */

/** A duration as accepted by every option: seconds, or a string with a unit. */
export type Duration = number | string

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  week: 604800,
  weeks: 604800,
}

const PATTERN = /^(\d+(?:\.\d+)?) ?([a-z]*)$/

/**
 * Converts a duration to whole seconds. A bare number, or a string without a unit, is seconds.
 *
 * @example
 * ```ts
 * import { toSeconds } from 'jwtguard/adapter'
 * toSeconds('15m', 'window') // 900
 * toSeconds(300, 'expiresIn') // 300
 * ```
 *
 * @throws {TypeError} naming the option and the accepted forms when the value is not a duration.
 */
export function toSeconds(value: Duration, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${option} must be a non-negative number of seconds, or a string like "15m"`)
    }
    return Math.floor(value)
  }
  const match = typeof value === 'string' ? PATTERN.exec(value.trim().toLowerCase()) : null
  const unit = match?.[2] === '' ? 1 : UNIT_SECONDS[match?.[2] ?? '']
  if (match === null || unit === undefined) {
    throw new TypeError(`${option} must be a number of seconds or a string like "90", "15m", "2h" or "14d"`)
  }
  return Math.floor(Number(match[1]) * unit)
}
