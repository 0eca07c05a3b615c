/**
 * `jwtguard/adapter`: the kit for writing an adapter (a framework binding such as
 * `jwtguard/express`) and, in its last part, a token store or a limiter. Applications import
 * `jwtguard` instead; every adapter of the package is built from this kit alone.
 *
 * An adapter does four things, each with one piece of the kit:
 * - **protected routes**: `guard.protect(options, mode)` once per route, then
 *   {@link runProtected} per request, which stays synchronous when the check is;
 * - **the auth routes** (`guard.routes`): {@link serveAuthRoute} answers one for a Web `Request`;
 *   elsewhere, check {@link assertIdentityEncoding}, read the body with {@link readBody} (a Node
 *   stream), call `route.handle(...)` and write its answer with {@link writeNodeResponse};
 * - **errors**: {@link caughtErrorResponse} renders any caught value (the library's errors as
 *   the contract's JSON, anything else logged and a bare 500);
 * - **404 and 405**: {@link unmatchedRoute} from the methods the framework routes on the path.
 *
 * Nothing here imports a Node module, so an adapter for a Web runtime (Workers, Deno, Bun) can
 * use all of it (the request deadline takes AsyncLocalStorage on first use, where the runtime has
 * it). The guide: docs/ADAPTERS.md.
 *
 * @module jwtguard/adapter
 */

// Requests: headers, bodies, peers.
export type { AuthRequest, RawBody } from '../core/body.js'
export { bodyTooLarge, isJsonMediaType, parseJsonObjectBody } from '../core/body.js'
// The identity of a request.
export type { JwtPayload } from '../core/claims.js'
export type { RegisteredIdentity } from '../core/context.js'
export type { ResolvedCookies } from '../core/cookies.js'
// For token stores and limiters: the request's deadline, durations.
export { remainingDeadline, withRequestDeadline } from '../core/deadline.js'
// Responses and errors.
export type { ErrorCode } from '../core/errors.js'
export { isJwtGuardError, JwtGuardError } from '../core/errors.js'
export type { HeaderSource } from '../core/extract.js'
export { readHeader, tokenFromAuthorization } from '../core/extract.js'
export type { Failure, FailureName } from '../core/failures.js'
export { FAILURES, failure } from '../core/failures.js'
// Protected routes.
export type { AuthResult, AuthRoute, JwtGuard, ProtectedRoute, RequestMeta } from '../core/guard.js'
export type { ChallengeContext, ErrorBody, HttpResponse } from '../core/http.js'
export { challengeHeader, errorResponse, jsonResponse, statusOf } from '../core/http.js'
export type { Duration } from '../core/internal/duration.js'
export { toSeconds } from '../core/internal/duration.js'
export type { ProtectOptions, Requirement, RequirementClaims, RouteRequirements } from '../core/protect.js'
export { compileRequirements } from '../core/protect.js'
export type {
  ResolvedCommonOptions,
  ResolvedIssuerOptions,
  ResolvedOptions,
  ResolvedResourceServerOptions,
} from '../core/resolve-options.js'
export {
  allowedMethods,
  assertIdentityEncoding,
  assertJwtGuard,
  caughtErrorResponse,
  encodingUnsupported,
  HTTP_METHODS,
  logToConsole,
  unmatchedRoute,
} from '../core/routes.js'
export { clientAddress } from '../core/throttle.js'
export type { NodeRequestLike } from './body.js'
export { readBody, readNodeRequestBody, readRequestBody, serveAuthRoute } from './body.js'
export type { NodeResponseLike } from './response.js'
export { toWebResponse, writeNodeResponse } from './response.js'
export type { ProtectedCallbacks } from './run.js'
export { runProtected } from './run.js'
