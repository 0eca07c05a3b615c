/**
 * The auth object: Flask-JWT's `JWT(app, authenticate, identity)` without the app. It issues and
 * verifies tokens, handles the login route and renders errors; the adapters only translate.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { type AuthRequest, parseJsonObjectBody } from './body.js'
import type { JwtPayload } from './claims.js'
import { runWithIdentity } from './context.js'
import { JwtGuardError } from './errors.js'
import { type HeaderSource, readHeader, tokenFromAuthorization } from './extract.js'
import { errorResponse, type HttpResponse, jsonResponse } from './http.js'
import {
  type AuthenticatedUser,
  type JwtGuardOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { signToken } from './sign.js'
import { clientAddress, type LoginAttempt } from './throttle.js'
import { createVerifier, type VerifyFunction } from './verify.js'

/** What a protected request resolves to. */
export interface AuthResult<TIdentity> {
  identity: TIdentity
  payload: JwtPayload
}

/** A route the adapters mount; its handler takes the raw body and returns the full response. */
export interface AuthRoute {
  method: 'POST'
  path: string
  handle(request: AuthRequest): Promise<HttpResponse>
}

/** Options of a protected route (`jwtRequired`). */
export interface ProtectOptions {
  /**
   * Realm of this route's challenge.
   * @default the guard's realm
   */
  realm?: string | undefined
}

/** The object returned by {@link createJwtGuard}. */
export interface JwtGuard<TIdentity> {
  /** The validated options with defaults applied. */
  readonly options: Readonly<ResolvedOptions>
  /** The routes to mount (`POST /auth`), empty when `authPath` is `false`. */
  readonly routes: readonly AuthRoute[]
  /** Issues an access token for a user returned by `authenticate`. */
  createAccessToken(user: AuthenticatedUser): string
  /** Verifies an access token: signature first, then claims. Throws a {@link JwtGuardError}. */
  verify(token: string): JwtPayload
  /** Extracts and verifies the request's token and loads its identity. */
  authenticateRequest(headers: HeaderSource): Promise<AuthResult<TIdentity>>
  /** The response for any error, with the challenge of `realm` (default: the guard's). */
  errorResponse(error: unknown, realm?: string): HttpResponse
  /** Runs `callback` with `identity` as {@link currentIdentity}. */
  runWithIdentity<R>(identity: unknown, callback: () => R): R
  /** The `405` error for a method other than those in `allow`. */
  methodNotAllowed(allow: readonly string[]): JwtGuardError
  /** The `404` error for an unknown route. */
  notFound(): JwtGuardError
}

function userId(user: AuthenticatedUser): string | number {
  const id = (user as { id?: unknown } | null)?.id
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new TypeError('authenticate() must return an object with an id (string or number), or null')
  }
  return id
}

/**
 * Creates the auth object. Every option is validated here.
 *
 * @example
 * ```ts
 * import { createJwtGuard } from 'jwtguard'
 * const guard = createJwtGuard({
 *   secret: process.env.JWT_SECRET_KEY!,
 *   authenticate: async (username, password) => (await users.check(username, password)) ?? null,
 *   identity: (payload) => ({ user_id: payload.identity }),
 * })
 * ```
 */
export function createJwtGuard<TIdentity>(options: JwtGuardOptions<TIdentity>): JwtGuard<TIdentity> {
  const resolved = resolveOptions(options)
  const { key, now, headerPrefix, realm, identityClaim } = resolved
  const verifyToken: VerifyFunction = createVerifier({
    keys: [key],
    leeway: resolved.leeway,
    requiredClaims: resolved.requiredClaims,
    maxTokenSize: resolved.maxTokenSize,
    now,
  })
  const authenticate = options.authenticate
  const loadIdentity = options.identity
  const extract =
    options.tokenExtractor ??
    ((headers: HeaderSource) => tokenFromAuthorization(readHeader(headers, 'authorization'), headerPrefix))

  function createAccessToken(user: AuthenticatedUser): string {
    const issuedAt = Math.floor(now())
    const defaults: JwtPayload = {
      exp: issuedAt + resolved.expiresIn,
      iat: issuedAt,
      nbf: issuedAt + resolved.notBefore,
      jti: randomUUID(),
      [identityClaim]: userId(user),
    }
    const payload = options.payloadHandler ? options.payloadHandler(user, defaults) : defaults
    return signToken(payload, key)
  }

  const limiter = options.loginLimiter

  async function login(request: AuthRequest): Promise<HttpResponse> {
    const body = parseJsonObjectBody(request, resolved.bodyLimit)
    const username = body[resolved.usernameKey]
    const password = body[resolved.passwordKey]
    if (
      typeof username !== 'string' ||
      typeof password !== 'string' ||
      username === '' ||
      password === '' ||
      Object.keys(body).length !== 2
    ) {
      throw new JwtGuardError('ERR_INVALID_CREDENTIALS', 'Invalid credentials')
    }
    let attempt: LoginAttempt | undefined
    if (limiter !== undefined) {
      attempt = {
        username,
        clientAddress: clientAddress(request.headers, request.remoteAddress, resolved.trustedProxies),
      }
      await limiter.check(attempt)
    }
    const user = await authenticate(username, password)
    if (user === null || user === undefined) {
      if (attempt !== undefined) await limiter?.recordFailure(attempt)
      throw new JwtGuardError('ERR_INVALID_CREDENTIALS', 'Invalid credentials')
    }
    if (attempt !== undefined) await limiter?.recordSuccess(attempt)
    const tokens = { access_token: createAccessToken(user) }
    const responseBody = options.authResponseHandler ? options.authResponseHandler(tokens, user) : tokens
    return jsonResponse(200, responseBody)
  }

  return {
    options: resolved,
    routes: resolved.authPath === false ? [] : [{ method: 'POST', path: resolved.authPath, handle: login }],
    createAccessToken,
    verify: (token) => verifyToken(token, 'access'),
    async authenticateRequest(headers) {
      const token = extract(headers)
      if (token === undefined) {
        throw new JwtGuardError('ERR_TOKEN_MISSING', 'Request does not contain an access token')
      }
      const payload = verifyToken(token, 'access')
      const identity = await loadIdentity(payload)
      if (identity === null || identity === undefined) {
        throw new JwtGuardError('ERR_USER_NOT_FOUND', 'User does not exist')
      }
      return { identity, payload }
    },
    errorResponse(error, routeRealm = realm) {
      const response = errorResponse(error, { scheme: headerPrefix, realm: routeRealm })
      return options.errorHandler ? options.errorHandler(response, error) : response
    },
    runWithIdentity: runWithIdentity,
    methodNotAllowed: (allow) =>
      new JwtGuardError('ERR_METHOD_NOT_ALLOWED', 'The method is not allowed for the requested URL.', {
        allow,
      }),
    notFound: () =>
      new JwtGuardError('ERR_ROUTE_NOT_FOUND', 'The requested URL was not found on the server.'),
  }
}
