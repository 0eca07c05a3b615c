/**
 * The page at `/` in a real browser: Debian's headless Chromium (/usr/bin/chromium, no download)
 * driven by playwright-core, against the reference app of every framework over a loopback socket.
 *
 * One scenario per framework, in one browser launched once for the file, with a fresh browser
 * context (its own cookie jar) per framework: open logged out, log in through the form, Private
 * shows 42, a reload keeps the session, POSTs without the CSRF header are refused with 401 (from
 * this origin, and from a page of another origin on the same host, which is same-site so SameSite
 * does not stop its cookies: only the CSRF check does), refresh, the device list (this device
 * marked, another device logged out from it), log out, Private answers 401.
 * A screenshot of the page after login goes to test-artifacts/ (git-ignored).
 */
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChromium } from '../../scripts/test-setup.js'
import { buildExpressApp, listenExpress } from '../../server/apps/express.js'
import { buildFastifyApp } from '../../server/apps/fastify.js'
import { buildFetchApp, listenFetch } from '../../server/apps/fetch.js'
import { buildHonoApp, listenHono } from '../../server/apps/hono.js'
import { buildNestApp, listenNest } from '../../server/apps/nest.js'
import { FRAMEWORKS, type Framework } from '../../server/config.js'
import type { ServerContext } from '../../server/context.js'
import { createTestContext } from '../support/server.js'

const CHROMIUM = findChromium()
// Playwright adds --user-data-dir itself (a fresh temporary profile per launch, removed on close)
// and refuses it among `args`.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const CSRF_MISSING = "Missing CSRF token: send the csrf_access_token cookie's value in x-csrf-token"
const TOKEN_MISSING = 'Request does not contain an access token'
/** Playwright's own waits give up before vitest's test timeout, so their message is the one reported. */
const ACTION_TIMEOUT = 10_000

interface Running {
  address: string
  close(): Promise<void>
}

/** The reference app of each framework, listening on a free loopback port. */
const LISTEN: Record<Framework, (context: ServerContext) => Promise<Running>> = {
  async fastify(context) {
    const app = await buildFastifyApp(context)
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    return { address, close: () => app.close() }
  },
  express: (context) => listenExpress(buildExpressApp(context), 0, '127.0.0.1'),
  hono: (context) => listenHono(buildHonoApp(context), 0, '127.0.0.1'),
  fetch: (context) => listenFetch(buildFetchApp(context), 0, '127.0.0.1'),
  'nest-express': async (context) => listenNest(await buildNestApp(context, 'express'), 0, '127.0.0.1'),
  'nest-fastify': async (context) => listenNest(await buildNestApp(context, 'fastify'), 0, '127.0.0.1'),
}

/**
 * A page of another origin (same host, another port): a form that posts to the app's
 * `/auth/revoke`, the classic cross-site request forgery.
 */
function startOtherOrigin(): Promise<Running> {
  const server: Server = createServer((request, response) => {
    const target = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('target') ?? ''
    if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(target)) {
      response.writeHead(400).end()
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(
      `<!doctype html><title>Another origin</title>` +
        `<form method="post" action="${target}/auth/revoke"><button id="forge">Claim your prize</button></form>`,
    )
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        address: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      })
    })
  })
}

let browser: Browser | undefined
let otherOrigin: Running | undefined

beforeAll(async () => {
  if (CHROMIUM === undefined) {
    throw new Error(
      "No Chromium found (CHROMIUM_PATH, PATH, /usr/bin/chromium): the browser test drives Debian's " +
        'Chromium. `npm test` installs it (scripts/test-setup.ts); or `apt-get install chromium`.',
    )
  }
  mkdirSync(ARTIFACTS, { recursive: true })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  otherOrigin = await startOtherOrigin()
})

afterAll(async () => {
  await browser?.close()
  await otherOrigin?.close()
})

interface Answer {
  status: number
  request: string
  text: string
  json(): unknown
}

/** The answer panel: status, request line and body as the page shows them. */
async function shownAnswer(page: Page): Promise<Answer> {
  const text = (await page.locator('#answer-body').textContent()) ?? ''
  return {
    status: Number(await page.locator('#answer').getAttribute('data-status')),
    request: (await page.locator('#answer-request').textContent()) ?? '',
    text,
    json: () => JSON.parse(text),
  }
}

/** How many user actions the page has finished (it counts them in `<body data-done>`). */
async function actionsDone(page: Page): Promise<number> {
  return Number((await page.locator('body').getAttribute('data-done')) ?? 0)
}

async function waitForActions(page: Page, count: number): Promise<void> {
  await page.locator(`body[data-done="${count}"]`).waitFor({ state: 'attached' })
}

/** Runs `action` (a click, a submit) and waits until the page has finished handling it. */
async function settle(page: Page, action: () => Promise<void>): Promise<Answer> {
  const done = await actionsDone(page)
  await action()
  await waitForActions(page, done + 1)
  return shownAnswer(page)
}

const clickButton = (page: Page, name: string) =>
  settle(page, () => page.getByRole('button', { name, exact: true }).click())

