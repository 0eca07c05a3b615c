/**
 * A DPoP proof's JWS (RFC 9449 §4.2 and §4.3, checks 1 to 6): exactly one, a well-formed JWT of
 * `typ` `dpop+jwt`, an asymmetric algorithm of the allow-list, a `jwk` header that is a public key
 * and nothing else, and a signature by that key. Keys are read once per distinct header: the
 * same client sends the same header on every request.
 *
 * @module
 */
import { type AsymmetricKey, createAsymmetricKey } from '../asymmetric.js'
import { failure } from '../failures.js'
import { decodeCanonicalBase64url } from '../internal/base64url.js'
import { jwkThumbprint, readJwk } from '../jwk.js'
import type { DpopAlgorithm } from './options.js'

/** A proof whose signature verified: its payload, and the thumbprint (`jkt`) of its key. */
export interface SignedProof {
  payload: Record<string, unknown>
  /** RFC 7638 SHA-256 thumbprint of the proof's public key, base64url. */
  jkt: string
}

/** The largest proof read: a proof with an RSA-4096 key is about 1.5 KB. */
const MAX_PROOF_SIZE = 8192
/** Members of a JWK that only a private or symmetric key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

interface ProofKey {
  key: AsymmetricKey
  jkt: string
}

/** Verifies proofs' JWS; keys of the last `cacheSize` distinct headers are kept. */
export function createProofVerifier(
  algorithms: readonly DpopAlgorithm[],
  cacheSize = 1000,
): (proof: string) => SignedProof {
  const allowed = new Set<string>(algorithms)
  const keys = new Map<string, ProofKey>()

  function keyFor(headerSegment: string): ProofKey {
    const cached = keys.get(headerSegment)
    if (cached !== undefined) return cached
    const header = parseSegment(headerSegment)
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') {
      throw failure('dpopProofType')
    }
    if (typeof header.alg !== 'string' || !allowed.has(header.alg)) throw failure('dpopProofAlg')
    if (header.crit !== undefined) throw failure('dpopProofMalformed')
    const key = publicKeyOf(header.jwk, header.alg as DpopAlgorithm)
    const found = { key, jkt: jwkThumbprint(key.publicKey) }
    if (keys.size >= cacheSize) keys.delete(keys.keys().next().value as string)
    keys.set(headerSegment, found)
    return found
  }

  return function verifyProofSignature(proof) {
    if (typeof proof !== 'string' || proof.length > MAX_PROOF_SIZE) throw failure('dpopProofMalformed')
    const first = proof.indexOf('.')
    const second = proof.indexOf('.', first + 1)
    if (first <= 0 || second <= first + 1 || proof.indexOf('.', second + 1) !== -1) {
      throw failure('dpopProofMalformed')
    }
    const { key, jkt } = keyFor(proof.slice(0, first))
    const signature = decodeCanonicalBase64url(proof.slice(second + 1))
    if (signature === undefined || !key.verify(proof.slice(0, second), signature)) {
      throw failure('dpopProofSignature')
    }
    return { payload: parseSegment(proof.slice(first + 1, second)), jkt }
  }
}

function parseSegment(segment: string): Record<string, unknown> {
  const bytes = decodeCanonicalBase64url(segment)
  if (bytes === undefined) throw failure('dpopProofMalformed')
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw failure('dpopProofMalformed', { cause: error })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw failure('dpopProofMalformed')
  return value as Record<string, unknown>
}

/**
 * The proof's `jwk` header as a verification key for `alg`: an RSA, EC or OKP public key, never
 * one with private or symmetric members (RFC 9449 §4.3 check 6), of a type and size `alg` takes.
 */
function publicKeyOf(jwk: unknown, alg: DpopAlgorithm): AsymmetricKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw failure('dpopProofKey')
  const members = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((member) => members[member] !== undefined)) throw failure('dpopProofKey')
  try {
    // The JWK's own `alg`, if any, is not trusted: the header's, checked against the key, decides.
    const { publicKey } = readJwk({ ...members, alg: undefined }, { publicOnly: true })
    return createAsymmetricKey(publicKey, { alg: alg === 'Ed25519' ? 'EdDSA' : alg, kid: null })
  } catch (error) {
    throw failure('dpopProofKey', { cause: error })
  }
}
