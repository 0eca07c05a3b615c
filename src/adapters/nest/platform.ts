/**
 * What differs between @nestjs/platform-express and @nestjs/platform-fastify, kept to this file:
 * writing the core's response, listing a path's methods for `Allow`, and reading the auth
 * routes' raw bodies before Nest's JSON parser would.
 *
 * @module
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AbstractHttpAdapter } from '@nestjs/core'
import {
  assertIdentityEncoding,
  HTTP_METHODS,
  type HttpResponse,
  type RawBody,
  readBody,
  writeNodeResponse,
} from '../../adapter/index.js'
import { routeMethods } from '../express/route-methods.js'

/** Fastify's reply, as far as this file writes it. */
interface FastifyReplyLike {
  raw: ServerResponse
  code(status: number): FastifyReplyLike
  headers(values: Record<string, string>): FastifyReplyLike
  header(name: string, value: unknown): FastifyReplyLike
  send(body?: string): unknown
}

/** Fastify's instance, as far as this file uses it. */
interface FastifyLike {
  findRoute(route: { method: string; url: string }): unknown
  addHook(name: 'preParsing', hook: FastifyPreParsing): unknown
}

type NodeMiddleware = (req: IncomingMessage, res: unknown, next: (error?: unknown) => void) => void

type FastifyPreParsing = (
  request: { raw: IncomingMessage; method: string; routeOptions: { url?: string | undefined } },
  reply: unknown,
  payload: NodeJS.ReadableStream,
  done: (error: Error | null, payload?: NodeJS.ReadableStream) => void,
) => void

const isFastifyReply = (response: unknown): response is FastifyReplyLike =>
  typeof (response as Partial<FastifyReplyLike>).code === 'function' &&
  typeof (response as Partial<FastifyReplyLike>).raw === 'object'

/** Writes the core's response on Express's `res` (a Node response) or Fastify's `reply`. */
export function send(response: unknown, answer: HttpResponse): void {
  if (isFastifyReply(response)) {
    response.code(answer.status).headers(answer.headers)
    if (answer.cookies !== undefined) response.header('set-cookie', answer.cookies)
    response.send(answer.body ?? undefined)
    return
  }
  writeNodeResponse(response as ServerResponse, answer)
}

/** The Node request under Express's `req` (itself one) or Fastify's `request` (its `raw`). */
export function nodeRequest(request: unknown): IncomingMessage {
  const raw = (request as { raw?: unknown }).raw
  return (typeof raw === 'object' && raw !== null ? raw : request) as IncomingMessage
}

/** The methods the platform's router has routes for on `path` (for `Allow`). */
export function pathMethods(adapter: AbstractHttpAdapter, path: string): string[] {
  if (adapter.getType() === 'fastify') {
    const fastify = adapter.getInstance<FastifyLike>()
    return HTTP_METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null)
  }
  // Express 4 keeps its router on `_router`, Express 5 on `router`.
  const app = adapter.getInstance<Record<'_router' | 'router', { stack?: unknown } | undefined>>()
  return routeMethods((app._router ?? app.router)?.stack, path)
}

/** Whether the request reached no route (Nest's not-found handler threw). */
export function unrouted(request: unknown): boolean {
  const fastify = request as { is404?: unknown; raw?: unknown }
  if (fastify.raw !== undefined) return fastify.is404 === true
  return (request as { route?: unknown }).route === undefined
}

/** An auth route's body as read before Nest's parsers, or the error reading it raised. */
export type ReadBody = RawBody | { error: unknown }

const bodies = new WeakMap<IncomingMessage, ReadBody>()

/** The body {@link readAuthBodies} read for this request; `undefined` when none was. */
export function takeBody(request: IncomingMessage): ReadBody | undefined {
  const body = bodies.get(request)
  bodies.delete(request)
  return body
}

/**
 * Reads `request`'s body for the auth route, then tells the platform's parsers there is none left
 * to parse (no `Content-Type`, `Content-Length: 0`), whether it was read or refused unread.
 */
async function stash(request: IncomingMessage, stream: NodeJS.ReadableStream, limit: number): Promise<void> {
  const { headers } = request
  const contentType = headers['content-type']
  try {
    assertIdentityEncoding(headers['content-encoding'])
    bodies.set(request, { contentType, body: await readBody(stream, limit, headers['content-length']) })
  } catch (error) {
    bodies.set(request, { error })
  }
  delete headers['content-type']
  delete headers['transfer-encoding']
  headers['content-length'] = '0'
}

/**
 * Reads the raw body of `POST` requests to `paths` before Nest's JSON parser, so that the core
 * judges it as on every other framework (media type, size, encoding, UTF-8, shape). Called while
 * the app is being created, before Nest registers its parsers.
 */
export function readAuthBodies(
  adapter: AbstractHttpAdapter,
  paths: ReadonlySet<string>,
  limit: number,
): void {
  if (paths.size === 0) return
  if (adapter.getType() === 'fastify') {
    const fastify = adapter.getInstance<FastifyLike>()
    fastify.addHook('preParsing', function jwtGuardReadBody(request, _reply, payload, done) {
      if (request.method !== 'POST' || !paths.has(request.routeOptions.url ?? '')) return done(null, payload)
      stash(request.raw, payload, limit).then(() => done(null, payload), done)
    })
    return
  }
  // One route per path on Express's own router: it matches exactly the requests Nest's route for
  // the same path will (strict and case-sensitive routing alike), and runs before Nest's parsers.
  const app = adapter.getInstance<{ post(path: string, handler: NodeMiddleware): void }>()
  for (const path of paths) {
    app.post(path, function jwtGuardReadBody(req, _res, next) {
      stash(req, req, limit).then(() => next(), next)
    })
  }
}
