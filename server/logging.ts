/**
 * The reference server's logger: nothing secret reaches the logs. Request lines carry the method,
 * the URL with token-bearing query parameters (and anything shaped like a JWT) redacted, and the
 * client's address; never a header, so `Authorization` and `Cookie` stay out. Objects that carry
 * headers anyway are redacted by path as a second line of defence.
 */
import pino, { type DestinationStream, type Logger } from 'pino'

/** Query parameters whose values are credentials, compared case-insensitively. */
export const SECRET_QUERY_PARAMETERS: readonly string[] = [
  'jwt',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'csrf_token',
  'password',
  'secret',
  'code',
]

const REDACTED = '[REDACTED]'
/** Three base64url segments starting like a JOSE header (`{"` is `ey`): a compact JWS or JWE. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g

/**
 * `url` (a path with its query, or a full URL) with the values of {@link SECRET_QUERY_PARAMETERS}
 * and every JWT-shaped string replaced by `[REDACTED]`. The rest of the query is kept as sent.
 */
export function redactUrl(url: string): string {
  const query = url.indexOf('?')
  let redacted = url
  if (query !== -1) {
    const pairs = url
      .slice(query + 1)
      .split('&')
      .map((pair) => {
        const equals = pair.indexOf('=')
        const rawName = equals === -1 ? pair : pair.slice(0, equals)
        let name = rawName
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '))
        } catch {}
        return SECRET_QUERY_PARAMETERS.includes(name.toLowerCase()) ? `${rawName}=${REDACTED}` : pair
      })
    redacted = `${url.slice(0, query)}?${pairs.join('&')}`
  }
  return redacted.replace(JWT_SHAPE, REDACTED)
}

/** What a request line says of a request: Fastify's request, or any object with these fields. */
interface LoggedRequest {
  method?: unknown
  url?: unknown
  ip?: unknown
  remoteAddress?: unknown
  socket?: { remoteAddress?: unknown } | undefined
}

function requestSerializer(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
    remoteAddress: request.ip ?? request.remoteAddress ?? request.socket?.remoteAddress,
  }
}

/** Header paths censored wherever a log object carries them. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
]

/**
 * The server's pino logger at `level`, writing to `destination` (stdout by default). Fastify takes
 * its `req` serializer from it (a `loggerInstance`'s serializers override Fastify's defaults).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    serializers: { req: requestSerializer, err: pino.stdSerializers.err },
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