/** A POST without the CSRF header, sent by a script of the page's own origin with its cookies. */
function postWithoutCsrf(page: Page, path: string): Promise<{ status: number; body: unknown }> {
  return page.evaluate(async (url) => {
    const response = await fetch(url, { method: 'POST', credentials: 'include' })
    return { status: response.status, body: await response.json() }
  }, path)
}

describe('the page without JavaScript', () => {
  it('says it needs JavaScript and offers no form that would post a non-JSON body', async () => {
    const test = await createTestContext()
    const app = await LISTEN.fastify(test.context)
    if (browser === undefined) throw new Error('the browser did not start')
    const context = await browser.newContext({ javaScriptEnabled: false })
    try {
      const page = await context.newPage()
      await page.goto(`${app.address}/`)
      await expect(page.locator('#needs-js').isVisible()).resolves.toBe(true)
      await expect(page.locator('#needs-js').textContent()).resolves.toMatch(/needs JavaScript/)
      await expect(page.locator('#login').isVisible()).resolves.toBe(false)
      await expect(page.getByRole('button', { name: 'Log in' }).isVisible()).resolves.toBe(false)
      await expect(page.locator('#session').isVisible()).resolves.toBe(false)
    } finally {
      await context.close()
      await app.close()
      await test.cleanup()
    }
  })
})

