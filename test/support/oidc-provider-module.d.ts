/**
 * The little of oidc-provider's API the tests use (the package ships no types; @types/oidc-provider
 * is not a dependency): a Koa app whose `callback()` is a Node request listener.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface ResourceServer {
    audience: string
    scope: string
    accessTokenFormat?: 'opaque' | 'jwt'
    accessTokenTTL?: number
    jwt?: { sign?: { alg?: string } }
  }

  export interface Configuration {
    clients?: Record<string, unknown>[]
    jwks?: { keys: unknown[] }
    scopes?: string[]
    features?: {
      clientCredentials?: { enabled: boolean }
      devInteractions?: { enabled: boolean }
      dPoP?: { enabled: boolean }
      resourceIndicators?: {
        enabled: boolean
        defaultResource?: (ctx: unknown) => string | undefined
        useGrantedResource?: (ctx: unknown) => boolean
        getResourceServerInfo?: (ctx: unknown, resource: string, client: unknown) => ResourceServer
      }
    }
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration)
    callback(): (request: IncomingMessage, response: ServerResponse) => void
  }
}
