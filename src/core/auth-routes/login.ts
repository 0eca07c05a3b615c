/**
 * `POST /auth`: Flask-JWT's login. Credentials in, a new session's tokens out; an unknown user
 * and a wrong password answer alike. Throttled per account and per client when a limiter is set.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { type AuthRequest, parseJsonObjectBody } from '../body.js'
import type { DpopBinder } from '../dpop/index.js'
import { failure } from '../failures.js'
import type { SessionIssuer } from '../guard/issuer.js'
import type { SessionResponses } from '../guard/session-response.js'
import { requestDetails } from '../guard/sessions.js'
import type { AuthRoute } from '../guard/types.js'
import type { HttpResponse } from '../http.js'
import type { AuthenticatedUser, IssuingOptions } from '../options.js'
import type { ResolvedIssuerOptions } from '../resolve-options.js'
import { clientAddress, type LoginAttempt } from '../throttle.js'

/** What the login route is built from. */
export interface LoginParts {
  options: Pick<ResolvedIssuerOptions, 'bodyLimit' | 'usernameKey' | 'passwordKey' | 'trustedProxies'>
  callbacks: Pick<IssuingOptions, 'authenticate' | 'authResponseHandler' | 'loginLimiter'>
  issuer: SessionIssuer
  responses: SessionResponses
  /** The DPoP step: the proof's key the session is bound to. */
  dpop?: DpopBinder | undefined
}

/** The login route at `path`. */
export function loginRoute(path: string, parts: LoginParts): AuthRoute {
  return {
    name: 'login',
    method: 'POST',
    path,
    failures: ['invalidCredentials'],
    handle: (request) => login(request, parts, path),
  }
}

async function login(request: AuthRequest, parts: LoginParts, path: string): Promise<HttpResponse> {
  const { options, callbacks, issuer, responses } = parts
  const { username, password } = credentials(request, options)
  const jkt = await parts.dpop?.login(request, path)
  const limiter = callbacks.loginLimiter
  const attempt: LoginAttempt | undefined =
    limiter === undefined
      ? undefined
      : {
          username,
          clientAddress: clientAddress(request.headers, request.remoteAddress, options.trustedProxies),
        }
  if (attempt !== undefined) await limiter?.check(attempt)
  const user = await authenticateOrRelease(callbacks, username, password, attempt)
  if (user === null || user === undefined) {
    if (attempt !== undefined) await limiter?.recordFailure(attempt)
    throw failure('invalidCredentials')
  }
  if (attempt !== undefined) await limiter?.recordSuccess(attempt)
  const { tokens, csrf } = await issuer.issueSession(user, {
    fresh: true,
    familyId: randomUUID(),
    details: requestDetails(request, options.trustedProxies),
    jkt,
  })
  const handler = callbacks.authResponseHandler
  const body = handler === undefined ? tokens : handler(tokens, user)
  return responses.issued(tokens, csrf, body)
}

/** Exactly the two configured fields, both non-empty strings; anything else is bad credentials. */
function credentials(
  request: AuthRequest,
  options: LoginParts['options'],
): { username: string; password: string } {
  const body = parseJsonObjectBody(request, options.bodyLimit)
  const username = body[options.usernameKey]
  const password = body[options.passwordKey]
  if (
    typeof username !== 'string' ||
    typeof password !== 'string' ||
    username === '' ||
    password === '' ||
    Object.keys(body).length !== 2
  ) {
    throw failure('invalidCredentials')
  }
  return { username, password }
}

/**
 * `authenticate`, and when it throws (its user store is down, say) the attempt `check` counted
 * is released: an outage is not a wrong password.
 */
async function authenticateOrRelease(
  callbacks: LoginParts['callbacks'],
  username: string,
  password: string,
  attempt: LoginAttempt | undefined,
): Promise<AuthenticatedUser | null | undefined> {
  try {
    return await callbacks.authenticate(username, password)
  } catch (error) {
    if (attempt !== undefined) await callbacks.loginLimiter?.recordAborted?.(attempt).catch(() => undefined)
    throw error
  }
}
