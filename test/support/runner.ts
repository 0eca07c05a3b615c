/**
 * Vitest's functions in the shape the conformance kits of `jwtguard/testing` take. Assigning them
 * here is also the type test that Vitest's own signatures fit `TestApi`.
 */
import type { TestApi } from 'jwtguard/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest'

export const VITEST: TestApi = { describe, it, beforeEach, afterEach, beforeAll, afterAll }
