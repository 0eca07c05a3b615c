/**
 * The `HTTP_*` variables of the reference server: timeouts in seconds for headers, whole requests,
 * idle keep-alive connections and silent connections, and a cap on concurrent connections. Read
 * here, with the rest of the environment (environment.ts); applied by server/http-limits.ts.
 *
 * @module
 * @internal
 */

/** The limits, in seconds (and a count of connections). */
export interface HttpLimits {
  /** Seconds to receive a request's headers. @default 10 */
  headersTimeout: number
  /** Seconds to receive a whole request, headers and body (16 KiB at most). @default 15 */
  requestTimeout: number
  /** Seconds an idle keep-alive connection stays open after a response. @default 5 */
  keepAliveTimeout: number
  /** Seconds a connection may stay silent in either direction (a client that does not read). @default 30 */
  idleTimeout: number
  /** Connections open at once; the next ones get a `503` and are closed. @default 4096 */
  maxConnections: number
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  headersTimeout: 10,
  requestTimeout: 15,
  keepAliveTimeout: 5,
  idleTimeout: 30,
  maxConnections: 4096,
})

/** The environment variable of each limit. */
export const HTTP_LIMIT_VARIABLES: Readonly<Record<keyof HttpLimits, string>> = Object.freeze({
  headersTimeout: 'HTTP_HEADERS_TIMEOUT',
  requestTimeout: 'HTTP_REQUEST_TIMEOUT',
  keepAliveTimeout: 'HTTP_KEEP_ALIVE_TIMEOUT',
  idleTimeout: 'HTTP_IDLE_TIMEOUT',
  maxConnections: 'HTTP_MAX_CONNECTIONS',
})

/** The limits, and the first invalid variable with its message (the limit then keeps its default). */
export function parseHttpLimits(env: Readonly<Record<string, string | undefined>>): {
  limits: HttpLimits
  problem?: { variable: string; message: string }
} {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS }
  let problem: { variable: string; message: string } | undefined
  for (const key of Object.keys(HTTP_LIMIT_VARIABLES) as (keyof HttpLimits)[]) {
    const name = HTTP_LIMIT_VARIABLES[key]
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = raw.trim() === '' ? Number.NaN : Number(raw)
    const valid =
      key === 'maxConnections' ? Number.isInteger(value) && value >= 1 : value > 0 && value <= 3600
    if (valid) {
      limits[key] = value
    } else {
      problem ??= {
        variable: name,
        message:
          key === 'maxConnections'
            ? `${name} must be a whole number of connections >= 1, such as ${DEFAULT_HTTP_LIMITS[key]}, got "${raw}"`
            : `${name} must be a number of seconds above 0 and at most 3600, such as ${DEFAULT_HTTP_LIMITS[key]}, got "${raw}"`,
      }
    }
  }
  if (problem === undefined && limits.headersTimeout > limits.requestTimeout) {
    problem = {
      variable: HTTP_LIMIT_VARIABLES.headersTimeout,
      message: `${HTTP_LIMIT_VARIABLES.headersTimeout} (${limits.headersTimeout}) must not exceed ${HTTP_LIMIT_VARIABLES.requestTimeout} (${limits.requestTimeout})`,
    }
  }
  return problem === undefined ? { limits } : { limits, problem }
}

/**
 * The limits from the environment (seconds; a whole number of connections), defaults for the
 * unset ones. Returns the message of the first invalid one instead of throwing, so the caller
 * raises its own configuration error.
 */
export function readHttpLimits(env: Readonly<Record<string, string | undefined>>): HttpLimits | string {
  const { limits, problem } = parseHttpLimits(env)
  return problem === undefined ? limits : problem.message
}
