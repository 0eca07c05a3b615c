/**
 * The counter keys of the login limiter: fixed length whatever the input, so a megabyte username
 * or a forged `X-Forwarded-For` cannot grow memory or Redis, and IPv6 clients grouped by prefix.
 *
 * @module
 * @internal
 */
import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'

/** Parses an IPv6 address (already checked by `isIPv6`) into eight 16-bit groups. */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::')
  const parse = (part: string): number[] => {
    if (part === '') return []
    const groups: number[] = []
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number)
        groups.push((a << 8) | b, (c << 8) | d)
      } else {
        groups.push(Number.parseInt(piece, 16))
      }
    }
    return groups
  }
  const front = parse(head)
  const back = tail === undefined ? [] : parse(tail)
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
}

/**
 * The address without the decorations proxies add: a port (`192.0.2.1:1234`, `[2001:db8::1]:443`,
 * as Azure Application Gateway writes X-Forwarded-For), brackets and an IPv6 zone. A bare IPv6
 * address keeps its colons: `2001:db8::1` has no port.
 */
export function stripAddress(address: string): string {
  const trimmed = address.trim()
  const bracketed = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(trimmed)
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(trimmed)
  const bare = bracketed?.[1] ?? withPort?.[1] ?? trimmed
  return bare.split('%')[0] ?? bare
}

/**
 * The address a client is counted under: an IPv4 address as is (also when IPv4-mapped or followed
 * by a port), an IPv6 address reduced to its first `ipv6Subnet` bits (one host usually holds a
 * whole /64 or more), and anything else (a forged header value, `unknown`) verbatim; the caller
 * hashes it.
 */
export function clientBucket(address: string, ipv6Subnet: number | false): string {
  const zoneless = stripAddress(address)
  if (isIPv4(zoneless)) return zoneless
  if (!isIPv6(zoneless)) return address
  const groups = ipv6Groups(zoneless.toLowerCase())
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6)
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  }
  const bits = ipv6Subnet === false ? 128 : ipv6Subnet
  const masked = groups.map((group, index) => {
    const keep = Math.min(16, Math.max(0, bits - index * 16))
    return keep === 0 ? 0 : group & (0xffff << (16 - keep)) & 0xffff
  })
  return `${masked.map((group) => group.toString(16)).join(':')}/${bits}`
}

/** A 128-bit digest of the parts, unambiguous (length-prefixed) and always 22 characters. */
export function digest(...parts: string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(`${part.length}:`).update(part)
  return hash.digest('base64url').slice(0, 22)
}
