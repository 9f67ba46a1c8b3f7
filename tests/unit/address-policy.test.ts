import { describe, expect, it } from 'vitest';
import { classifyAddress, isLoopbackName } from '../../src/briefings/sources/address-policy.js';

describe('classifyAddress', () => {
  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '2606:2800:220:1:248:1893:25c8:1946',
    '2001:4860:4860::8888',
    '::ffff:93.184.216.34', // IPv4-mapped public
    '64:ff9b::5db8:d822', // NAT64 of 93.184.216.34
    '2002:5db8:d822::1', // 6to4 of 93.184.216.34
  ])('allows public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'], // benchmarking: ipaddr.js files it under reserved
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'embedding 127.0.0.1, a loopback'],
    ['::ffff:7f00:1', 'embedding 127.0.0.1, a loopback'],
    ['::ffff:a9fe:a9fe', 'embedding 169.254.169.254, a link-local'],
    ['::ffff:0:a00:1', 'embedding 10.0.0.1, a private'], // RFC 6145 IPv4-translated
    ['64:ff9b::7f00:1', 'embedding 127.0.0.1'], // NAT64
    ['64:ff9b::a00:1', 'embedding 10.0.0.1'],
    ['64:ff9b:1::5db8:d822', 'local-use NAT64'],
    ['2002:7f00:1::1', 'embedding 127.0.0.1'], // 6to4
    ['2002:c0a8:101::1', 'embedding 192.168.1.1'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'embedding 127.0.0.1'], // Teredo client 127.0.0.1
    ['2001:0:a00:1::1', 'embedding 10.0.0.1'], // Teredo server 10.0.0.1
    ['::7f00:1', 'outside global unicast'], // deprecated IPv4-compatible
    ['not-an-ip', 'not a valid IP address'],
  ])('refuses %s (%s)', (address, words) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(words);
  });
});

describe('isLoopbackName', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', 'foo.localhost', 'a.b.LocalHost.'])('treats %s as loopback', (n) => {
    expect(isLoopbackName(n)).toBe(true);
  });
  it.each(['example.com', 'localhost.example.com', 'notlocalhost'])('leaves %s to DNS', (n) => {
    expect(isLoopbackName(n)).toBe(false);
  });
});
