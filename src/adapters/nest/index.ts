/**
 * `jwtguard/nest`: NestJS 12 on @nestjs/platform-express or @nestjs/platform-fastify. A dynamic
 * module serves the auth routes, a `CanActivate` guard and decorators protect routes, and an
 * exception filter renders every refusal as the contract's JSON with its `WWW-Authenticate`
 * challenge; every HTTP decision is the core's.
 *
 * @example
 * ```ts
 * @Controller('api/v1')
 * class ApiController {
 *   @Get('me')
 *   @JwtRequired()
 *   me(@Identity() who: RegisteredIdentity) {
 *     return who
 *   }
 * }
 *
 * @Module({
 *   imports: [JwtGuardModule.forRoot({ secret, authenticate, identity })],
 *   controllers: [ApiController],
 * })
 * class AppModule {}
 * ```
 *
 * @module jwtguard/nest
 */

export { JwtAuthGuard } from './auth-guard.js'
export { Claims, Identity, JwtOptional, JwtRequired, Public } from './decorators.js'
export { JwtGuardExceptionFilter } from './filter.js'
export type { JwtGuardModuleAsyncOptions, JwtGuardSource } from './module.js'
export { JwtGuardModule } from './module.js'
export type { JwtAuthenticatedRequest, JwtGuardNestOptions, JwtRouteMetadata } from './tokens.js'
export { JWT_GUARD, JWT_GUARD_NEST_OPTIONS, JWT_ROUTE_METADATA } from './tokens.js'
