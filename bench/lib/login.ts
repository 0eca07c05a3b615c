/** The seed user's login against a running reference server, for the benchmarks that start one. */

const LOGIN = JSON.stringify({ username: 'masnun', password: 'abc123' })

/** `POST /auth` as the seed's user; resolves to the access token, rejects on any other answer. */
export async function seedLogin(base: string): Promise<string> {
  const response = await fetch(`${base}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: LOGIN,
  })
  const body = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || body.access_token === undefined) {
    throw new Error(`POST /auth answered ${response.status}`)
  }
  return body.access_token
}
