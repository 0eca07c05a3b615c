/**
 * The Map store proving itself with jwtguard's token-store conformance suite, on Node's own test
 * runner (no Vitest, no Jest): `node --import tsx --test examples/custom-store/conformance.test.ts`.
 * With Vitest or Jest, pass their `describe`, `it`, `beforeEach`, `afterEach`, `beforeAll` and
 * `afterAll` instead.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { runTokenStoreConformance } from 'jwtguard/testing'
import { createMapStore } from './map-store.js'

runTokenStoreConformance(
  { describe, it, beforeEach, afterEach, beforeAll: before, afterAll: after },
  {
    name: 'a Map store of a third party',
    // Each test gets new Maps: nothing is shared between two `open` calls (`shared: false`).
    setup: () => ({ open: (now) => createMapStore({ now }) }),
  },
)
