/**
 * Server-provided DPoP nonces (RFC 9449 §8 and §9), stateless: a nonce is a time slot and its
 * HMAC under a key derived from the configured secret, so every instance with the secret issues
 * and accepts the same nonces. The nonce of the current slot and of the one before are accepted.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import { deriveHmacKey } from '../keys.js'
import type { ResolvedDpop } from './options.js'

/** Issues the current nonce and checks a proof's. */
export interface DpopNonces {
  /** The nonce to send now (`DPoP-Nonce`). */
  current(): string
  /** Whether `nonce` is the current slot's or the previous one's. */
  accepts(nonce: unknown): boolean
}

/** The nonces of a guard, from `dpop.nonce`. */
export function createNonces(settings: NonNullable<ResolvedDpop['nonce']>, now: () => number): DpopNonces {
  const key = deriveHmacKey(settings.secret, 'jwtguard dpop nonce')
  const slotAt = () => Math.floor(now() / settings.lifetime)
  const macOf = (slot: string) => key.sign(`dpop-nonce.${slot}`).subarray(0, 16).toString('base64url')
  return {
    current() {
      const slot = slotAt().toString(36)
      return `${slot}.${macOf(slot)}`
    },
    accepts(nonce) {
      if (typeof nonce !== 'string' || nonce.length > 64) return false
      const [slot, mac] = nonce.split('.')
      if (slot === undefined || mac === undefined || !/^[0-9a-z]{1,12}$/.test(slot)) return false
      const age = slotAt() - Number.parseInt(slot, 36)
      if (age !== 0 && age !== 1) return false
      const given = Buffer.from(mac)
      const expected = Buffer.from(macOf(slot))
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
  }
}
