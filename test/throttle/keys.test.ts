import { describe, expect, it } from 'vitest'
import { clientBucket, digest } from '../../src/throttle/keys.js'

describe('clientBucket', () => {
  it.each<[string, number | false, string]>([
    ['192.0.2.1', 56, '192.0.2.1'],
    ['::ffff:192.0.2.1', 56, '192.0.2.1'],
    ['::ffff:c000:201', 56, '192.0.2.1'],
    ['[2001:db8::1]', 64, '2001:db8:0:0:0:0:0:0/64'],
    ['2001:DB8:aa:bbcc::1', 56, '2001:db8:aa:bb00:0:0:0:0/56'],
    ['2001:db8:aa:bbcc:1:2:3:4', 64, '2001:db8:aa:bbcc:0:0:0:0/64'],
    ['2001:db8:aa:bbcc:1:2:3:4', 60, '2001:db8:aa:bbc0:0:0:0:0/60'],
    ['2001:db8::1', false, '2001:db8:0:0:0:0:0:1/128'],
    ['fe80::1%eth0', 64, 'fe80:0:0:0:0:0:0:0/64'],
    ['::1', 128, '0:0:0:0:0:0:0:1/128'],
    ['64:ff9b::192.0.2.33', 128, '64:ff9b:0:0:0:0:c000:221/128'],
    // Issue 17 item 3: proxies that write a port (Azure Application Gateway) give no new budget.
    ['192.0.2.1:51234', 56, '192.0.2.1'],
    ['192.0.2.1:1', 56, '192.0.2.1'],
    [' 192.0.2.1 ', 56, '192.0.2.1'],
    ['[2001:db8::1]:443', 64, '2001:db8:0:0:0:0:0:0/64'],
    ['[::ffff:192.0.2.1]:8080', 56, '192.0.2.1'],
    ['::FFFF:192.0.2.1', 56, '192.0.2.1'],
    ['[fe80::1%eth0]:80', 64, 'fe80:0:0:0:0:0:0:0/64'],
    ['unknown', 56, 'unknown'],
    ['not an address', 56, 'not an address'],
  ])('%s with /%s is %s', (address, subnet, expected) => {
    expect(clientBucket(address, subnet)).toBe(expected)
  })
})

describe('digest', () => {
  it('is 22 characters whatever the input, and unambiguous about part boundaries', () => {
    expect(digest('x'.repeat(100_000))).toHaveLength(22)
    expect(digest('ab', 'c')).not.toBe(digest('a', 'bc'))
    expect(digest('a', 'b')).toBe(digest('a', 'b'))
  })
})
