/**
 * DPoP (RFC 9449), both ends: proof verification, the resource-server step of protected routes
 * and the binding of issued tokens. Internal: the guard wires it from its `dpop` option.
 *
 * @module
 */
export { boundClaims, createDpopBinder, type DpopBinder } from './binding.js'
export { accessTokenHash } from './claims.js'
export { boundKey, createDpopGate, type DpopGate } from './gate.js'
export { normaliseHtu } from './htu.js'
export {
  DPOP_ALGORITHMS,
  type DpopAlgorithm,
  type DpopMode,
  type DpopNonceOptions,
  type DpopOptions,
  type ResolvedDpop,
  resolveDpop,
} from './options.js'
export { createDpopVerifier, type DpopVerifier } from './verifier.js'
