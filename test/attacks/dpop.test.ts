/**
 * DPoP (RFC 9449) attacks: proofs a client library never makes, sent by an attacker who holds a
 * stolen token, or a token without its key. Each is refused with its code through the public API
 * (clock frozen at T0) and, for what an HTTP client can send, with the `WWW-Authenticate: DPoP`
 * challenge on every framework: `cnf` stripping (a bound token sent as JWT or Bearer), proof reuse
 * across URLs, methods and tokens, proofs signed with HS256 or `none`, a private key in the `jwk`
 * header, psychic signatures, and the header games of RFC 9449 §4.3.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-4.3
 * @see https://www.rfc-editor.org/rfc/rfc9449#section-11
 */
import {
  createHash,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto'
import { createJwtGuard, type ErrorCode, type JwtGuard } from 'jwtguard'
import { createMemoryStore } from 'jwtguard/stores/memory'
import { passwordAuthenticator } from 'jwtguard/users'
import { describe, expect, it } from 'vitest'
import {
  apiGuard,
  asyncCodeOf,
  b64url,
  describeHttp,
  expectNoLeak,
  HS256,
  hs,
  leakCandidates,
  type SeedIdentity,
  seedClaims,
  seedIdentity,
  T0,
  TEST_SECRET,
} from './support.js'

const ORIGIN = 'http://localhost'
const ME = `${ORIGIN}/api/v1/me`
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const publicJwk = ec.publicKey.export({ format: 'jwk' }) as JsonWebKey
const jkt = thumbprint(publicJwk)

function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
  return createHash('sha256').update(canonical).digest('base64url')
}

/** The seed user's access token bound to the test key (or to `bound`), signed as the server signs. */
const boundToken = (bound = jkt, extra: Record<string, unknown> = {}) =>
  hs(HS256, seedClaims({ cnf: { jkt: bound }, ...extra }))
const TOKEN = boundToken()

interface ProofParts {
  header?: Record<string, unknown>
  claims?: Record<string, unknown>
  /** Signs the input; default ES256 with the test key. */
  signer?: (input: string) => string
}

/** A proof crafted by hand (node:crypto only): any header, any claims, any signature. */
function proof({ header = {}, claims = {}, signer }: ProofParts = {}, token = TOKEN): string {
  const fullHeader = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk, ...header }
  const payload = {
    jti: randomUUID(),
    htm: 'GET',
    htu: ME,
    iat: T0,
    ath: createHash('sha256').update(token).digest('base64url'),
    ...claims,
  }
  const input = `${b64url(fullHeader)}.${b64url(payload)}`
  return `${input}.${(signer ?? es256(ec.privateKey))(input)}`
}

const es256 = (key: KeyObject) => (input: string) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')

const guard = apiGuard({ dpop: 'allowed', store: createMemoryStore({ now: () => T0, pruneInterval: 0 }) })
const route = guard.protect()

/** What the API answers for a request to GET /api/v1/me with these headers. */
function codeFor(headers: Record<string, string>, url = ME, method = 'GET', on = route) {
  return asyncCodeOf(() => on.authenticate(new Headers(headers), undefined, { method, url }))
}
const withProof = (dpop: string, token = TOKEN) => ({ authorization: `DPoP ${token}`, dpop })

interface Row {
  name: string
  headers: Record<string, string>
  code: ErrorCode
}

const rsaSmall = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ed = generateKeyPairSync('ed25519')

