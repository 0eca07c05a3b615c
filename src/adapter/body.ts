/**
 * Reading an auth route's request body within the guard's `bodyLimit`: one implementation, for a
 * Node stream (any async iterable of chunks) and for a Web `Request`. Web APIs only.
 *
 * @module
 */
import { bodyTooLarge } from '../core/body.js'
import { isJwtGuardError, JwtGuardError } from '../core/errors.js'
import type { AuthRoute } from '../core/guard.js'
import type { HttpResponse } from '../core/http.js'
import { assertIdentityEncoding } from '../core/routes.js'

const encoder = new TextEncoder()

/**
 * Reads at most `limit` bytes of a body: refused unread when its `Content-Length` says more,
 * midway when the stream runs past it. `undefined` for an empty body.
 *
 * @param chunks - the body: a Node `Readable` (`IncomingMessage`), or any (async) iterable of
 *   byte or string chunks.
 * @param limit - the guard's `options.bodyLimit`.
 * @param contentLength - the request's `Content-Length` header, if any.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import { readBody } from 'jwtguard/adapter'
 * async function loginBody(req: IncomingMessage) {
 *   return readBody(req, guard.options.bodyLimit, req.headers['content-length'])
 * }
 * ```
 *
 * @throws {JwtGuardError} `ERR_BODY_TOO_LARGE` (a 413 once rendered) past `limit`;
 *   `ERR_BODY_MALFORMED` (400) when the stream fails before its end (the client went away).
 */
export async function readBody(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  limit: number,
  contentLength?: string | null | undefined,
): Promise<Uint8Array | undefined> {
  if (Number(contentLength) > limit) throw bodyTooLarge(limit)
  const parts: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of keptOpen(chunks)) {
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk
      size += bytes.byteLength
      if (size > limit) throw bodyTooLarge(limit)
      if (bytes.byteLength > 0) parts.push(bytes)
    }
  } catch (error) {
    if (isJwtGuardError(error)) throw error
    throw new JwtGuardError('ERR_BODY_MALFORMED', 'Request body was cut short', { cause: error })
  }
  if (parts.length <= 1) return parts[0]
  const body = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    body.set(part, offset)
    offset += part.byteLength
  }
  return body
}

/**
 * A Node stream's chunks without destroying it when the reading stops at the limit: a destroyed
 * request destroys its socket before the 413 is written. The answer closes the connection instead
 * (`Connection: close`). Other iterables as they are.
 */
function keptOpen<T>(chunks: AsyncIterable<T> | Iterable<T>): AsyncIterable<T> | Iterable<T> {
  const stream = chunks as { iterator?: (options: { destroyOnReturn: boolean }) => AsyncIterable<T> }
  return typeof stream.iterator === 'function' ? stream.iterator({ destroyOnReturn: false }) : chunks
}

/** A Web stream's chunks; a stream left before its end (a body past the limit) is cancelled. */
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  let ended = false
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) yield read.value
    ended = true
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined)
  }
}

/**
 * {@link readBody} for a Web `Request` (Hono, the fetch handler, any Web-standard runtime).
 *
 * @example
 * ```ts
 * import { readRequestBody } from 'jwtguard/adapter'
 * const request = new Request('http://localhost/auth', { method: 'POST', body: '{}' })
 * const body = await readRequestBody(request, guard.options.bodyLimit) // Uint8Array | undefined
 * ```
 *
 * @throws {JwtGuardError} `ERR_BODY_TOO_LARGE` (a 413 once rendered) past `limit`,
 *   `ERR_BODY_MALFORMED` for a body cut short.
 */
export function readRequestBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const { body, headers } = request
  return readBody(body === null ? [] : streamChunks(body), limit, headers.get('content-length'))
}

/** A Node request (`IncomingMessage`) as {@link readNodeRequestBody} reads it. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  headers: Record<string, string | string[] | undefined>
}

/**
 * {@link readBody} for a Node request (Express, NestJS, a bare `node:http` listener): its
 * `Content-Encoding` checked, at most `limit` bytes read. Stopped at the limit, the request is left
 * open and the 413 closes the connection, so the answer comes at once, not after the client has
 * sent the rest.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http'
 * import { readNodeRequestBody } from 'jwtguard/adapter'
 * async function loginBody(req: IncomingMessage, limit: number) {
 *   return readNodeRequestBody(req, limit) // Uint8Array | undefined
 * }
 * ```
 *
 * @throws {JwtGuardError} `ERR_ENCODING_UNSUPPORTED` (415) for a compressed body,
 *   `ERR_BODY_TOO_LARGE` (413) past `limit`, `ERR_BODY_MALFORMED` (400) for a body cut short.
 */
export function readNodeRequestBody(
  request: NodeRequestLike,
  limit: number,
): Promise<Uint8Array | undefined> {
  const { headers } = request
  try {
    assertIdentityEncoding(single(headers['content-encoding']))
  } catch (error) {
    return Promise.reject(error)
  }
  return readBody(request, limit, single(headers['content-length']))
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

/**
 * Answers an auth route (`guard.routes`) for a Web `Request`: checks its `Content-Encoding`, reads
 * its body within `limit` (none for `GET`), and resolves to the route's answer, errors included;
 * it rejects only for an unreadable body (render that with `caughtErrorResponse`).
 *
 * @param remoteAddress - the peer's address, for login throttling, when the platform tells it.
 *
 * @example
 * ```ts
 * import { serveAuthRoute, toWebResponse } from 'jwtguard/adapter'
 * const [login] = guard.routes
 * const request = new Request('http://localhost/auth', { method: 'POST', body: '{}' })
 * if (login) toWebResponse(await serveAuthRoute(login, request, guard.options.bodyLimit))
 * ```
 */
export async function serveAuthRoute(
  route: AuthRoute,
  request: Request,
  limit: number,
  remoteAddress?: string | undefined,
): Promise<HttpResponse> {
  const { headers } = request
  assertIdentityEncoding(headers.get('content-encoding'))
  const body = route.method === 'GET' ? undefined : await readRequestBody(request, limit)
  const contentType = headers.get('content-type') ?? undefined
  return route.handle({ contentType, body, headers, remoteAddress })
}
