/**
 * What every part of the OpenAPI document is written from: the guard's resolved options and its
 * own rendering of the core's failures, so every error example is the bytes the server sends.
 */
import {
  compileRequirements,
  FAILURES,
  type FailureName,
  failure,
  isJwtGuardError,
  type JwtGuard,
  type JwtGuardError,
  type ResolvedCookies,
  type ResolvedIssuerOptions,
} from 'jwtguard/adapter'
import type { Examples, Schema } from './types.js'

export const JSON_TYPE = 'application/json'

export const ref = (kind: 'schemas' | 'responses' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
})

/** An example of an error the guard renders. */
export type ErrorExample = FailureName | { summary: string; error: JwtGuardError }

/** The guard as the document sees it. */
export interface DocContext {
  guard: JwtGuard<unknown>
  /** The first accepted scheme. */
  prefix: string
  /** Every accepted scheme (`Bearer` and `JWT` for the reference server in resource-server mode). */
  schemes: readonly string[]
  realm: string
  bodyLimit: number
  /** Set in cookie mode. */
  cookies: ResolvedCookies | undefined
  /** Set when tokens may come in the query. */
  queryParam: string | undefined
  hasStore: boolean
  /** The issuer's options; `undefined` for a resource server (it mounts no token routes). */
  issuer: ResolvedIssuerOptions | undefined
  /** The rendered body and headers of an error. */
  rendered(error: unknown): { body: unknown; headers: Record<string, string> }
  /** JSON content of the error schema with these examples. */
  errorContent(examples: Record<string, ErrorExample>): Record<string, { schema: Schema; examples: Examples }>
}

export function docContext(guard: JwtGuard<unknown>): DocContext {
  const { options } = guard
  const rendered = (error: unknown) => {
    const response = guard.errorResponse(error)
    return { body: JSON.parse(response.body ?? 'null') as unknown, headers: response.headers }
  }
  const toError = (example: ErrorExample) =>
    typeof example === 'string' ? { summary: FAILURES[example].summary, error: failure(example) } : example
  return {
    guard,
    prefix: options.headerPrefix,
    schemes: options.headerSchemes,
    realm: options.realm,
    bodyLimit: options.bodyLimit,
    cookies: options.tokenLocation.includes('cookies') ? options.cookies : undefined,
    queryParam: options.tokenLocation.includes('query') ? options.queryParam : undefined,
    hasStore: guard.store !== undefined,
    issuer: options.mode === 'issuer' ? options : undefined,
    rendered,
    errorContent: (examples) => ({
      [JSON_TYPE]: {
        schema: ref('schemas', 'Error'),
        examples: Object.fromEntries(
          Object.entries(examples).map(([name, example]) => {
            const { summary, error } = toError(example)
            return [name, { summary, value: rendered(error).body }]
          }),
        ),
      },
    }),
  }
}

/** The error a route requirement raises for a token without `roles`: the core's own words. */
export function missingRolesError(roles: string[]): JwtGuardError {
  try {
    compileRequirements({ roles }).check({}, undefined)
  } catch (error) {
    if (isJwtGuardError(error)) return error
  }
  throw new TypeError('a roles requirement admitted a token without roles')
}
