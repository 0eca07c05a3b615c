/**
 * The browser page at `/` and its files, read once when the server starts, so every framework
 * serves the same bytes with the same headers. Only the files listed here are served: this is not
 * a static directory.
 */
import { readFileSync } from 'node:fs'

/** One file of the page: its URL path, its bytes and the headers of its 200 answer. */
export interface PageAsset {
  path: string
  body: Buffer<ArrayBuffer>
  headers: Readonly<Record<string, string>>
}

/**
 * Same-origin scripts, styles, images and fetches only: no inline script or style, no framing, no
 * `<base>`, forms post only to this origin.
 */
export const PAGE_CSP =
  "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

const FILES = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/style.css', file: 'style.css', type: 'text/css; charset=utf-8' },
  { path: '/favicon.svg', file: 'favicon.svg', type: 'image/svg+xml; charset=utf-8' },
] as const

export const PAGE_ASSETS: readonly PageAsset[] = FILES.map(({ path, file, type }) => ({
  path,
  body: readFileSync(new URL(file, import.meta.url)),
  headers: {
    'content-type': type,
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  },
}))
