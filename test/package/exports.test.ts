/**
 * Issue 11 item 5: the package's public surface. The names each subpath of the exports map
 * exports (a change here is a change of the public API: update the snapshot on purpose, and the
 * changelog), the shape of the exports map itself, and the API reference covering every subpath.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

type Conditions = { 'jwtguard-source': string; types: string; default: string }
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  exports: Record<string, Conditions | string>
  files: string[]
  type: string
}
const subpaths = Object.keys(manifest.exports).filter((subpath) => subpath !== './package.json')
const specifier = (subpath: string) => (subpath === '.' ? 'jwtguard' : `jwtguard/${subpath.slice(2)}`)

describe('the exports map', () => {
  it('is ESM only, and every subpath has the source, types and default conditions in that order', () => {
    expect(manifest.type).toBe('module')
    expect(manifest.exports['./package.json']).toBe('./package.json')
    for (const subpath of subpaths) {
      const conditions = manifest.exports[subpath] as Conditions
      // `types` must come before `default`: resolution takes the first condition that matches.
      expect(Object.keys(conditions), subpath).toEqual(['jwtguard-source', 'types', 'default'])
      const source = conditions['jwtguard-source']
      expect(source, subpath).toMatch(/^\.\/src\/.+\.ts$/)
      const built = source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '')
      expect(conditions.types, subpath).toBe(`${built}.d.ts`)
      expect(conditions.default, subpath).toBe(`${built}.js`)
    }
  })

  it('every subpath is an entry point of the API reference (typedoc.json)', () => {
    const typedoc = JSON.parse(readFileSync('typedoc.json', 'utf8')) as { entryPoints: string[] }
    const sources = subpaths.map((subpath) => (manifest.exports[subpath] as Conditions)['jwtguard-source'])
    expect([...typedoc.entryPoints].sort()).toEqual(sources.map((source) => source.slice(2)).sort())
  })
})

describe('the names each subpath exports', () => {
  it('match the snapshot', async () => {
    const names: Record<string, string[]> = {}
    for (const subpath of subpaths) {
      const module = (await import(specifier(subpath))) as Record<string, unknown>
      names[specifier(subpath)] = Object.keys(module).sort()
    }
    expect(names).toMatchInlineSnapshot(`
      {
        "jwtguard": [
          "ASYMMETRIC_ALGORITHMS",
          "ECDSA_ALGORITHMS",
          "EDDSA_ALGORITHMS",
          "ERROR_CODES",
          "HMAC_ALGORITHMS",
          "JwtGuardError",
          "KEY_FILE_EXTENSIONS",
          "MIN_RSA_MODULUS_BITS",
          "PSS_ALGORITHMS",
          "RSA_ALGORITHMS",
          "RSA_KEY_ALGORITHMS",
          "createAsymmetricKey",
          "createHmacKey",
          "createJwtGuard",
          "createKeyStore",
          "createRemoteJwks",
          "createRemoteVerifier",
          "createVerifier",
          "currentIdentity",
          "generateAsymmetricKey",
          "isAsymmetricKey",
          "isJwtGuardError",
          "isKeyStore",
          "jwkThumbprint",
          "publicJwkOf",
          "readJwk",
          "readKeyDirectory",
          "readKeyFile",
          "runWithIdentity",
          "secretStrength",
          "signToken",
          "syncKeyDirectory",
          "toJwks",
        ],
        "jwtguard/adapter": [
          "FAILURES",
          "HTTP_METHODS",
          "JwtGuardError",
          "allowedMethods",
          "assertIdentityEncoding",
          "assertJwtGuard",
          "bodyTooLarge",
          "caughtErrorResponse",
          "challengeHeader",
          "clientAddress",
          "compileRequirements",
          "encodingUnsupported",
          "errorResponse",
          "failure",
          "isJsonMediaType",
          "isJwtGuardError",
          "jsonResponse",
          "logToConsole",
          "parseJsonObjectBody",
          "readBody",
          "readHeader",
          "readNodeRequestBody",
          "readRequestBody",
          "remainingDeadline",
          "runProtected",
          "serveAuthRoute",
          "statusOf",
          "toSeconds",
          "toWebResponse",
          "tokenFromAuthorization",
          "unmatchedRoute",
          "withRequestDeadline",
          "writeNodeResponse",
        ],
        "jwtguard/express": [
          "default",
          "jwtGuard",
        ],
        "jwtguard/fastify": [
          "default",
          "frameworkErrors",
          "jwtGuardPlugin",
        ],
        "jwtguard/fetch": [
          "default",
          "jwtGuard",
        ],
        "jwtguard/hono": [
          "default",
          "jwtGuard",
        ],
        "jwtguard/nest": [
          "Claims",
          "Identity",
          "JWT_GUARD",
          "JWT_GUARD_NEST_OPTIONS",
          "JWT_ROUTE_METADATA",
          "JwtAuthGuard",
          "JwtGuardExceptionFilter",
          "JwtGuardModule",
          "JwtOptional",
          "JwtRequired",
          "Public",
        ],
        "jwtguard/stores/memory": [
          "createMemoryStore",
        ],
        "jwtguard/stores/redis": [
          "createRedisStore",
        ],
        "jwtguard/stores/sqlite": [
          "createSqliteStore",
        ],
        "jwtguard/testing": [
          "runAdapterConformance",
          "runTokenStoreConformance",
          "runUserStoreConformance",
        ],
        "jwtguard/throttle": [
          "createLoginLimiter",
          "createRefreshLimiter",
        ],
        "jwtguard/users": [
          "MAX_PASSWORD_LENGTH",
          "createMemoryUserStore",
          "createPasswordHasher",
          "endingSessions",
          "passwordAuthenticator",
          "userLookup",
        ],
        "jwtguard/users/postgres": [
          "createPostgresUserStore",
        ],
        "jwtguard/users/sqlite": [
          "createSqliteUserStore",
          "openSqliteDatabase",
        ],
      }
    `)
  })
})
