/**
 * The micro benchmark cases: sign and verify per algorithm, ours against each peer and the
 * node:crypto floor. Every case is checked once before it is timed (verify returns the right
 * identity and refuses a tampered token; sign produces a token an independent verifier accepts),
 * so a broken path is never measured.
 */
import { webcrypto } from 'node:crypto'
import { createSigner as fastJwtSigner, createVerifier as fastJwtVerifier } from 'fast-jwt'
import { jwtVerify, SignJWT } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { createHmacKey, createVerifier, signToken } from 'jwtguard'
import {
  type Alg,
  IDENTITY,
  makePayload,
  makeToken,
  pyjwtHeaderSegment,
  SECRET,
  SECRET_KEY,
  signWith,
  tamper,
} from '../lib/fixtures.js'
import { createFloorSigner, createFloorVerifier } from './floor.js'

/** One timed operation. */
export interface MicroCase {
  /** Short, stable id (used in ratios and JSON). */
  id: string
  /** Label for the table. */
  label: string
  async: boolean
  run: () => unknown
  /** Throws when the case does not do its job correctly. */
  check: () => Promise<void>
}

/** Cases timed together (interleaved), and the ratios reported between them. */
export interface MicroGroup {
  id: string
  cases: MicroCase[]
  /** [numerator id, denominator id, target or undefined]. */
  ratios: Array<[string, string, number | undefined]>
}

function identityOf(payload: unknown): unknown {
  return (payload as { identity?: unknown } | null)?.identity
}

/**
 * A copy of `token` in a new string object, as a server gets one per request: V8 keeps a string's
 * hash in the string, so a cache probed with the very same string object would skip the hashing
 * every real lookup pays.
 */
function freshCopy(token: string): string {
  return `${token} `.slice(0, -1)
}

function verifyCase(
  id: string,
  label: string,
  verify: (token: string) => unknown,
  token: string,
  isAsync = false,
  fresh = false,
): MicroCase {
  return {
    id,
    label,
    async: isAsync,
    run: fresh ? () => verify(freshCopy(token)) : () => verify(token),
    async check() {
      const identity = identityOf(await verify(token))
      if (identity !== IDENTITY) throw new Error(`${label}: verify returned identity ${String(identity)}`)
      let refused = false
      try {
        await verify(tamper(token))
      } catch {
        refused = true
      }
      if (!refused) throw new Error(`${label}: a tampered token was accepted`)
    },
  }
}

function signCase(id: string, label: string, sign: () => unknown, alg: Alg, isAsync = false): MicroCase {
  return {
    id,
    label,
    async: isAsync,
    run: sign,
    async check() {
      const token = await sign()
      if (typeof token !== 'string') throw new Error(`${label}: sign returned ${typeof token}`)
      // An independent verifier, with the algorithm pinned.
      const payload = jsonwebtoken.verify(token, SECRET_KEY, { algorithms: [alg] })
      if (identityOf(payload) !== IDENTITY) throw new Error(`${label}: signed token has the wrong identity`)
    },
  }
}

/** Builds every group. Peers are compared on HS256; HS384 and HS512 compare ours with the floor. */
export async function buildGroups(): Promise<MicroGroup[]> {
  const groups: MicroGroup[] = []
  const payload = makePayload()
  const joseKey = await webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  )

  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    const token = makeToken(alg, payload)
    const ourKey = createHmacKey(SECRET, { alg })
    const ours = createVerifier({ keys: [ourKey] })
    const floor = createFloorVerifier(alg)
    const verifyCases: MicroCase[] = [
      verifyCase('ours', 'jwtguard createVerifier', ours, token),
      verifyCase('floor', 'node:crypto floor', floor, token),
    ]
    const floorSign = createFloorSigner(alg)
    const signCases: MicroCase[] = [
      signCase('ours', 'jwtguard signToken', () => signToken(payload, ourKey), alg),
      signCase('floor', 'node:crypto floor', () => floorSign(payload), alg),
    ]
    const verifyRatios: MicroGroup['ratios'] = [['ours', 'floor', 0.95]]
    const signRatios: MicroGroup['ratios'] = [['ours', 'floor', undefined]]

    if (alg === 'HS256') {
      // What Flask-JWT (PyJWT 1.x) issues: same claims, header keys in the other order.
      const pyjwtToken = signWith(pyjwtHeaderSegment(alg), payload, alg)
      verifyCases.splice(1, 0, verifyCase('ours-pyjwt', 'jwtguard, PyJWT-ordered header', ours, pyjwtToken))
      // The verified-token cache: a hit skips decoding and the signature, never the claims.
      const oursCached = createVerifier({ keys: [ourKey], cache: { maxEntries: 1000 } })
      verifyCases.splice(
        2,
        0,
        verifyCase('ours-cache', 'jwtguard createVerifier (cache hit)', oursCached, token, false, true),
      )
      const fastNoCache = fastJwtVerifier({ key: SECRET, algorithms: [alg], cache: false })
      const fastCache = fastJwtVerifier({ key: SECRET, algorithms: [alg], cache: true })
      verifyCases.push(
        verifyCase('fast-jwt', 'fast-jwt (no cache)', fastNoCache, token),
        verifyCase('fast-jwt-cache', 'fast-jwt (cache hit)', fastCache, token, false, true),
        verifyCase(
          'jsonwebtoken',
          'jsonwebtoken (KeyObject)',
          (t) => jsonwebtoken.verify(t, SECRET_KEY, { algorithms: [alg] }),
          token,
        ),
        verifyCase(
          'jose',
          'jose jwtVerify (async)',
          (t) => jwtVerify(t, joseKey, { algorithms: [alg] }).then((r) => r.payload),
          token,
          true,
        ),
      )
      verifyRatios.push(
        ['ours', 'fast-jwt', 1.25],
        ['ours', 'fast-jwt-cache', undefined],
        ['ours-cache', 'fast-jwt-cache', 1.0],
        ['ours', 'jsonwebtoken', undefined],
        ['ours', 'jose', undefined],
        ['ours-pyjwt', 'ours', undefined],
        ['fast-jwt', 'floor', undefined],
      )
      const fastSign = fastJwtSigner({ key: SECRET, algorithm: alg })
      signCases.push(
        signCase('fast-jwt', 'fast-jwt createSigner', () => fastSign(payload), alg),
        signCase(
          'jsonwebtoken',
          'jsonwebtoken (KeyObject)',
          () => jsonwebtoken.sign(payload, SECRET_KEY, { algorithm: alg }),
          alg,
        ),
        signCase(
          'jose',
          'jose SignJWT (async)',
          () => new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(joseKey),
          alg,
          true,
        ),
      )
      signRatios.push(
        ['ours', 'fast-jwt', 1.25],
        ['ours', 'jsonwebtoken', undefined],
        ['ours', 'jose', undefined],
      )
    }
    groups.push({ id: `${alg} verify`, cases: verifyCases, ratios: verifyRatios })
    groups.push({ id: `${alg} sign`, cases: signCases, ratios: signRatios })
  }
  // Verify groups first, then sign groups, HS256 first.
  return groups.sort((a, b) => Number(a.id.endsWith('sign')) - Number(b.id.endsWith('sign')))
}
