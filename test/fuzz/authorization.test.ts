/**
 * Property (c): the Authorization header parser never throws anything but its two coded errors,
 * never returns a token holding whitespace, and runs in linear time on long whitespace runs
 * (no ReDoS). Followed by verification, the whole extraction path only ever throws coded errors.
 */
import fc from 'fast-check'
import { createHmacKey, createVerifier, isJwtGuardError } from 'jwtguard'
import { tokenFromAuthorization } from 'jwtguard/adapter'
import { describe, expect, it } from 'vitest'
import { count, countAccepted, NOW, params, reportTotals, SECRET, timeout } from './support.js'

reportTotals('authorization')

const verify = createVerifier({ keys: [createHmacKey(SECRET)], now: () => NOW })
const ALLOWED = new Set(['ERR_AUTH_SCHEME_UNSUPPORTED', 'ERR_AUTH_HEADER_MALFORMED'])
const WHITESPACE = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\f',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2028',
  '\u3000',
  '\ufeff',
]

function check(header: string, prefix = 'JWT'): boolean {
  count()
  let token: string | undefined
  try {
    token = tokenFromAuthorization(header, prefix)
  } catch (error) {
    if (isJwtGuardError(error) && ALLOWED.has(error.code)) return true
    throw error
  }
  if (token === undefined) return header.trim() === ''
  if (token === '' || /\s/.test(token)) throw new Error(`extracted ${JSON.stringify(token)}`)
  countAccepted()
  try {
    verify(token)
  } catch (error) {
    if (!isJwtGuardError(error)) throw error
  }
  return true
}

const headerText = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.string({
    maxLength: 300,
    unit: fc.constantFrom(...WHITESPACE, 'J', 'W', 'T', 'j', 'w', 't', 'x', '.', '%', ','),
  }),
  fc
    .tuple(
      fc.constantFrom('JWT', 'jwt', 'Jwt', 'Bearer', 'JWTX', ''),
      fc.string({ maxLength: 5, unit: fc.constantFrom(...WHITESPACE) }),
      fc.string({ maxLength: 80, unit: 'binary' }),
      fc.string({ maxLength: 5, unit: fc.constantFrom(...WHITESPACE) }),
    )
    .map((parts) => parts.join('')),
)

/** The parser's general path alone (trim, split on whitespace): what the fast path must equal. */
function referenceParse(header: string, prefix: string): string | { code: string } | undefined {
  const parts = header.trim().split(/\s+/)
  const scheme = parts[0]
  if (scheme === undefined || scheme === '') return undefined
  if (scheme.toLowerCase() !== prefix.toLowerCase()) return { code: 'ERR_AUTH_SCHEME_UNSUPPORTED' }
  if (parts.length !== 2) return { code: 'ERR_AUTH_HEADER_MALFORMED' }
  return parts[1]
}

function parse(header: string, prefix: string): string | { code: string } | undefined {
  count()
  try {
    return tokenFromAuthorization(header, prefix)
  } catch (error) {
    if (isJwtGuardError(error)) return { code: error.code }
    throw error
  }
}

describe('property (c): the Authorization header parser', () => {
  it(
    'answers every header exactly as the general trim-and-split path does (the one-space fast path included)',
    () => {
      const prefix = fc.constantFrom('JWT', 'jwt', 'Bearer', 'x', 'J', 'JWT x', ' JWT', '')
      const header = fc.oneof(
        headerText,
        fc
          .tuple(prefix, fc.constantFrom(' ', '  ', '\t', ''), fc.string({ maxLength: 60 }))
          .map((parts) => parts.join('')),
      )
      fc.assert(
        fc.property(header, prefix, (value, p) => {
          expect(parse(value, p)).toEqual(referenceParse(value, p))
        }),
        params(0.2),
      )
    },
    timeout(0.2),
  )

  it(
    'throws only its coded errors and never returns whitespace',
    () => {
      fc.assert(
        fc.property(headerText, (header) => check(header)),
        params(0.5),
      )
    },
    timeout(0.5),
  )

  it(
    'whatever the configured prefix',
    () => {
      const prefix = fc.constantFrom('JWT', 'Bearer', 'Token', 'x')
      fc.assert(
        fc.property(headerText, prefix, (header, p) => check(header, p)),
        params(0.1),
      )
    },
    timeout(0.1),
  )

  it(
    'long whitespace runs (up to 200 000 characters) parse in under 200 ms each',
    () => {
      const run = fc.tuple(
        fc.constantFrom(...WHITESPACE),
        fc.integer({ min: 1000, max: 200_000 }),
        fc.constantFrom('', 'x', 'x.y.z', '\n', 'a b'),
        fc.constantFrom('JWT', '', 'JWT x'),
      )
      fc.assert(
        fc.property(run, ([space, length, tail, head]) => {
          const header = `${head}${space.repeat(length)}${tail}`
          const started = performance.now()
          check(header)
          return performance.now() - started < 200
        }),
        params(0.0005),
      )
    },
    timeout(0.01),
  )

  it('time grows linearly: ten times the whitespace costs far less than a hundred times the time', () => {
    // The fastest of several runs, so that a GC pause under load does not count; a quadratic
    // parser would take about 100 times longer on ten times the input.
    const fastest = (length: number) => {
      const header = `JWT${' '.repeat(length)}x y`
      let best = Number.POSITIVE_INFINITY
      for (let i = 0; i < 7; i++) {
        const started = performance.now()
        check(header)
        best = Math.min(best, performance.now() - started)
      }
      return best
    }
    fastest(10_000)
    const small = Math.max(fastest(200_000), 0.2)
    const large = fastest(2_000_000)
    expect(large / small).toBeLessThan(40)
  })
})
