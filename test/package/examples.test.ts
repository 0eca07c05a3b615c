/**
 * Issue 11 item 4: each app in examples/ runs as a user runs it (its own process, through tsx, on
 * a free port) and serves the seed's curl session: login, then /api/v1/private and /api/v1/me with
 * the token, 401 without it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { socketRequest } from '../support/http.js'

const SECRET = 'examples-test-secret-with-at-least-32-bytes'

/** Starts `file` with PORT=0 and resolves to the address it prints. */
function start(file: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--conditions=jwtguard-source', '--import', 'tsx', file], {
    // examples/tsconfig.json: the root one leaves examples/ out, and NestJS needs its decorators.
    env: { ...process.env, PORT: '0', JWT_SECRET_KEY: SECRET, TSX_TSCONFIG_PATH: 'examples/tsconfig.json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${output}`)), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve({ child, address: match[1] })
      }
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited with ${code}:\n${output}`))
    })
  })
}

const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    await new Promise((resolve) => {
      child.once('exit', resolve)
      child.kill('SIGTERM')
    })
  }
})

describe.each(['fastify', 'express', 'hono', 'nest'])('examples/%s/app.ts', (framework) => {
  it("serves the seed's login and protected routes", async () => {
    const { child, address } = await start(`examples/${framework}/app.ts`)
    children.push(child)
    const request = (method: string, path: string, init?: Parameters<typeof socketRequest>[3]) =>
      socketRequest(address, method, path, init)

    const anonymous = await request('GET', '/api/v1/private')
    expect(anonymous.status).toBe(401)
    expect(anonymous.json()).toEqual({
      status_code: 401,
      error: 'Authorization Required',
      description: 'Request does not contain an access token',
    })
    expect(anonymous.headers['www-authenticate']).toBe('JWT realm="Login Required"')

    const wrong = await request('POST', '/auth', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'masnun', password: 'wrong' }),
    })
    expect(wrong.status).toBe(401)

    const login = await request('POST', '/auth', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
    })
    expect(login.status).toBe(200)
    const tokens = login.json() as { access_token: string; refresh_token: string }
    expect(tokens.refresh_token).toEqual(expect.any(String))
    const authorization = `JWT ${tokens.access_token}`

    const meaning = await request('GET', '/api/v1/private', { headers: { authorization } })
    expect(meaning.status).toBe(200)
    expect(meaning.json()).toEqual({ meaning_of_life: 42 })
    const me = await request('GET', '/api/v1/me', { headers: { authorization } })
    expect(me.json()).toEqual({ user_id: 123 })

    const revoke = await request('POST', '/auth/revoke', { headers: { authorization } })
    expect(revoke.status).toBe(204)
    const revoked = await request('GET', '/api/v1/private', { headers: { authorization } })
    expect(revoked.status).toBe(401)
    expect((revoked.json() as { description: string }).description).toBe('Token has been revoked')

    const unknown = await request('GET', '/nowhere')
    expect(unknown.status).toBe(404)
  })
})
