/**
 * The browser page at `/` over HTTP, on every framework and transport: the same bytes and headers
 * everywhere, a strict Content-Security-Policy the page can live with (no inline script or style),
 * and the contract's JSON 404/405 around it.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PAGE_CSP } from '../../server/public/assets.js'
import { APPS } from '../support/apps.js'
import type { TestApp } from '../support/server.js'

const JSON_TYPE = 'application/json; charset=utf-8'
const publicFile = (name: string) =>
  readFileSync(new URL(`../../server/public/${name}`, import.meta.url), 'utf8')

const ASSETS = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
  ['/favicon.svg', 'favicon.svg', 'image/svg+xml; charset=utf-8'],
] as const

describe('the page itself', () => {
  const html = publicFile('index.html')

  it('has no inline script, inline style or event-handler attribute (the CSP would block them)', () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [tag, content] of scripts) {
      expect(tag).toMatch(/\ssrc="\/[^"]+"/)
      expect(content).toBe('')
    }
    expect(html).not.toMatch(/<style\b/)
    expect(html).not.toMatch(/\sstyle=/)
    expect(html).not.toMatch(/\son[a-z]+=/)
  })

  it('loads nothing from another origin', () => {
    for (const name of ['index.html', 'app.js', 'style.css']) {
      expect(publicFile(name)).not.toMatch(
        /(src|href)="(https?:)?\/\/|url\(|@import|https?:\/\/(?!www\.w3\.org)/,
      )
    }
  })

  it('never touches the HttpOnly token cookies nor keeps tokens', () => {
    const script = publicFile('app.js')
    expect(script).toContain("credentials: 'same-origin'")
    expect(script).not.toMatch(/access_token_cookie|refresh_token_cookie|localStorage|sessionStorage/)
  })
})

describe.each(APPS)('the page on $name', ({ create }) => {
  let app: TestApp

  beforeAll(async () => {
    app = await create()
  })
  afterAll(async () => {
    await app?.close()
  })

  it.each(ASSETS)('serves %s: the bytes of server/public/%s as %s', async (path, file, type) => {
    const response = await app.request('GET', path)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe(type)
    expect(response.headers['content-security-policy']).toBe(PAGE_CSP)
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['referrer-policy']).toBe('no-referrer')
    expect(response.headers['set-cookie']).toBeUndefined()
    expect(response.text).toBe(publicFile(file))
  })

  it('answers HEAD / with the headers and no body', async () => {
    const response = await app.request('HEAD', '/')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.text).toBe('')
  })

  it.each([
    ['POST', '/'],
    ['DELETE', '/app.js'],
  ])('answers %s %s with the JSON 405 and Allow: GET, HEAD', async (method, path) => {
    const response = await app.request(method, path)
    expect(response.status).toBe(405)
    expect(response.headers['content-type']).toBe(JSON_TYPE)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(response.json()).toMatchObject({ status_code: 405, error: 'Method Not Allowed' })
  })

  it.each([
    '/index.html',
    '/app.js/',
    '/App.js',
    '/assets.ts',
    '/public/app.js',
    '/server/public/app.js',
    '/../package.json',
    '/%2e%2e/package.json',
  ])('answers GET %s with the JSON 404: only the listed files are served', async (path) => {
    const response = await app.request('GET', path)
    expect(response.status).toBe(404)
    expect(response.headers['content-type']).toBe(JSON_TYPE)
    expect(response.json()).toMatchObject({ status_code: 404, error: 'Not Found' })
  })
})
