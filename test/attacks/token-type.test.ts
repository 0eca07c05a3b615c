/**
 * Tokens of one type used as another (RFC 8725 §3.11, explicit typing). A refresh token carries
 * `type: "refresh"` and is never an access token; an access token (`type` absent, as in Flask-JWT,
 * or exactly "access") is never a refresh token. Any other marker is refused, compared exactly.
 */
import { describe, expect, it } from 'vitest'
import {
  type AttackRow,
  describeHttp,
  expectRefused,
  HS256,
  hs,
  JSON_HEADERS,
  runAcceptedTable,
  runAttackTable,
  SEED_LOGIN,
  seedClaims,
} from './support.js'

const typed = (type: unknown) => hs(HS256, seedClaims({ type, jti: 'j-1', fam: 'f-1' }))

describe('RFC 8725 §3.11 (no advisory against the JS libraries): a refresh token replayed as an access token', () => {
  // @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11
  const rows: AttackRow[] = (
    [
      ['type "refresh"', 'refresh'],
      ['type "Refresh"', 'Refresh'],
      ['type "ACCESS"', 'ACCESS'],
      ['type "access " (trailing space)', 'access '],
      ['type "id_token"', 'id_token'],
      ['type ""', ''],
      ['type null', null],
      ['type ["access"]', ['access']],
      ['type 1', 1],
      ['type true', true],
      ['type {"access":true}', { access: true }],
    ] as Array<[string, unknown]>
  ).map(([name, type]) => ({
    name: `${name} as an access token`,
    token: typed(type),
    code: 'ERR_TOKEN_TYPE_INVALID',
  }))
  runAttackTable(rows)

  runAcceptedTable([
    { name: 'type "access"', token: typed('access'), claims: { type: 'access' } },
    { name: 'no type (Flask-JWT)', token: hs(HS256, seedClaims()), claims: { identity: 123 } },
  ])

  describeHttp((app) => {
    const refresh = (token: string) =>
      app().request('POST', '/auth/refresh', {
        headers: JSON_HEADERS,
        body: JSON.stringify({ refresh_token: token }),
      })

    it('the refresh token from a login is refused as an access token', async () => {
      const login = await app().request('POST', '/auth', { headers: JSON_HEADERS, body: SEED_LOGIN })
      const pair = login.json() as { access_token: string; refresh_token: string }
      // Its typ header (refresh+jwt) is refused before its signature is even checked.
      await expectRefused(app(), `JWT ${pair.refresh_token}`, {
        status: 401,
        error: 'Invalid token',
        description: 'Token type (typ) is not accepted',
      })
      const response = await refresh(pair.access_token)
      expect(response.status).toBe(401)
      expect(response.json()).toEqual({
        status_code: 401,
        error: 'Invalid token',
        description: 'Token type (typ) is not accepted',
      })
    })

    it.each([
      ['a Flask-JWT access token', hs(HS256, seedClaims()), 'Token type (typ) is not accepted'],
      ['type "access"', typed('access'), 'Token type (typ) is not accepted'],
      ['type "Refresh"', typed('Refresh'), 'Token type (typ) is not accepted'],
      ['type ["refresh"]', typed(['refresh']), 'Token type (typ) is not accepted'],
      // Typed as a refresh token but signed with the secret itself, as jwtguard 0.1 signed them:
      // refresh tokens are signed with a key derived from the secret, so this signature fails.
      [
        'type "refresh", typ refresh+jwt, under the secret',
        hs({ alg: 'HS256', typ: 'refresh+jwt' }, seedClaims({ type: 'refresh', jti: 'j-1', fam: 'f-1' })),
        'Signature verification failed',
      ],
    ])('%s is refused at /auth/refresh', async (_name, token, description) => {
      const response = await refresh(token)
      expect(response.status).toBe(401)
      expect(response.json()).toMatchObject({ error: 'Invalid token', description })
      expect(response.text).not.toContain(token)
    })
  })
})
