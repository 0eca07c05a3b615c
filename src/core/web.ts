/**
 * The Web-standard side of the adapters that take a `Request` (Hono, the fetch handler): reading a
 * login body within the limit and writing the core's answer as a `Response`. Web APIs only.
 *
 * @module
 */
import { bodyTooLarge } from './body.js'
import type { HttpResponse } from './http.js'

/**
 * Reads at most `limit` bytes of a request's body: a larger `Content-Length` is refused unread, a
 * longer stream midway. `undefined` when the request has no body.
 *
 * @example
 * ```ts
 * import { readRequestBody } from 'jwtguard'
 * const request = new Request('http://localhost/auth', { method: 'POST', body: '{}' })
 * const body = await readRequestBody(request, guard.options.bodyLimit) // Uint8Array | undefined
 * ```
 *
 * @throws {JwtGuardError} `ERR_BODY_TOO_LARGE` (a 413 once rendered) past `limit`.
 */
export async function readRequestBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (Number(request.headers.get('content-length')) > limit) throw bodyTooLarge(limit)
  if (request.body === null) return undefined
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw bodyTooLarge(limit)
    }
    chunks.push(read.value)
  }
  return chunks.length === 1 ? chunks[0] : new Uint8Array(await new Blob(chunks).arrayBuffer())
}

/**
 * The core's answer as a Web `Response`: its status, headers, body and each cookie as its own
 * `Set-Cookie` header.
 *
 * @example
 * ```ts
 * import { toWebResponse } from 'jwtguard'
 * const response = toWebResponse(guard.errorResponse(guard.notFound())) // a JSON 404 Response
 * ```
 */
export function toWebResponse(response: HttpResponse): Response {
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies ?? []) headers.append('set-cookie', cookie)
  return new Response(response.body, { status: response.status, headers })
}
