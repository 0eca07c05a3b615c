/**
 * The adapter suite's HTTP side: one client over either kind of target, and the checks that a
 * response is the one the core decided.
 *
 * @module
 */
import { deepStrictEqual, equal, fail, ok } from 'node:assert/strict'
import type { JwtGuard } from '../core/guard.js'
import type { ProtectOptions } from '../core/protect.js'
import type { AdapterTarget } from './adapter.js'

/** A response, read once. */
export interface ContractResponse {
  status: number
  headers: Headers
  text: string
  json(): unknown
}

/** What a request of the suite may carry. */
export interface ContractInit {
  headers?: Record<string, string> | undefined
  /** A string, or a stream sent without Content-Length. */
  body?: string | ReadableStream<Uint8Array> | undefined
}

/** Sends the suite's requests to an {@link AdapterTarget}. */
export interface ContractClient {
  send(method: string, path: string, init?: ContractInit): Promise<ContractResponse>
}

/** The client of `target`: in process through `target.fetch`, or over the network to `target.url`. */
export function clientFor(target: AdapterTarget, kit: string): ContractClient {
  const inProcess = typeof target?.fetch === 'function'
  if (inProcess === (typeof target?.url === 'string')) {
    throw new TypeError(`${kit}: start() must resolve to { fetch } or to { url }, exactly one of them`)
  }
  const base = inProcess ? 'http://localhost' : (target.url as string)
  return {
    async send(method, path, init = {}) {
      const requestInit: RequestInit & { duplex?: 'half' } = {
        method,
        headers: init.headers ?? {},
        redirect: 'manual',
      }
      if (init.body !== undefined) {
        requestInit.body = init.body
        if (typeof init.body !== 'string') requestInit.duplex = 'half'
      }
      const request = new Request(new URL(path, base), requestInit)
      const response = inProcess
        ? await (target.fetch as NonNullable<AdapterTarget['fetch']>)(request)
        : await fetch(request)
      const text = await response.text()
      return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
    },
  }
}

/** A JSON response; for an error, exactly the contract's body `{status_code, error, description}`. */
export function expectJson(response: ContractResponse): void {
  const type = response.headers.get('content-type') ?? ''
  ok(/^application\/json\b/i.test(type), `a JSON response, got content-type "${type}": ${response.text}`)
  let body: unknown
  try {
    body = response.json()
  } catch {
    fail(`the body is not JSON: ${response.text}`)
  }
  if (response.status < 400) return
  const record = body as Record<string, unknown>
  deepStrictEqual(Object.keys(record).sort(), ['description', 'error', 'status_code'], 'the error body keys')
  equal(record.status_code, response.status, 'status_code is the HTTP status')
  equal(typeof record.error, 'string', 'error is a string')
  equal(typeof record.description, 'string', 'description is a string')
}

/**
 * Which error the core decides on: `error` as given, or the refusal of a protected route (with
 * the route options `allow` and `audience`) for a request with `headers`, `method` and `url`.
 */
export interface CoreVerdict {
  error?: unknown
  headers?: Record<string, string> | undefined
  method?: string | undefined
  url?: string | undefined
  allow?: (() => boolean) | undefined
  audience?: string | undefined
  /** The status the row is about: a check that the core's verdict is what the row means. */
  expectStatus?: number | undefined
}

/**
 * Asserts that `response` is exactly what the core renders for `verdict`: status, content type,
 * body, challenge and `Allow`.
 */
export async function expectCoreResponse<T>(
  stage: { readonly guard: JwtGuard<T> },
  response: ContractResponse,
  verdict: CoreVerdict,
): Promise<void> {
  const { guard } = stage
  let error = verdict.error
  let realm: string | undefined
  if (!('error' in verdict)) {
    const options: ProtectOptions<unknown> = {}
    if (verdict.allow !== undefined) options.allow = verdict.allow
    if (verdict.audience !== undefined) options.audience = verdict.audience
    const route = guard.protect(options)
    realm = route.realm
    try {
      await route.authenticate(verdict.headers ?? {}, undefined, {
        method: verdict.method ?? 'GET',
        url: verdict.url ?? '/protected',
      })
      fail('the core admits this request: the row is wrong')
    } catch (thrown) {
      if ((thrown as Error)?.name === 'AssertionError') throw thrown
      error = thrown
    }
  }
  const expected = guard.errorResponse(error, realm)
  if (verdict.expectStatus !== undefined)
    equal(expected.status, verdict.expectStatus, 'the core verdict of the row')
  equal(response.status, expected.status, `status: ${response.text}`)
  expectJson(response)
  deepStrictEqual(response.json(), JSON.parse(expected.body ?? 'null'), 'the body the core decided')
  for (const name of ['www-authenticate', 'allow']) {
    equal(response.headers.get(name), expected.headers[name] ?? null, `the ${name} header the core decided`)
  }
}
