/**
 * One GET of a small JSON document from an authorization server (its metadata, its JWKS): no
 * redirect, bounded in time (headers and body together) and in size.
 *
 * @module
 * @internal
 */
import { Buffer } from 'node:buffer'

/** The subset of `fetch` the remote JWKS and the metadata discovery use. */
export type FetchFunction = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string>; redirect: 'error' },
) => Promise<Response>

/** How one document is fetched. */
export interface BoundedGet {
  fetch: FetchFunction
  timeoutMs: number
  maxBytes: number
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * `url` when it is `https:`, or `http:` on a loopback host (or with `allowInsecureHttp`).
 * @throws {TypeError} naming `option` and the fix.
 */
export function checkFetchUrl(
  url: string | URL,
  allowInsecureHttp: boolean,
  option: string,
  example: string,
): string {
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch {
    throw new TypeError(`${option} must be an absolute URL such as ${example}`)
  }
  if (parsed.protocol === 'https:') return parsed.href
  if (parsed.protocol === 'http:' && (LOOPBACK.has(parsed.hostname) || allowInsecureHttp)) return parsed.href
  throw new TypeError(`${option} must use https: (http: only on loopback, or with allowInsecureHttp: true)`)
}

async function readBody(response: Response, maxBytes: number, label: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) throw new Error(`${label} is larger than ${maxBytes} bytes`)
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new Error(`${label} is larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
}

/**
 * GETs `url`: `{ status: 200, text }`, or `{ status }` alone for any other status (the body
 * discarded). Rejects on a network error, a redirect, a timeout or a body over `maxBytes`.
 */
export async function boundedGet(
  url: string,
  how: BoundedGet,
  accept: string,
  label: string,
): Promise<{ status: number; text?: string }> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${label} fetch timed out after ${how.timeoutMs} ms`)
      controller.abort(error)
      reject(error)
    }, how.timeoutMs)
  })
  const work = (async () => {
    const response = await how.fetch(url, {
      signal: controller.signal,
      headers: { accept },
      redirect: 'error',
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      return { status: response.status }
    }
    return { status: 200, text: await readBody(response, how.maxBytes, label) }
  })()
  work.catch(() => undefined) // settled by the race below; keep a late rejection handled
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