const ROWS: Row[] = [
  {
    name: 'a bound token sent as JWT (cnf stripping by scheme)',
    headers: { authorization: `JWT ${TOKEN}`, dpop: proof() },
    code: 'ERR_DPOP_BINDING_INVALID',
  },
  {
    name: 'a bound token sent as JWT without a proof',
    headers: { authorization: `JWT ${TOKEN}` },
    code: 'ERR_DPOP_BINDING_INVALID',
  },
  {
    name: 'a proof signed with HS256 over the public jwk',
    headers: withProof(
      proof({
        header: { alg: 'HS256' },
        signer: (input) => createHmac('sha256', String(publicJwk.x)).update(input).digest('base64url'),
      }),
    ),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof signed with HS256 and an oct jwk',
    headers: withProof(
      proof({
        header: { alg: 'HS256', jwk: { kty: 'oct', k: b64url('k'.repeat(32)) } },
        signer: (input) => createHmac('sha256', 'k'.repeat(32)).update(input).digest('base64url'),
      }),
    ),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof with alg none and no signature',
    headers: withProof(proof({ header: { alg: 'none' }, signer: () => '' })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof carrying its private key (d) in the jwk header',
    headers: withProof(proof({ header: { jwk: ec.privateKey.export({ format: 'jwk' }) } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof of typ JWT',
    headers: withProof(proof({ header: { typ: 'JWT' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof without a jwk header',
    headers: withProof(proof({ header: { jwk: undefined } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof whose alg (RS256) does not fit its EC key',
    headers: withProof(proof({ header: { alg: 'RS256' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof with a 1024-bit RSA key',
    headers: withProof(
      proof({
        header: { alg: 'RS256', jwk: rsaSmall.publicKey.export({ format: 'jwk' }) },
        signer: (input) => sign('sha256', Buffer.from(input), rsaSmall.privateKey).toString('base64url'),
      }),
    ),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a psychic signature (r = s = 0)',
    headers: withProof(proof({ signer: () => Buffer.alloc(64).toString('base64url') })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a DER-encoded ECDSA signature',
    headers: withProof(
      proof({ signer: (input) => sign('sha256', Buffer.from(input), ec.privateKey).toString('base64url') }),
    ),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof signed by another key than its jwk',
    headers: withProof(proof({ header: { alg: 'EdDSA', jwk: ed.publicKey.export({ format: 'jwk' }) } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof with a critical header',
    headers: withProof(proof({ header: { crit: ['exp'], exp: 1 } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'two DPoP headers',
    headers: { authorization: `DPoP ${TOKEN}`, dpop: `${proof()}, ${proof()}` },
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for another URL (reuse across URLs)',
    headers: withProof(proof({ claims: { htu: `${ORIGIN}/api/v1/private` } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for https where the request came over http',
    headers: withProof(proof({ claims: { htu: 'https://localhost/api/v1/me' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for another host',
    headers: withProof(proof({ claims: { htu: 'http://localhost.evil.example/api/v1/me' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for a path prefix',
    headers: withProof(proof({ claims: { htu: `${ORIGIN}/api/v1/m` } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for POST sent with GET',
    headers: withProof(proof({ claims: { htm: 'POST' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof with htm in lower case',
    headers: withProof(proof({ claims: { htm: 'get' } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof for another access token (ath of another token)',
    headers: withProof(proof({}, boundToken(jkt, { jti: 'another' }))),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof without ath',
    headers: withProof(proof({ claims: { ath: undefined } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof issued 2 minutes before now',
    headers: withProof(proof({ claims: { iat: T0 - 120 } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof issued a minute in the future',
    headers: withProof(proof({ claims: { iat: T0 + 60 } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof whose iat is a string',
    headers: withProof(proof({ claims: { iat: String(T0) } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof without jti',
    headers: withProof(proof({ claims: { jti: undefined } })),
    code: 'ERR_DPOP_PROOF_INVALID',
  },
  {
    name: 'a proof of a valid key the token is not bound to',
    headers: withProof(proof({}, boundToken('someone-else')), boundToken('someone-else')),
    code: 'ERR_DPOP_BINDING_INVALID',
  },
  {
    name: 'an unbound token with the DPoP scheme and a valid proof',
    headers: withProof(proof({}, hs(HS256, seedClaims())), hs(HS256, seedClaims())),
    code: 'ERR_DPOP_BINDING_INVALID',
  },
  {
    name: 'a token with a cnf of another kind (x5t#S256)',
    headers: { authorization: `JWT ${hs(HS256, seedClaims({ cnf: { 'x5t#S256': 'abc' } }))}` },
    code: 'ERR_DPOP_BINDING_INVALID',
  },
]

describe('DPoP attacks through the public API (clock frozen at T0)', () => {
  it.each(ROWS)('$name: $code', async ({ headers, code }) => {
    expect(await codeFor(headers)).toBe(code)
  })

  it('accepts the honest proof, and only once (replayed jti)', async () => {
    const honest = proof()
    expect(await codeFor(withProof(honest))).toBe('OK')
    expect(await codeFor(withProof(honest))).toBe('ERR_DPOP_PROOF_INVALID')
  })

  it('refuses a proof used at one URL when sent again to another (reuse across URLs)', async () => {
    const once = proof({ claims: { htu: `${ORIGIN}/api/v1/private` } })
    expect(await codeFor(withProof(once), `${ORIGIN}/api/v1/private`)).toBe('OK')
    expect(await codeFor(withProof(once))).toBe('ERR_DPOP_PROOF_INVALID')
  })

  it.each([
    ['upper-case scheme and host, the default port', 'HTTP://LOCALHOST:80/api/v1/me'],
    ['a query and a fragment (left out of the comparison)', `${ME}?page=2#top`],
  ])('accepts an htu that only differs by %s (RFC 9449 §4.3)', async (_what, htu) => {
    expect(await codeFor(withProof(proof({ claims: { htu } })))).toBe('OK')
  })

  it('refuses a bound token on a guard without the dpop option, whatever the scheme', async () => {
    const plain = apiGuard().protect()
    expect(await codeFor({ authorization: `JWT ${TOKEN}` }, ME, 'GET', plain)).toBe(
      'ERR_DPOP_BINDING_INVALID',
    )
    expect(await codeFor(withProof(proof()), ME, 'GET', plain)).toBe('ERR_AUTH_SCHEME_UNSUPPORTED')
  })

  it('refuses a bound token sent as Bearer where Bearer is the scheme', async () => {
    const bearer = apiGuard({ dpop: 'allowed', headerPrefix: 'Bearer' }).protect()
    expect(await codeFor({ authorization: `Bearer ${TOKEN}`, dpop: proof() }, ME, 'GET', bearer)).toBe(
      'ERR_DPOP_BINDING_INVALID',
    )
  })
})

/** A guard for the HTTP rows: the seed's, with DPoP allowed. */
function dpopSeedGuard(context: Parameters<typeof seedIdentity>[0]): JwtGuard<SeedIdentity> {
  return createJwtGuard<SeedIdentity>({
    secret: TEST_SECRET,
    store: context.tokens,
    dpop: 'allowed',
    authenticate: passwordAuthenticator(context.users),
    identity: seedIdentity(context),
  })
}

const HTTP_ROWS = ROWS.filter(({ name }) =>
  [
    'a bound token sent as JWT (cnf stripping by scheme)',
    'a proof signed with HS256 over the public jwk',
    'a proof with alg none and no signature',
    'a proof carrying its private key (d) in the jwk header',
    'a proof for another URL (reuse across URLs)',
  ].includes(name),
)

describeHttp((app) => {
  it.each(HTTP_ROWS)('$name: 401 with a DPoP challenge, nothing echoed', async ({ headers, code }) => {
    // The HTTP apps run on the real clock: the row's proof is re-made for now, same forgery.
    const response = await app().request('GET', '/api/v1/me', { headers: refreshIat(headers) })
    expect(response.status).toBe(401)
    const error = code === 'ERR_DPOP_BINDING_INVALID' ? 'invalid_token' : 'invalid_dpop_proof'
    expect(response.headers['www-authenticate']).toMatch(
      new RegExp(`^DPoP realm="Login Required", error="${error}"`),
    )
    expect(Object.keys(response.json() as object).sort()).toEqual(['description', 'error', 'status_code'])
    for (const value of Object.values(headers)) expectNoLeak(response, leakCandidates(value))
  })
}, dpopSeedGuard)

/** The same headers with the proof's `iat` moved to now (the forgery is kept: only time changes). */
function refreshIat(headers: Record<string, string>): Record<string, string> {
  const skew = Math.floor(Date.now() / 1000) - T0
  if (skew === 0 || headers.dpop === undefined) return headers
  const [head, body, signature] = headers.dpop.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { iat: number }
  const moved = `${head}.${b64url({ ...claims, iat: claims.iat + skew })}`
  // Re-signed the way the row signed it: only an ES256 row's signature is recomputed.
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg: string }
  const resigned = header.alg === 'ES256' ? es256(ec.privateKey)(moved) : signature
  return { ...headers, dpop: `${moved}.${resigned}` }
}
