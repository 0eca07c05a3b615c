/**
 * The adapter suite's DPoP rows (RFC 9449): a DPoP proof names the request's method and URL, so
 * an adapter must hand both to the core (`runProtected`'s `meta`). The guard of these rows has
 * `dpop.origin` set, so the proof's `htu` is that origin and the path the adapter reports.
 *
 * @module
 */
import { equal } from 'node:assert/strict'
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import type { JwtGuard } from '../core/guard.js'
import type { TestApi } from './api.js'
import { type ContractClient, expectCoreResponse } from './http-checks.js'

/** The origin the suite's DPoP guard is configured with (`dpop.origin`). */
export const DPOP_ORIGIN = 'https://adapter.test'

/** What the DPoP rows need of a stage. */
export interface DpopStage {
  readonly guard: JwtGuard<unknown>
  readonly client: ContractClient
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = publicKey.export({ format: 'jwk' })
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A proof of the suite's key for `method` and `path`, at the guard's clock, hashing `token`. */
function proof(stage: DpopStage, method: string, path: string, token?: string): string {
  const claims: Record<string, unknown> = {
    jti: randomUUID(),
    htm: method,
    htu: `${DPOP_ORIGIN}${path}`,
    iat: Math.floor(stage.guard.options.now()),
  }
  if (token !== undefined) claims.ath = createHash('sha256').update(token).digest('base64url')
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })}.${b64(claims)}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

/** Logs in with a proof: the access token is bound to the suite's key. */
async function boundToken(stage: DpopStage): Promise<string> {
  const response = await stage.client.send('POST', '/auth', {
    headers: { 'content-type': 'application/json', dpop: proof(stage, 'POST', '/auth') },
    body: JSON.stringify({ username: 'masnun', password: 'abc123' }),
  })
  equal(response.status, 200, `POST /auth with a DPoP proof: ${response.text}`)
  return (response.json() as { access_token: string }).access_token
}

/** The DPoP rows: a bound token with its proof opens a route; the method and the path reach the core. */
export function dpopTests(test: TestApi, stage: DpopStage): void {
  test.it('admits a bound token with the DPoP scheme and a proof for this method and path', async () => {
    const token = await boundToken(stage)
    for (const method of ['GET', 'POST']) {
      const headers = { authorization: `DPoP ${token}`, dpop: proof(stage, method, '/protected', token) }
      const response = await stage.client.send(method, '/protected', { headers })
      equal(response.status, 200, `${method} /protected with a DPoP proof: ${response.text}`)
    }
  })

  const rows: [string, string, string][] = [
    ['a proof for GET sent with POST (the method reaches the core)', 'POST', 'GET'],
    ['a proof for another path (the path reaches the core)', 'GET', 'GET /optional'],
  ]
  for (const [what, method, proofFor] of rows) {
    test.it(`refuses ${what} as the core decides`, async () => {
      const token = await boundToken(stage)
      const [htm, path = '/protected'] = proofFor.split(' ') as [string, string | undefined]
      const headers = { authorization: `DPoP ${token}`, dpop: proof(stage, htm, path, token) }
      const response = await stage.client.send(method, '/protected', { headers })
      await expectCoreResponse(stage, response, { headers, method, url: '/protected', expectStatus: 401 })
    })
  }

  test.it('refuses a bound token sent as JWT as the core decides: 401 with the DPoP challenge', async () => {
    const headers = { authorization: `JWT ${await boundToken(stage)}` }
    const response = await stage.client.send('GET', '/protected', { headers })
    await expectCoreResponse(stage, response, { headers, expectStatus: 401 })
  })
}
