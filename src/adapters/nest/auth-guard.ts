/**
 * The `CanActivate` guard of `jwtguard/nest`: reads the route's requirement from its metadata,
 * calls the core's compiled check and leaves the identity on the request. A refusal is thrown as
 * the core's error; the module's exception filter renders it.
 *
 * @module
 */
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import {
  type AuthResult,
  type JwtGuard,
  type ProtectedCallbacks,
  type ProtectedRoute,
  type RegisteredIdentity,
  runProtected,
} from '../../adapter/index.js'
import {
  admitted,
  JWT_GUARD,
  JWT_ROUTE_METADATA,
  type JwtAuthenticatedRequest,
  type JwtRouteMetadata,
  refusals,
} from './tokens.js'

/** The request as both platforms give it: Express's `req` or Fastify's `request`. */
interface PlatformRequest extends JwtAuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>
  method: string
  url: string
  originalUrl?: string
}

type Check = ProtectedRoute<unknown, unknown>

/**
 * Admits a request when the route's requirement (`@JwtRequired`, `@JwtOptional`; with
 * `globalGuard`, a valid token unless `@Public`) is met. Used by the decorators, or directly:
 * `@UseGuards(JwtAuthGuard)` requires a valid token.
 *
 * @example
 * ```ts
 * import { Controller, Get, UseGuards } from '@nestjs/common'
 * import { JwtAuthGuard } from 'jwtguard/nest'
 *
 * // Every route of the controller needs a valid access token.
 * @Controller('api/v1')
 * @UseGuards(JwtAuthGuard)
 * export class PrivateController {
 *   @Get('private')
 *   meaning() {
 *     return { meaning_of_life: 42 }
 *   }
 * }
 * ```
 */
export class JwtAuthGuard implements CanActivate {
  /** One compiled check per route requirement (the metadata object of each decorated route). */
  readonly #checks = new WeakMap<JwtRouteMetadata, Check>()
  readonly #default: Check

  constructor(
    private readonly guard: JwtGuard<unknown>,
    private readonly reflector: Reflector,
  ) {
    this.#default = guard.protect({}, 'required')
  }

  /** Runs the route's check: `true`, or throws the core's error. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new TypeError('jwtguard/nest: JwtAuthGuard guards HTTP routes only')
    }
    const request = context.switchToHttp().getRequest<PlatformRequest>()
    if (admitted.has(request)) return true
    const check = this.#check(context)
    if (check === undefined) return true
    const meta = { method: request.method, url: request.originalUrl ?? request.url }
    return runProtected(check, request.headers, request, meta, CALLBACKS, request, check.realm)
  }

  /** The route's compiled check; `undefined` for a route open to everyone. */
  #check(context: ExecutionContext): Check | undefined {
    const metadata = this.reflector.getAllAndOverride<JwtRouteMetadata | undefined>(JWT_ROUTE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ])
    if (metadata === undefined) return this.#default
    if (metadata.mode === 'public') return undefined
    let check = this.#checks.get(metadata)
    if (check === undefined) {
      check = this.guard.protect(metadata.options, metadata.mode)
      this.#checks.set(metadata, check)
    }
    return check
  }
}

/** Leaves an admitted request's identity on it; leaves a refused one's realm for the filter, which renders the error. */
const CALLBACKS: ProtectedCallbacks<unknown, PlatformRequest, string, true> = {
  onIdentity(result: AuthResult<unknown> | null, request) {
    admitted.add(request)
    if (result !== null) {
      request.identity = result.identity as RegisteredIdentity
      request.jwtPayload = result.payload
    }
    return true
  },
  onError(error, request, realm) {
    refusals.set(request, realm)
    throw error
  },
}

Injectable()(JwtAuthGuard)
Inject(JWT_GUARD)(JwtAuthGuard, undefined, 0)
Inject(Reflector)(JwtAuthGuard, undefined, 1)
