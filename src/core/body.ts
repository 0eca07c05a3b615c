/**
 * JSON request bodies for the auth routes: media type, size, encoding and shape are all checked
 * here, so every adapter answers bad input identically.
 *
 * @module
 */
import { JwtGuardError } from './errors.js'
import type { HeaderSource } from './extract.js'
import { bodyTooLargeMessage, failure } from './failures.js'

/** A request body as an adapter read it: raw bytes or text, with its `Content-Type`. */
export interface RawBody {
  contentType: string | undefined
  /** The raw body; `undefined` or empty when the request had none. */
  body: string | Uint8Array | undefined
}

/** What an adapter passes to an auth route: the raw body, the headers and the socket's address. */
export interface AuthRequest extends RawBody {
  /** The request headers (for the access token on `/auth/revoke`, proxies, cookies). */
  headers?: HeaderSource | undefined
  /** The peer address of the socket. */
  remoteAddress?: string | undefined
  /**
   * The request URL, when the adapter has it absolute (a Web `Request`): the URI a DPoP proof
   * names. Without it, the route's path and the `Host` header are used.
   */
  url?: string | undefined
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * True for `application/json` and `application/<anything>+json`, as Flask's `is_json`.
 *
 * @example
 * ```ts
 * import { isJsonMediaType } from 'jwtguard/adapter'
 * isJsonMediaType('application/json; charset=utf-8') // true
 * isJsonMediaType('application/problem+json') // true
 * isJsonMediaType('text/plain') // false
 * ```
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const [essence = '', ...parameters] = contentType.split(';')
  const type = essence.trim().toLowerCase()
  if (type !== 'application/json' && !(type.startsWith('application/') && type.endsWith('+json'))) {
    return false
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=')
    if (name.trim().toLowerCase() === 'charset') {
      const charset = value.trim().replace(/^"|"$/g, '').toLowerCase()
      if (charset !== 'utf-8' && charset !== 'utf8') return false
    }
  }
  return true
}

/**
 * Parses a JSON object body.
 *
 * @example
 * ```ts
 * import { parseJsonObjectBody } from 'jwtguard/adapter'
 * const body = parseJsonObjectBody({ contentType: 'application/json', body: '{"username":"masnun"}' }, 16384)
 * body.username // 'masnun'
 * ```
 *
 * @throws {JwtGuardError} `ERR_MEDIA_TYPE_UNSUPPORTED`, `ERR_BODY_TOO_LARGE` or `ERR_BODY_MALFORMED`.
 */
export function parseJsonObjectBody(raw: RawBody, limit: number): Record<string, unknown> {
  if (!isJsonMediaType(raw.contentType)) {
    throw failure('mediaType')
  }
  const size =
    raw.body === undefined
      ? 0
      : typeof raw.body === 'string'
        ? Buffer.byteLength(raw.body)
        : raw.body.byteLength
  if (size > limit) throw bodyTooLarge(limit)
  let text: string
  try {
    text = raw.body === undefined ? '' : typeof raw.body === 'string' ? raw.body : utf8.decode(raw.body)
  } catch (error) {
    throw failure('bodyNotUtf8', { cause: error })
  }
  if (text.trim() === '') throw failure('bodyEmpty')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw failure('bodyNotJson', { cause: error })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw failure('bodyNotObject')
  }
  return value as Record<string, unknown>
}

/**
 * The error for a body over `limit` bytes; adapters that stop reading early throw the same.
 *
 * @example
 * ```ts
 * import { bodyTooLarge } from 'jwtguard/adapter'
 * const error = bodyTooLarge(16384) // code 'ERR_BODY_TOO_LARGE': a 413 once rendered
 * ```
 */
export function bodyTooLarge(limit: number): JwtGuardError {
  return new JwtGuardError('ERR_BODY_TOO_LARGE', bodyTooLargeMessage(limit))
}
