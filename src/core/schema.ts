/**
 * Runtime validation of verified claims through any Standard Schema (zod, valibot, arktype...),
 * with no dependency on any of them. The interface is the spec's, copied as the spec asks.
 *
 * @see https://standardschema.dev
 * @module
 */
import type { JwtPayload } from './claims.js'
import { JwtGuardError } from './errors.js'

/** The Standard Schema v1 interface. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    /** Validates `value`: the schema's output, or the issues. */
    readonly validate: (
      value: unknown,
    ) => StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** The types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** What `validate` returns. */
  type Result<Output> = SuccessResult<Output> | FailureResult
  /** A value that passed: `value` is the schema's output. */
  interface SuccessResult<Output> {
    readonly value: Output
    readonly issues?: undefined
  }
  /** A value that failed, with its issues. */
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>
  }
  /** One reason a value failed, and where. */
  interface Issue {
    readonly message: string
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined
  }
  /** One step of an issue's path. */
  interface PathSegment {
    readonly key: PropertyKey
  }
  /** The output type of a schema. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output']
}

function pathOf(issue: StandardSchemaV1.Issue): string {
  const segments = (issue.path ?? []).map((segment) =>
    String(typeof segment === 'object' && segment !== null ? segment.key : segment),
  )
  return segments.length === 0 ? '(payload)' : segments.join('.')
}

/**
 * Validates a verified payload. A mismatch is `ERR_CLAIM_INVALID` naming the claim's path, never
 * its value (nor the schema's message, which may quote the value).
 *
 * Internal: not exported from the package.
 */
export async function validateWithSchema<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  payload: JwtPayload,
): Promise<Output> {
  const result = await schema['~standard'].validate(payload)
  if (result.issues !== undefined) {
    const claim = result.issues[0] === undefined ? '(payload)' : pathOf(result.issues[0])
    throw new JwtGuardError('ERR_CLAIM_INVALID', `Token claim "${claim}" does not match the schema`, {
      claim,
    })
  }
  return result.value
}

/**
 * True for values that implement Standard Schema v1.
 *
 * Internal: not exported from the package.
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.[
    '~standard'
  ]
  return standard?.version === 1 && typeof standard.validate === 'function'
}
