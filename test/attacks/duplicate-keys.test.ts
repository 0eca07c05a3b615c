/**
 * Duplicate JSON member names. RFC 7519 §4: a parser must reject them or keep the lexically last;
 * JSON.parse keeps the last, and so does every check here, because checks read the parsed object,
 * never the text. So a duplicate cannot smuggle a value past a check: the value verified IS the
 * value checked and returned. (A parser differential with another service remains possible; see
 * SECURITY.md.)
 */
import { describe, expect, it } from 'vitest'
import {
  API,
  type AttackRow,
  apiGuard,
  asyncCodeOf,
  codeOf,
  describeHttp,
  expectRefused,
  hs,
  runAcceptedTable,
  runAttackTable,
  T0,
} from './support.js'

const PAST = T0 - 1000
const FUTURE = T0 + 300
const rest = `"iat":${T0},"nbf":${T0}`
const token = (payload: string, header = '{"alg":"HS256","typ":"JWT"}') => hs(header, payload)

describe('RFC 7519 §4 duplicate claim names (ruby-jwt#713): the last one is the one checked', () => {
  // @see https://www.rfc-editor.org/rfc/rfc7519#section-4
  runAcceptedTable([
    {
      name: 'exp past then future',
      token: token(`{"exp":${PAST},${rest},"identity":123,"exp":${FUTURE}}`),
      claims: { exp: FUTURE },
    },
    {
      name: 'exp past then future, the second spelled \\u0065xp',
      token: token(`{"exp":${PAST},${rest},"identity":123,"\\u0065xp":${FUTURE}}`),
      claims: { exp: FUTURE },
    },
    {
      name: 'identity 999 then 123',
      token: token(`{"exp":${FUTURE},${rest},"identity":999,"identity":123}`),
      claims: { identity: 123 },
    },
    {
      name: 'type refresh then access',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"type":"refresh","type":"access"}`),
      claims: { type: 'access' },
    },
    {
      name: 'header alg none then HS256',
      token: token(`{"exp":${FUTURE},${rest},"identity":123}`, '{"alg":"none","alg":"HS256"}'),
      claims: { exp: FUTURE },
    },
  ])
  const rows: AttackRow[] = [
    {
      name: 'exp future then past',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"exp":${PAST}}`),
      code: 'ERR_TOKEN_EXPIRED',
    },
    {
      name: 'exp future then a string',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"exp":"${FUTURE}"}`),
      code: 'ERR_CLAIM_INVALID',
    },
    {
      name: 'exp future then null',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"exp":null}`),
      code: 'ERR_CLAIM_INVALID',
    },
    {
      name: 'nbf now then far future',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"nbf":${T0 + 100_000}}`),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    {
      name: 'type access then refresh',
      token: token(`{"exp":${FUTURE},${rest},"identity":123,"type":"access","type":"refresh"}`),
      code: 'ERR_TOKEN_TYPE_INVALID',
    },
    {
      name: 'header alg HS256 then none',
      token: token(`{"exp":${FUTURE},${rest},"identity":123}`, '{"alg":"HS256","alg":"none"}'),
      code: 'ERR_ALG_NOT_ALLOWED',
    },
    {
      name: 'header crit absent then present',
      token: token(`{"exp":${FUTURE},${rest},"identity":123}`, '{"alg":"HS256","crit":["x"],"x":1,"x":2}'),
      code: 'ERR_CRIT_UNSUPPORTED',
    },
  ]
  runAttackTable(rows)

  it('the returned payload is the checked one: exp past then future verifies with the future exp', () => {
    const payload = API.verify(token(`{"exp":${PAST},${rest},"exp":${FUTURE}}`))
    expect(payload.exp).toBe(FUTURE)
    expect(Object.keys(payload).filter((key) => key === 'exp')).toHaveLength(1)
  })

  describeHttp((app) => {
    it('identity 123 then 999: the identity loaded is 999, who does not exist', async () => {
      await expectRefused(
        app(),
        `JWT ${token(`{"exp":${FUTURE},${rest},"identity":123,"identity":999}`)}`,
        {
          status: 401,
          error: 'Invalid JWT',
          description: 'User does not exist',
        },
        '/api/v1/me',
      )
    })
  })
})

describe('a "__proto__" member is data, never a prototype', () => {
  const guard = apiGuard()
  const polluting = token(
    `{"exp":${FUTURE},${rest},"identity":123,"__proto__":{"roles":["admin"],"scope":"admin","fresh":true,"aud":"billing","iss":"https://issuer.example"}}`,
  )

  it('verifies without polluting Object.prototype', () => {
    const payload = guard.verify(polluting)
    expect(Object.hasOwn(payload, '__proto__')).toBe(true)
    expect(payload.roles).toBeUndefined()
    expect(({} as Record<string, unknown>).roles).toBeUndefined()
    expect(({} as Record<string, unknown>).fresh).toBeUndefined()
  })
  it.each([
    ['roles', { roles: ['admin'] }, 'ERR_INSUFFICIENT_SCOPE'],
    ['scopes', { scopes: ['admin'] }, 'ERR_INSUFFICIENT_SCOPE'],
    ['fresh', { fresh: true }, 'ERR_TOKEN_NOT_FRESH'],
    ['audience', { audience: 'billing' }, 'ERR_CLAIM_INVALID'],
    ['issuer', { issuer: 'https://issuer.example' }, 'ERR_CLAIM_INVALID'],
  ] as const)('grants no %s through the prototype', async (_name, options, code) => {
    const route = guard.protect(options)
    expect(await asyncCodeOf(route.authenticate({ authorization: `JWT ${polluting}` }))).toBe(code)
  })
  it('a "constructor" or "toString" claim is data too', () => {
    const payload = guard.verify(
      token(`{"exp":${FUTURE},${rest},"constructor":1,"toString":"x","hasOwnProperty":null}`),
    )
    expect(payload).toMatchObject({ constructor: 1, toString: 'x' })
    expect(codeOf(() => guard.verify(token(`{"exp":${FUTURE},${rest},"valueOf":{}}`)))).toBe('OK')
  })
})
