/**
 * The interceptor that makes `currentIdentity()` work in Nest handlers, for guards created with
 * `currentIdentity: true`: the handler runs inside the core's `runWithIdentity`.
 *
 * @module
 */
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common'
import { Observable } from 'rxjs'
import type { JwtGuard } from '../../adapter/index.js'
import { JWT_GUARD, type JwtAuthenticatedRequest } from './tokens.js'

/** Installed by `JwtGuardModule` (`APP_INTERCEPTOR`): runs an admitted request's handler with its identity. */
export class JwtIdentityInterceptor implements NestInterceptor {
  constructor(private readonly guard: JwtGuard<unknown>) {}

  /** The handler's stream, subscribed (so the handler called) inside `runWithIdentity`. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.guard.options.currentIdentity || context.getType() !== 'http') return next.handle()
    const { identity } = context.switchToHttp().getRequest<JwtAuthenticatedRequest>()
    if (identity === undefined) return next.handle()
    return new Observable((subscriber) =>
      this.guard.runWithIdentity(identity, () => next.handle().subscribe(subscriber)),
    )
  }
}

Injectable()(JwtIdentityInterceptor)
Inject(JWT_GUARD)(JwtIdentityInterceptor, undefined, 0)
