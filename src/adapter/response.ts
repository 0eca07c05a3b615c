/**
 * Writing the core's answer ({@link HttpResponse}) as the framework's response: a Web `Response`,
 * or on a Node-style response object (`http.ServerResponse`, Express's `res`). Web APIs only: the
 * Node side is typed structurally, nothing of Node is imported.
 *
 * @module
 */
import type { HttpResponse } from '../core/http.js'

/**
 * The core's answer as a Web `Response`: its status, headers, body and each cookie as its own
 * `Set-Cookie` header.
 *
 * @example
 * ```ts
 * import { toWebResponse } from 'jwtguard/adapter'
 * const response = toWebResponse(guard.errorResponse(guard.notFound())) // a JSON 404 Response
 * ```
 */
export function toWebResponse(response: HttpResponse): Response {
  const headers = new Headers(response.headers)
  for (const cookie of response.cookies ?? []) headers.append('set-cookie', cookie)
  return new Response(response.body, { status: response.status, headers })
}

/** What {@link writeNodeResponse} uses of a Node `http.ServerResponse` (Express's `res` is one). */
export interface NodeResponseLike {
  /** The status to send. */
  statusCode: number
  /** Sets one header; an array sends it once per value (`Set-Cookie`). */
  setHeader(name: string, value: string | readonly string[]): unknown
  /** Sends the body, if any, and ends the response. */
  end(body?: string): unknown
}

/**
 * Writes the core's answer on a Node `http.ServerResponse` (Express's `res`, Fastify's
 * `reply.raw`): status, headers, every cookie as its own `Set-Cookie`, then the body.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { writeNodeResponse } from 'jwtguard/adapter'
 * createServer((_req, res) => writeNodeResponse(res, guard.errorResponse(guard.notFound())))
 * ```
 */
export function writeNodeResponse(res: NodeResponseLike, response: HttpResponse): void {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.cookies !== undefined) res.setHeader('set-cookie', response.cookies)
  res.end(response.body ?? undefined)
}
