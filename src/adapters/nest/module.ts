/**
 * `JwtGuardModule`: the dynamic module that provides the guard (`JWT_GUARD`), `JwtAuthGuard`, the
 * exception filter and a controller serving the guard's auth routes (`POST /auth`,
 * `/auth/refresh`, `/auth/revoke`, the JWKS when the keys are asymmetric).
 *
 * @module
 */
import {
  Controller,
  type DynamicModule,
  Get,
  Module,
  type ModuleMetadata,
  Post,
  type Provider,
  Req,
  Res,
} from '@nestjs/common'
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, HttpAdapterHost } from '@nestjs/core'
import type { AuthRoute, JwtGuard } from '../../adapter/index.js'
import { createJwtGuard } from '../../core/guard.js'
import type { JwtGuardOptions, MaybePromise } from '../../core/options.js'
import { JwtAuthGuard } from './auth-guard.js'
import { Public } from './decorators.js'
import { JwtGuardExceptionFilter } from './filter.js'
import { JwtIdentityInterceptor } from './identity.js'
import { nodeRequest, readAuthBodies, send, takeBody } from './platform.js'
import { JWT_GUARD, JWT_GUARD_NEST_OPTIONS, type JwtGuardNestOptions, refusals } from './tokens.js'

/** A guard from `createJwtGuard()`, or the options to create one with. */
export type JwtGuardSource = JwtGuard<unknown> | JwtGuardOptions<unknown>

/** Options of `JwtGuardModule.forRootAsync`: a factory of the guard, with its injections. */
export interface JwtGuardModuleAsyncOptions extends JwtGuardNestOptions {
  /** Modules whose providers `useFactory` injects. */
  imports?: ModuleMetadata['imports'] | undefined
  /** The providers passed to `useFactory`, in order. */
  inject?: NonNullable<Extract<Provider, { useFactory: unknown }>['inject']> | undefined
  /** Returns the guard, or the options to create it with. */
  useFactory: (...dependencies: never[]) => MaybePromise<JwtGuardSource>
}

/** The guard itself, or one created (and so validated, at start-up) from options. */
function toGuard(source: JwtGuardSource): JwtGuard<unknown> {
  const isGuard = typeof (source as Partial<JwtGuard<unknown>> | null)?.authenticateRequest === 'function'
  return isGuard ? (source as JwtGuard<unknown>) : createJwtGuard(source as JwtGuardOptions<unknown>)
}

/** Serves one auth route: the raw body read before Nest's parsers, the core's response written as is. */
function serve(route: AuthRoute, realm: string) {
  return async function jwtGuardRoute(request: object, response: unknown): Promise<void> {
    refusals.set(request, realm) // whatever this route throws, the filter renders as the library's
    const raw = nodeRequest(request)
    const read = takeBody(raw)
    if (read === undefined && route.method === 'POST') {
      throw new Error(
        `jwtguard/nest: the body of POST ${route.path} was not read before Nest's parsers: keep the auth routes out of a global prefix (setGlobalPrefix(prefix, { exclude: [...] }))`,
      )
    }
    if (read !== undefined && 'error' in read) throw read.error
    send(
      response,
      await route.handle({
        contentType: read?.contentType ?? raw.headers['content-type'],
        body: read?.body,
        headers: raw.headers,
        remoteAddress: raw.socket.remoteAddress,
      }),
    )
  }
}

/**
 * A controller class of its own per module, whose routes are declared once the guard exists
 * (for `forRootAsync`, when its factory resolves): before Nest explores the routes, at `init()`.
 */
function authController(): new () => object {
  class JwtGuardAuthController {}
  Controller()(JwtGuardAuthController)
  Public()(JwtGuardAuthController)
  return JwtGuardAuthController
}

