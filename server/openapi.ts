/**
 * The reference server's OpenAPI 3.1 document, served at `GET /openapi.json`. It is built from the
 * guard: the routes it really mounts (refresh and revoke only with a store, the JWKS only for
 * asymmetric keys), each written from its own metadata (`AuthRoute.name`, `AuthRoute.failures`);
 * the configured header prefix, cookie and CSRF names, body limit and field names; and error
 * examples rendered by the guard from the core's failure table, so they are the bytes the server
 * sends.
 */
import { createRequire } from 'node:module'
import type { JwtGuard } from 'jwtguard'
import { apiPaths } from './openapi/api-operations.js'
import { authPaths } from './openapi/auth-operations.js'
import { components } from './openapi/components.js'
import { docContext } from './openapi/context.js'
import { securitySchemes } from './openapi/security.js'
import type { OpenApiDocument } from './openapi/types.js'

export { OPENAPI_PATH } from './openapi/api-operations.js'
export type { OpenApiDocument, Operation, ResponseObject, Schema } from './openapi/types.js'

// Through the package's own name: the same file from server/ (sources) and build/server/ (compiled).
const PACKAGE = createRequire(import.meta.url)('jwtguard/package.json') as { version: string }

/** Builds the document of `guard`'s routes and of the reference server's own routes. */
export function buildOpenApiDocument(guard: JwtGuard<unknown>): OpenApiDocument {
  const ctx = docContext(guard)
  return {
    openapi: '3.1.0',
    info: {
      title: 'jwtguard reference server',
      version: PACKAGE.version,
      description:
        "The seed's API (Flask-JWT's tutorial) on jwtguard: log in at `POST /auth`, send the access token as `Authorization: JWT <token>`. Every error, on every route, is JSON `{status_code, error, description}` with `status_code` equal to the HTTP status.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [
      { name: 'auth', description: 'Tokens: log in, refresh, log out.' },
      { name: 'api', description: 'Protected resources.' },
      { name: 'keys', description: 'Public keys for resource servers.' },
      { name: 'server', description: 'Unprotected routes of the server.' },
    ],
    paths: { ...authPaths(ctx), ...apiPaths(ctx) },
    components: { ...components(ctx), securitySchemes: securitySchemes(ctx) },
  }
}
