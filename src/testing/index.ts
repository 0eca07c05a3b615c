/**
 * `jwtguard/testing`: the conformance kits, so a third party can prove a store or an adapter
 * (a DynamoDB token store, a Koa binding) behaves as jwtguard's own do. The same suites run
 * jwtguard's memory, SQLite and Redis token stores, its memory, SQLite and PostgreSQL user
 * stores, and its Fastify, Express, Hono, fetch and NestJS adapters.
 *
 * The kits depend on no test runner: pass your runner's `describe`, `it` and hooks
 * ({@link TestApi}); assertions are `node:assert/strict`, whose `AssertionError` every runner
 * reports. Load this subpath only from tests: it is not part of an application.
 *
 * @module jwtguard/testing
 */
export type { AdapterSubject, AdapterTarget, ContractReply } from './adapter.js'
export { runAdapterConformance } from './adapter.js'
export type { TestApi } from './api.js'
export type { TokenStoreHarness, TokenStoreSubject } from './token-store.js'
export { runTokenStoreConformance } from './token-store.js'
export type { UserStoreSubject } from './user-store.js'
export { runUserStoreConformance } from './user-store.js'