function declareRoutes(controller: new () => object, guard: JwtGuard<unknown>): void {
  const prototype = controller.prototype as Record<string, unknown>
  guard.routes.forEach((route, index) => {
    const name = `${route.method.toLowerCase()}${index}`
    prototype[name] = serve(route, guard.options.realm)
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name) as PropertyDescriptor
    ;(route.method === 'GET' ? Get : Post)(route.path)(prototype, name, descriptor)
    Req()(prototype, name, 0)
    Res()(prototype, name, 1)
  })
}

/**
 * The jwtguard module. Import it once, in the root module; it is global.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common'
 * import { JwtGuardModule } from 'jwtguard/nest'
 *
 * @Module({
 *   imports: [JwtGuardModule.forRoot({ secret, authenticate, identity }, { globalGuard: true })],
 * })
 * export class AppModule {}
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class; forRoot/forRootAsync are Nest's idiom
export class JwtGuardModule {
  /**
   * The module for a guard, or for the options of one (`createJwtGuard(options)`).
   *
   * @example
   * ```ts
   * import { createJwtGuard } from 'jwtguard'
   * import { JwtGuardModule } from 'jwtguard/nest'
   * JwtGuardModule.forRoot(createJwtGuard({ secret, authenticate, identity }), { globalGuard: true })
   * ```
   */
  static forRoot(source: JwtGuardSource, options: JwtGuardNestOptions = {}): DynamicModule {
    return JwtGuardModule.#build({ provide: JWT_GUARD, useValue: toGuard(source) }, options, [])
  }

  /**
   * The module for a guard made by a factory, with injected providers (a configuration service,
   * a database pool, ...).
   *
   * @example
   * ```ts
   * import { JwtGuardModule } from 'jwtguard/nest'
   * class Settings { secret = process.env.JWT_SECRET_KEY ?? '' }
   * JwtGuardModule.forRootAsync({
   *   inject: [Settings], // a provider of a module in `imports`
   *   useFactory: (settings: Settings) => ({ secret: settings.secret, authenticate, identity }),
   * })
   * ```
   */
  static forRootAsync(options: JwtGuardModuleAsyncOptions): DynamicModule {
    const { imports = [], inject = [], useFactory, ...nestOptions } = options
    if (typeof useFactory !== 'function') {
      throw new TypeError('jwtguard/nest: forRootAsync({ useFactory }) needs a factory of the guard')
    }
    const factory = useFactory as (...dependencies: unknown[]) => MaybePromise<JwtGuardSource>
    const provider: Provider = {
      provide: JWT_GUARD,
      useFactory: async (...dependencies: unknown[]) => toGuard(await factory(...dependencies)),
      inject,
    }
    return JwtGuardModule.#build(provider, nestOptions, imports)
  }

  static #build(
    guard: Provider,
    options: JwtGuardNestOptions,
    imports: ModuleMetadata['imports'],
  ): DynamicModule {
    const controller = authController()
    const mount: Provider = {
      provide: Symbol('jwtguard:routes'),
      useFactory: (resolved: JwtGuard<unknown>, host: HttpAdapterHost) => {
        declareRoutes(controller, resolved)
        const posts = resolved.routes.filter((route) => route.method === 'POST').map((route) => route.path)
        readAuthBodies(host.httpAdapter, new Set(posts), resolved.options.bodyLimit)
        return true
      },
      inject: [JWT_GUARD, HttpAdapterHost],
    }
    const providers: Provider[] = [
      guard,
      { provide: JWT_GUARD_NEST_OPTIONS, useValue: options },
      mount,
      JwtAuthGuard,
      { provide: APP_FILTER, useClass: JwtGuardExceptionFilter },
      { provide: APP_INTERCEPTOR, useClass: JwtIdentityInterceptor },
    ]
    if (options.globalGuard === true) providers.push({ provide: APP_GUARD, useClass: JwtAuthGuard })
    return {
      module: JwtGuardModule,
      global: true,
      imports: imports ?? [],
      controllers: [controller],
      providers,
      exports: [JWT_GUARD, JwtAuthGuard],
    }
  }
}

Module({})(JwtGuardModule)
