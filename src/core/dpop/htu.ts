/**
 * The HTTP URI of a request as RFC 9449 §4.3 compares it (`htu`): scheme and host in lower case,
 * the default port left out, the path normalised (RFC 3986 §6.2.2 and §6.2.3), no query and no
 * fragment. One function normalises the proof's claim and the request's URL alike.
 *
 * @module
 */
import { type HeaderSource, readHeader } from '../extract.js'

/** `htu` normalised, or `undefined` when it is not an absolute http(s) URI. */
export function normaliseHtu(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  if (url.username !== '' || url.password !== '') return undefined
  // WHATWG URL lower-cases the scheme and host and drops the default port; percent-encodings are
  // compared in upper case (RFC 3986 §6.2.2.1).
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (encoded) => encoded.toUpperCase())
  return `${url.protocol}//${url.host}${path}`
}

/** The path of a request target (`/a/b?q` or an absolute URL), without its query or fragment. */
function pathOf(target: string): string {
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

const ABSOLUTE = /^https?:\/\//i

/**
 * The request's URI as the client saw it, normalised, for each origin the proof may name: the
 * configured `origins` followed by the request's path, else the request's own origin (the absolute
 * URL of a Web `Request`, or `http://` and the `Host` header of a Node request). Empty when the
 * request says nothing of its origin and none is configured.
 */
export function requestHtus(
  target: string | undefined,
  headers: HeaderSource,
  origins: readonly string[] | undefined,
  fallbackPath?: string | undefined,
): string[] {
  const given = target ?? fallbackPath
  if (given === undefined) return []
  const absolute = ABSOLUTE.test(given)
  let path = pathOf(given)
  if (absolute) path = new URL(path).pathname
  if (origins !== undefined) return collect(origins.map((origin) => origin + path))
  if (absolute) return collect([given])
  const host = readHeader(headers, 'host')
  return host === undefined || host === '' ? [] : collect([`http://${host}${path}`])
}

function collect(urls: readonly string[]): string[] {
  const out: string[] = []
  for (const url of urls) {
    const normalised = normaliseHtu(url)
    if (normalised !== undefined) out.push(normalised)
  }
  return out
}
