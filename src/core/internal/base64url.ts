/**
 * Strict base64url (RFC 7515 §2): the URL-safe alphabet, no padding, and canonical, meaning the
 * unused low bits of the last character are zero, so every byte string has exactly one encoding.
 */
import { Buffer } from 'node:buffer'

const ALPHABET = /^[A-Za-z0-9_-]*$/

// Value of each base64url character, or -1.
const VALUE = new Int8Array(128).fill(-1)
for (const [index, char] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
].entries()) {
  VALUE[char.charCodeAt(0)] = index
}

/** True when `segment` is canonical, unpadded base64url. */
export function isCanonicalBase64url(segment: string): boolean {
  if (!ALPHABET.test(segment)) return false
  const remainder = segment.length % 4
  if (remainder === 0) return true
  if (remainder === 1) return false
  const last = VALUE[segment.charCodeAt(segment.length - 1)] ?? -1
  // Two trailing chars carry 8 bits (4 unused), three carry 16 bits (2 unused).
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0
}

/**
 * Decodes `segment` when it is canonical, unpadded base64url (exactly what
 * {@link isCanonicalBase64url} accepts), else returns `undefined`; faster than that regular
 * expression plus a decode (bench/README.md, "Figures behind the code"). For an ASCII string, Node's decoder
 * skips every character outside both base64 alphabets (padding included), which leaves fewer bytes
 * than the length implies; `+` and `/`, which it decodes, are searched for. A non-ASCII string is
 * refused first: the decoder reads only the low byte of a wider character (U+0141 decodes as `A`).
 */
export function decodeCanonicalBase64url(segment: string): Buffer | undefined {
  const length = segment.length
  const remainder = length % 4
  if (remainder === 1 || Buffer.byteLength(segment, 'utf8') !== length) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  if (bytes.length !== (length * 3) >> 2 || segment.includes('+') || segment.includes('/')) return undefined
  if (remainder !== 0) {
    const last = VALUE[segment.charCodeAt(length - 1)] ?? -1
    if ((last & (remainder === 2 ? 0x0f : 0x03)) !== 0) return undefined
  }
  return bytes
}

/** Decodes a segment already checked by {@link isCanonicalBase64url}. */
export function decodeBase64url(segment: string): Buffer {
  return Buffer.from(segment, 'base64url')
}

/** Encodes bytes or a UTF-8 string as unpadded base64url. */
export function encodeBase64url(input: Uint8Array | string): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url')
}
