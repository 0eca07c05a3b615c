// The reference server's page: log in, call the API, refresh, log out, and show each answer.
// The tokens travel in HttpOnly cookies that the browser attaches by itself: this script never
// stores them. It reads only the CSRF cookie, to echo its value in X-CSRF-Token on unsafe
// requests (double submit); a page of another origin cannot read that cookie, so it cannot forge
// the header.

// In production the server prefixes its cookie names with __Host- (host-only, Secure, Path=/).
const CSRF_COOKIES = ['__Host-csrf_access_token', 'csrf_access_token']
const CSRF_HEADER = 'X-CSRF-Token'
const TOKEN_FIELDS = new Set(['access_token', 'refresh_token'])
const HISTORY_LENGTH = 6

const byId = (id) => document.getElementById(id)
const ui = {
  session: byId('session'),
  form: byId('login'),
  answer: byId('answer'),
  status: byId('answer-status'),
  request: byId('answer-request'),
  body: byId('answer-body'),
  history: byId('history'),
  sessions: byId('sessions'),
  buttons: [...document.querySelectorAll('button')],
}

// The page works only with this script: its parts stay hidden until it runs (<noscript> says why).
for (const part of document.querySelectorAll('[data-needs-js]')) part.hidden = false

/** The value of a readable cookie, as the server wrote it. */
function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const separator = part.indexOf('=')
    if (separator !== -1 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim()
      return value === '' ? undefined : value
    }
  }
  return undefined
}

/** The CSRF cookie's value, under its production or development name. */
function csrfValue() {
  for (const name of CSRF_COOKIES) {
    const value = readCookie(name)
    if (value !== undefined) return value
  }
  return undefined
}

function parseJson(text) {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Token values shortened for display: the cookies carry them, the page keeps none. */
function redact(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) =>
      TOKEN_FIELDS.has(name) && typeof field === 'string'
        ? [name, `${field.slice(0, 12)}… (${field.length} chars, not stored by this page)`]
        : [name, field],
    ),
  )
}

function statusClass(status) {
  if (status >= 200 && status < 300) return 'status ok'
  if (status >= 400 || status === 0) return 'status error'
  return 'status'
}

/** Shows one answer in the panel and on top of the history. */
function render(method, path, result) {
  const label = result.status === 0 ? 'network error' : `${result.status} ${result.statusText}`.trim()
  ui.status.textContent = label
  ui.status.className = statusClass(result.status)
  ui.answer.dataset.status = String(result.status)
  ui.request.textContent = `${method} ${path}`
  ui.body.textContent =
    result.json === undefined ? result.text || '(no content)' : JSON.stringify(redact(result.json), null, 2)

  const entry = document.createElement('li')
  const status = document.createElement('span')
  status.className = statusClass(result.status)
  status.textContent = result.status === 0 ? 'ERR' : String(result.status)
  const request = document.createElement('code')
  request.textContent = `${method} ${path}`
  entry.append(status, ' ', request)
  ui.history.prepend(entry)
  while (ui.history.children.length > HISTORY_LENGTH) ui.history.lastElementChild?.remove()
}

/**
 * One request with the session cookies; `csrf` adds the double-submit header. Renders the answer,
 * unless `quiet` (the device list, refreshed after each action, keeps the action's answer shown).
 */
async function call(method, path, { body, csrf = false, quiet = false } = {}) {
  const headers = {}
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (csrf) {
    const token = csrfValue()
    if (token !== undefined) headers[CSRF_HEADER] = token
  }
  let result
  try {
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    result = { status: response.status, statusText: response.statusText, text, json: parseJson(text) }
  } catch (error) {
    result = { status: 0, statusText: '', text: String(error), json: undefined }
  }
  if (!quiet) render(method, path, result)
  return result
}

/** `identity` from /api/v1/me, or null when logged out. */
function showSession(identity) {
  if (identity !== null && typeof identity === 'object') {
    const fields = Object.entries(identity).map(([name, value]) => `${name} ${value}`)
    ui.session.textContent = `Logged in as ${fields.join(', ') || 'an anonymous identity'}`
    ui.session.dataset.state = 'in'
    ui.form.hidden = true
  } else {
    ui.session.textContent = 'Not logged in'
    ui.session.dataset.state = 'out'
    ui.form.hidden = false
  }
}

