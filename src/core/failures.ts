/**
 * The core's table of failures: every refusal the guard and its routes answer with, by name, with
 * its stable code and its client-safe description. Throw sites build errors from it
 * ({@link failure}); the auth routes name the failures they can answer (`AuthRoute.failures`), and
 * documentation (the reference server's OpenAPI, docs/CONTRACT.md) renders them from here, so a
 * description is written once.
 *
 * @module
 */
import { type ErrorCode, JwtGuardError, type JwtGuardErrorDetails } from './errors.js'

/** One failure: its code (which decides the HTTP status) and its description. */
export interface Failure {
  readonly code: ErrorCode
  readonly message: string
  /** When the route answers it, in a few words (for documentation). */
  readonly summary: string
}

const row = (code: ErrorCode, message: string, summary: string): Failure => ({ code, message, summary })

/** Every named failure. */
export const FAILURES = {
  // Finding the token
  tokenMissing: row('ERR_TOKEN_MISSING', 'Request does not contain an access token', 'No token'),
  schemeUnsupported: row(
    'ERR_AUTH_SCHEME_UNSUPPORTED',
    'Unsupported authorization type',
    'Another scheme (Basic, say)',
  ),
  headerTokenMissing: row('ERR_AUTH_HEADER_MALFORMED', 'Token missing', 'The scheme without a token'),
  headerSpaces: row('ERR_AUTH_HEADER_MALFORMED', 'Token contains spaces', 'A token with spaces'),
  // Verifying it
  tokenTooLarge: row('ERR_TOKEN_TOO_LARGE', 'Token is too large', 'A token over maxTokenSize'),
  notThreeSegments: row('ERR_TOKEN_MALFORMED', 'Token must have three segments', 'Not a JWS'),
  notCanonical: row('ERR_TOKEN_MALFORMED', 'Token is not canonical base64url', 'Bad base64url'),
  critUnsupported: row(
    'ERR_CRIT_UNSUPPORTED',
    'Token has unsupported critical header parameters',
    'An unknown critical header',
  ),
  payloadEncoding: row(
    'ERR_CRIT_UNSUPPORTED',
    'Token uses an unsupported payload encoding',
    'An unencoded payload (b64: false)',
  ),
  keyUnknown: row('ERR_KEY_NOT_FOUND', 'Token key id is unknown', 'A key id the keys do not have'),
  keyIdMissing: row('ERR_KEY_NOT_FOUND', 'Token has no key id', 'No key id where one is needed'),
  algNotAllowed: row('ERR_ALG_NOT_ALLOWED', 'Token algorithm is not allowed', 'Another algorithm'),
  signature: row('ERR_SIGNATURE_INVALID', 'Signature verification failed', 'Bad signature'),
  expired: row('ERR_TOKEN_EXPIRED', 'Signature has expired', 'Expired'),
  notBeforeNbf: row('ERR_TOKEN_NOT_YET_VALID', 'Token is not yet valid (nbf)', 'Not valid yet'),
  notBeforeIat: row('ERR_TOKEN_NOT_YET_VALID', 'Token is not yet valid (iat)', 'Issued in the future'),
  expectedRefresh: row('ERR_TOKEN_TYPE_INVALID', 'Expected a refresh token', 'An access token instead'),
  expectedAccess: row('ERR_TOKEN_TYPE_INVALID', 'Expected an access token', 'A refresh token instead'),
  issuerUnknown: row(
    'ERR_CLAIM_INVALID',
    'Token issuer is not accepted',
    'An issuer none of the key sets pins (multi-tenant)',
  ),
  typNotAccepted: row(
    'ERR_TOKEN_TYPE_INVALID',
    'Token type (typ) is not accepted',
    'A token of another type (its typ header)',
  ),
  // Admitting it
  csrfMismatch: row('ERR_CSRF_INVALID', 'CSRF token does not match', 'A wrong CSRF header'),
  revoked: row('ERR_TOKEN_REVOKED', 'Token has been revoked', 'Revoked'),
  userNotFound: row('ERR_USER_NOT_FOUND', 'User does not exist', 'The identity callback found no user'),
  notFresh: row('ERR_TOKEN_NOT_FRESH', 'Fresh token required', 'A refreshed token on a fresh-only route'),
  // The token routes
  invalidCredentials: row('ERR_INVALID_CREDENTIALS', 'Invalid credentials', 'Invalid credentials'),
  refreshBody: row(
    'ERR_BODY_MALFORMED',
    'Request body must be {"refresh_token": "<token>"}',
    'No refresh_token in the body',
  ),
  refreshIncomplete: row(
    'ERR_TOKEN_MALFORMED',
    'Refresh token lacks its id or family',
    'A refresh token without jti or fam',
  ),
  refreshNoIdentity: row(
    'ERR_CLAIM_INVALID',
    'Refresh token lacks an identity',
    'A refresh token without an identity',
  ),
  refreshReused: row(
    'ERR_TOKEN_REVOKED',
    'Refresh token reuse detected: the session has been revoked',
    'A spent refresh token sent again',
  ),
  refreshUnknown: row(
    'ERR_TOKEN_REVOKED',
    'Refresh token is unknown or expired',
    'A refresh token the store does not know',
  ),
  otherIdentity: row(
    'ERR_TOKEN_TYPE_INVALID',
    'Refresh token belongs to another identity',
    'Tokens of two identities',
  ),
  // Sessions (the session list of the current user)
  sessionNotFound: row(
    'ERR_SESSION_NOT_FOUND',
    'No such session of the current user',
    'No live session of the current user with that id',
  ),
  // Request bodies (the token routes)
  mediaType: row(
    'ERR_MEDIA_TYPE_UNSUPPORTED',
    'Request body must be JSON (Content-Type: application/json)',
    'Not JSON',
  ),
  encodingUnsupported: row(
    'ERR_MEDIA_TYPE_UNSUPPORTED',
    'Content-Encoding is not supported: send the JSON body uncompressed',
    'Compressed',
  ),
  bodyNotUtf8: row('ERR_BODY_MALFORMED', 'Request body is not valid UTF-8', 'Not UTF-8'),
  bodyEmpty: row('ERR_BODY_MALFORMED', 'Request body is empty', 'Empty'),
  bodyNotJson: row('ERR_BODY_MALFORMED', 'Request body is not valid JSON', 'Malformed JSON'),
  requestSchema: row(
    'ERR_BODY_MALFORMED',
    "Request does not match the route's schema",
    "A body, query or parameters the route's schema refuses",
  ),
  bodyNotObject: row(
    'ERR_BODY_MALFORMED',
    'Request body must be a JSON object',
    'A JSON value that is not an object',
  ),
  // Throttling and backends
  tooManyLogins: row('ERR_TOO_MANY_REQUESTS', 'Too many failed login attempts, try again later', 'Throttled'),
  tooManyRefreshes: row(
    'ERR_TOO_MANY_REQUESTS',
    'Too many token refreshes, try again later',
    'Too many refreshes',
  ),
  storeUnavailable: row('ERR_STORE_UNAVAILABLE', 'Token store unavailable', 'Store down'),
  loginsBusy: row(
    'ERR_SERVER_BUSY',
    'Too many logins in progress, try again shortly',
    'Password checks queued past their limit',
  ),
  userStoreUnavailable: row('ERR_STORE_UNAVAILABLE', 'User store unavailable', 'User store down'),
  // DPoP (RFC 9449)
  dpopProofMissing: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof is missing', 'No DPoP header'),
  dpopProofMultiple: row('ERR_DPOP_PROOF_INVALID', 'Exactly one DPoP proof is allowed', 'Two DPoP headers'),
  dpopProofMalformed: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof is malformed', 'Not a JWS'),
  dpopProofType: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof typ must be dpop+jwt', 'Another typ'),
  dpopProofAlg: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof algorithm is not allowed', 'HS256, none, ...'),
  dpopProofKey: row(
    'ERR_DPOP_PROOF_INVALID',
    'DPoP proof jwk must be a public asymmetric key',
    'No jwk, a private or symmetric one',
  ),
  dpopProofSignature: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof signature is invalid', 'Bad signature'),
  dpopProofClaims: row(
    'ERR_DPOP_PROOF_INVALID',
    'DPoP proof lacks a required claim (jti, htm, htu, iat)',
    'A claim missing',
  ),
  dpopProofMethod: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof htm does not match the request', 'Wrong htm'),
  dpopProofUrl: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof htu does not match the request', 'Wrong htu'),
  dpopProofTime: row(
    'ERR_DPOP_PROOF_INVALID',
    'DPoP proof iat is outside the accepted window',
    'A stale or future proof',
  ),
  dpopProofReplayed: row('ERR_DPOP_PROOF_INVALID', 'DPoP proof has been used before', 'A replayed jti'),
  dpopProofAth: row(
    'ERR_DPOP_PROOF_INVALID',
    'DPoP proof ath does not match the access token',
    'No or a wrong ath',
  ),
  dpopBoundAsBearer: row(
    'ERR_DPOP_BINDING_INVALID',
    'Token is bound to a DPoP key: send it with the DPoP scheme and a proof',
    'A DPoP-bound token sent as JWT or Bearer',
  ),
  dpopKeyMismatch: row('ERR_DPOP_BINDING_INVALID', 'Invalid DPoP key binding', 'A proof of another key'),
  dpopUnbound: row(
    'ERR_DPOP_BINDING_INVALID',
    'Token is not bound to a DPoP key',
    'An unbound token where DPoP is required',
  ),
  dpopNonce: row('ERR_DPOP_NONCE_REQUIRED', 'DPoP proof must carry the server nonce', 'No or a stale nonce'),
  // Routing
  methodNotAllowed: row(
    'ERR_METHOD_NOT_ALLOWED',
    'The method is not allowed for the requested URL.',
    'Another method',
  ),
  routeNotFound: row(
    'ERR_ROUTE_NOT_FOUND',
    'The requested URL was not found on the server.',
    'No such route',
  ),
} as const satisfies Record<string, Failure>

/** The description of a body over `limit` bytes (`ERR_BODY_TOO_LARGE`). */
export const bodyTooLargeMessage = (limit: number): string => `Request body exceeds ${limit} bytes`

/** The name of a failure in {@link FAILURES}. */
export type FailureName = keyof typeof FAILURES

/**
 * The error for a named failure.
 *
 * @example
 * ```ts
 * import { failure } from 'jwtguard/adapter'
 * const error = failure('expired', { claim: 'exp' }) // JwtGuardError ERR_TOKEN_EXPIRED 'Signature has expired'
 * ```
 */
export function failure(name: FailureName, details?: JwtGuardErrorDetails): JwtGuardError {
  const { code, message } = FAILURES[name]
  return new JwtGuardError(code, message, details)
}
