/**
 * The decorators of `jwtguard/nest`: what a route requires (`@JwtRequired`, `@JwtOptional`,
 * `@Public`) and what a handler reads (`@Identity`, `@Claims`). A route's options are compiled
 * when the class is declared, so a bad one fails at start-up, never per request.
 *
 * @module
 */
import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common'
import { compileRequirements, type ProtectOptions } from '../../adapter/index.js'
import { JwtAuthGuard } from './auth-guard.js'
import { JWT_ROUTE_METADATA, type JwtAuthenticatedRequest, type JwtRouteMetadata } from './tokens.js'

function route(
  mode: 'required' | 'optional',
  options: ProtectOptions<unknown>,
): MethodDecorator & ClassDecorator {
  compileRequirements(options) // throws a TypeError now for a bad option
  const metadata: JwtRouteMetadata = { mode, options }
  return applyDecorators(SetMetadata(JWT_ROUTE_METADATA, metadata), UseGuards(JwtAuthGuard))
}

/**
 * Admits only requests with a valid access token meeting `options` (roles, scopes, freshness,
 * audience, ...), on a handler or a whole controller; the identity goes to `@Identity()`.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import { JwtRequired } from 'jwtguard/nest'
 *
 * @Controller('api/v1')
 * export class AdminController {
 *   @Get('admin')
 *   @JwtRequired({ roles: ['admin'] })
 *   admin() {
 *     return { admin: true }
 *   }
 * }
 * ```
 */
export function JwtRequired<TRequest = unknown>(
  options: ProtectOptions<TRequest> = {},
): MethodDecorator & ClassDecorator {
  return route('required', options as ProtectOptions<unknown>)
}

/**
 * Sets the identity when a valid token is sent, lets requests without one through, and refuses
 * an invalid one.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import type { RegisteredIdentity } from 'jwtguard'
 * import { Identity, JwtOptional } from 'jwtguard/nest'
 *
 * @Controller()
 * export class GreetingController {
 *   @Get('greeting')
 *   @JwtOptional()
 *   greet(@Identity() who: RegisteredIdentity | undefined) {
 *     return { hello: who ?? 'stranger' }
 *   }
 * }
 * ```
 */
export function JwtOptional<TRequest = unknown>(
  options: ProtectOptions<TRequest> = {},
): MethodDecorator & ClassDecorator {
  return route('optional', options as ProtectOptions<unknown>)
}

/**
 * With the global guard (`JwtGuardModule.forRoot(guard, { globalGuard: true })`), opens a
 * handler or a controller to requests without a token.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import { Public } from 'jwtguard/nest'
 *
 * // With JwtGuardModule.forRoot(guard, { globalGuard: true }): every other route needs a token.
 * @Controller()
 * export class HealthController {
 *   @Get('health')
 *   @Public()
 *   health() {
 *     return { status: 'ok' }
 *   }
 * }
 * ```
 */
export function Public(): MethodDecorator & ClassDecorator {
  const metadata: JwtRouteMetadata = { mode: 'public', options: {} }
  return SetMetadata(JWT_ROUTE_METADATA, metadata)
}

const request = (context: ExecutionContext) => context.switchToHttp().getRequest<JwtAuthenticatedRequest>()

/**
 * The identity of the request (what the guard's `identity` callback returned); `undefined` on an
 * optional route without a token. Type the parameter with `RegisteredIdentity`.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import type { RegisteredIdentity } from 'jwtguard'
 * import { Identity, JwtRequired } from 'jwtguard/nest'
 *
 * @Controller('api/v1')
 * export class MeController {
 *   @Get('me')
 *   @JwtRequired()
 *   me(@Identity() who: RegisteredIdentity) {
 *     return who
 *   }
 * }
 * ```
 */
export const Identity: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => request(context).identity,
)

/**
 * The verified payload of the request's token; `undefined` on an optional route without a token.
 *
 * @example
 * ```ts
 * import { Controller, Get } from '@nestjs/common'
 * import type { JwtPayload } from 'jwtguard'
 * import { Claims, JwtRequired } from 'jwtguard/nest'
 *
 * @Controller('api/v1')
 * export class ClaimsController {
 *   @Get('claims')
 *   @JwtRequired()
 *   claims(@Claims() claims: JwtPayload) {
 *     return { expires: claims.exp }
 *   }
 * }
 * ```
 */
export const Claims: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => request(context).jwtPayload,
)