describe.each(FRAMEWORKS)('the page in headless Chromium on %s', (framework) => {
  let app: Running
  let cleanup: () => Promise<void>
  let context: BrowserContext
  let page: Page
  /** Script errors and Content-Security-Policy violations seen by the page. */
  const problems: string[] = []

  // Every cookie of the context (only the app's host has any): by name, whatever their path.
  const cookies = async () =>
    Object.fromEntries((await context.cookies()).map((cookie) => [cookie.name, cookie]))

  beforeAll(async () => {
    const test = await createTestContext()
    cleanup = test.cleanup
    app = await LISTEN[framework](test.context)
    if (browser === undefined) throw new Error('the browser did not start')
    context = await browser.newContext({ viewport: { width: 900, height: 820 } })
    context.setDefaultTimeout(ACTION_TIMEOUT)
    page = await context.newPage()
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text())
    })
  })

  afterAll(async () => {
    await context?.close()
    await app?.close()
    await cleanup?.()
  })

  it('opens logged out: the page asks /api/v1/me and gets a 401', async () => {
    const response = await page.goto(`${app.address}/`)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'self'/)
    await waitForActions(page, 1)
    await expect(page.locator('#session').textContent()).resolves.toBe('Not logged in')
    const answer = await shownAnswer(page)
    expect(answer.request).toBe('GET /api/v1/me')
    expect(answer.status).toBe(401)
    expect(answer.json()).toMatchObject({ description: TOKEN_MISSING })
    await page.screenshot({ path: `${ARTIFACTS}browser-${framework}-logged-out.png`, fullPage: true })
  })

  it('logs in through the form into HttpOnly cookies, and Private shows 42', async () => {
    await page.getByLabel('Username').fill('masnun')
    await page.getByLabel('Password').fill('abc123')
    const me = await clickButton(page, 'Log in')
    expect(me.request).toBe('GET /api/v1/me')
    expect(me.json()).toEqual({ user_id: 123 })
    await expect(page.locator('#session').textContent()).resolves.toBe('Logged in as user_id 123')
    await expect(page.locator('#login').isHidden()).resolves.toBe(true)

    const jar = await cookies()
    expect(jar.access_token_cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    expect(jar.refresh_token_cookie).toMatchObject({ httpOnly: true, path: '/auth' })
    expect(jar.csrf_access_token).toMatchObject({ httpOnly: false, path: '/' })
    // The page's scripts see the CSRF value and nothing else.
    const visible = String(await page.evaluate('document.cookie'))
    expect(visible).toBe(`csrf_access_token=${jar.csrf_access_token?.value}`)

    const answer = await clickButton(page, 'Private')
    expect(answer.request).toBe('GET /api/v1/private')
    expect(answer.status).toBe(200)
    expect(answer.json()).toEqual({ meaning_of_life: 42 })
    await expect(page.locator('#answer-status').textContent()).resolves.toBe('200 OK')
    await page.screenshot({ path: `${ARTIFACTS}browser-${framework}.png`, fullPage: true })
  })

  it('is still logged in after a reload: the cookies carry the session', async () => {
    await page.reload()
    await waitForActions(page, 1)
    await expect(page.locator('#session').textContent()).resolves.toBe('Logged in as user_id 123')
    const answer = await clickButton(page, 'Me')
    expect(answer.request).toBe('GET /api/v1/me')
    expect(answer.status).toBe(200)
    expect(answer.json()).toEqual({ user_id: 123 })
  })

  it.each(['/auth/revoke', '/auth/refresh'])(
    'refuses a POST %s with the cookies but without the CSRF header: 401 CSRF Error',
    async (path) => {
      const refused = await postWithoutCsrf(page, path)
      expect(refused).toEqual({
        status: 401,
        body: { status_code: 401, error: 'CSRF Error', description: CSRF_MISSING },
      })
    },
  )

  it('refuses a form posted by a page of another origin on the same host, though its cookies came along', async () => {
    const other = await context.newPage()
    const otherUrl = `${otherOrigin?.address}/?target=${encodeURIComponent(app.address)}`
    try {
      await other.goto(otherUrl)
      const [forged] = await Promise.all([
        other.waitForResponse(`${app.address}/auth/revoke`),
        other.locator('#forge').click(),
      ])
      // Same site (the port is not part of a site), so SameSite=Lax let the access cookie through.
      expect(await forged.request().headerValue('cookie')).toMatch(/(^|; )access_token_cookie=/)
      expect(forged.status()).toBe(401)
      expect(await forged.json()).toEqual({
        status_code: 401,
        error: 'CSRF Error',
        description: CSRF_MISSING,
      })

      // The same with fetch in no-cors mode (back on the other origin: the form navigated away): the
      // page cannot read the answer, the server refused it.
      await other.goto(otherUrl)
      const [fetched, type] = await Promise.all([
        other.waitForResponse(`${app.address}/auth/revoke`),
        other.evaluate(
          (url) =>
            fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include' }).then((r) => r.type),
          `${app.address}/auth/revoke`,
        ),
      ])
      expect(type).toBe('opaque')
      expect(fetched.status()).toBe(401)
    } finally {
      await other.close()
    }
    // None of the forgeries ended the session.
    const answer = await clickButton(page, 'Me')
    expect(answer.status).toBe(200)
    expect(answer.json()).toEqual({ user_id: 123 })
  })

  it('refreshes with the CSRF header: new cookies, a new CSRF value, Private still 42', async () => {
    const before = await cookies()
    const refreshed = await clickButton(page, 'Refresh')
    expect(refreshed.request).toBe('POST /auth/refresh')
    expect(refreshed.status).toBe(200)
    const after = await cookies()
    expect(refreshed.json()).toMatchObject({ csrf_token: after.csrf_access_token?.value })
    expect(after.csrf_access_token?.value).not.toBe(before.csrf_access_token?.value)
    expect(after.access_token_cookie?.value).not.toBe(before.access_token_cookie?.value)
    const answer = await clickButton(page, 'Private')
    expect(answer.status).toBe(200)
    expect(answer.json()).toEqual({ meaning_of_life: 42 })
  })

  it('lists the devices, this one marked, and logs another device out (issue 15 item 7)', async () => {
    const json = { 'content-type': 'application/json', 'user-agent': 'Other device (curl)' }
    const other = await fetch(`${app.address}/auth`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
    })
    expect(other.status).toBe(200)
    const { access_token: otherToken } = (await other.json()) as { access_token: string }
    const listed = await clickButton(page, 'Refresh list')
    expect(listed.request).toBe('GET /api/v1/sessions')
    expect(listed.status).toBe(200)
    const items = page.locator('#sessions li')
    expect(await items.count()).toBe(2)
    const current = page.locator('#sessions li[data-current="true"]')
    await expect(current.textContent()).resolves.toMatch(/HeadlessChrome.*\(this device\)/)
    const otherItem = page.locator('#sessions li', { hasText: 'Other device (curl)' })
    await expect(otherItem.textContent()).resolves.toMatch(/from 127\.0\.0\.1/)
    const otherId = await otherItem.getAttribute('data-session-id')

    const ended = await clickButton(page, 'Log out device: Other device (curl)')
    expect(ended.request).toBe(`DELETE /api/v1/sessions/${otherId}`)
    expect(ended.status).toBe(204)
    await expect(page.locator('#sessions').getAttribute('data-count')).resolves.toBe('1')
    expect(await page.locator('#sessions li[data-current="true"]').count()).toBe(1)
    const refused = await fetch(`${app.address}/api/v1/private`, {
      headers: { authorization: `JWT ${otherToken}` },
    })
    expect(refused.status).toBe(401)
    // This device is still logged in.
    const me = await clickButton(page, 'Me')
    expect(me.status).toBe(200)
    await page.screenshot({ path: `${ARTIFACTS}browser-${framework}-devices.png`, fullPage: true })
  })

  it('logs out: every cookie cleared, and Private answers 401', async () => {
    const revoked = await clickButton(page, 'Log out')
    expect(revoked.request).toBe('POST /auth/revoke')
    expect(revoked.status).toBe(204)
    expect(revoked.text).toBe('(no content)')
    await expect(page.locator('#session').textContent()).resolves.toBe('Not logged in')
    expect(Object.keys(await cookies())).toEqual([])
    await expect(page.locator('#sessions').getAttribute('data-count')).resolves.toBe('0')

    const answer = await clickButton(page, 'Private')
    expect(answer.request).toBe('GET /api/v1/private')
    expect(answer.status).toBe(401)
    expect(answer.json()).toEqual({
      status_code: 401,
      error: 'Authorization Required',
      description: TOKEN_MISSING,
    })
  })

  it('saw no script error and no Content-Security-Policy violation', () => {
    expect(problems).toEqual([])
  })
})