/** A time in seconds since the epoch, in the reader's locale. */
const when = (seconds) => new Date(seconds * 1000).toLocaleString()

/** Shows the user's sessions, each with a "Log out" button; `null` empties the list (logged out). */
function showSessions(sessions) {
  ui.sessions.replaceChildren()
  for (const session of sessions ?? []) {
    const item = document.createElement('li')
    item.className = 'session-item'
    item.dataset.sessionId = session.id
    if (session.current) item.dataset.current = 'true'
    const device = document.createElement('strong')
    device.textContent = session.user_agent ?? 'unknown device'
    const details = document.createElement('span')
    details.className = 'muted'
    details.textContent = ` from ${session.client_address ?? 'an unknown address'}, since ${when(session.created_at)}, last used ${when(session.last_used_at)}`
    const logout = document.createElement('button')
    logout.type = 'button'
    logout.textContent = 'Log out'
    // The visible text first: "Log out" alone names the page's own logout button.
    logout.setAttribute('aria-label', `Log out device: ${device.textContent}`)
    logout.addEventListener('click', () => act(() => endSession(session)))
    item.append(device, details)
    if (session.current) {
      const mark = document.createElement('span')
      mark.className = 'current'
      mark.textContent = ' (this device)'
      item.append(mark)
    }
    item.append(' ', logout)
    ui.sessions.append(item)
  }
  ui.sessions.dataset.count = String(sessions?.length ?? 0)
}

/** Lists the user's sessions from /api/v1/sessions; `quiet` leaves the answer panel alone. */
async function listSessions(quiet = true) {
  const answer = await call('GET', '/api/v1/sessions', { quiet })
  showSessions(answer.status === 200 ? answer.json.sessions : null)
}

/** Ends one session; ending this device's own logs this page out. */
async function endSession(session) {
  const answer = await call('DELETE', `/api/v1/sessions/${encodeURIComponent(session.id)}`, { csrf: true })
  if (answer.status !== 204) return
  if (session.current) {
    showSession(null)
    showSessions(null)
  } else await listSessions()
}

/** Asks /api/v1/me who is logged in; a 401 means nobody (other answers leave the state alone). */
async function checkSession() {
  const me = await call('GET', '/api/v1/me')
  if (me.status === 200) {
    showSession(me.json)
    await listSessions()
  } else if (me.status === 401) {
    showSession(null)
    showSessions(null)
  }
  return me
}

/**
 * Runs one user action with the buttons disabled; `data-done` on <body> counts finished actions
 * (the end-to-end test waits on it).
 */
async function act(action) {
  for (const button of ui.buttons) button.disabled = true
  try {
    await action()
  } finally {
    for (const button of ui.buttons) button.disabled = false
    document.body.dataset.done = String(Number(document.body.dataset.done ?? 0) + 1)
  }
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault()
  const data = new FormData(ui.form)
  const credentials = { username: String(data.get('username')), password: String(data.get('password')) }
  act(async () => {
    const login = await call('POST', '/auth', { body: credentials })
    if (login.status !== 200) return
    ui.form.elements.namedItem('password').value = ''
    await checkSession()
  })
})

byId('me').addEventListener('click', () => act(checkSession))

byId('private').addEventListener('click', () =>
  act(async () => {
    const answer = await call('GET', '/api/v1/private')
    if (answer.status === 401) showSession(null)
  }),
)

byId('list-sessions').addEventListener('click', () => act(() => listSessions(false)))

byId('refresh').addEventListener('click', () => act(() => call('POST', '/auth/refresh', { csrf: true })))

byId('logout').addEventListener('click', () =>
  act(async () => {
    const answer = await call('POST', '/auth/revoke', { csrf: true })
    if (answer.status === 204) {
      showSession(null)
      showSessions(null)
    }
  }),
)

// On load the cookies say whether we are logged in. An access cookie outlives the access token
// only briefly, so when it is gone but the session's CSRF cookie is still there, refresh once.
act(async () => {
  const me = await checkSession()
  if (me.status === 401 && csrfValue() !== undefined) {
    const refreshed = await call('POST', '/auth/refresh', { csrf: true })
    if (refreshed.status === 200) await checkSession()
  }
})
