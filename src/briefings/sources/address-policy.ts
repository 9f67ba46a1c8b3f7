import ipaddr from 'ipaddr.js';

/**
 * Whether Gazette may connect to one IP address when a source is not allowed to reach private
 * networks. Pure: no DNS, no sockets.
 *
 * The rule is an allowlist: only public unicast addresses pass. IPv4 must be in ipaddr.js's
 * `unicast` range; IPv6 must be global unicast (`2000::/3`, `unicast` range). Addresses that
 * embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo) are judged by the
 * IPv4 address they carry, because that is where the packets end up.
 */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** How each refused ipaddr.js range reads in a message: "127.0.0.1 is a loopback address". */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  uniqueLocal: 'a unique-local address',
  reserved: 'a reserved address',
};

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
/** RFC 8215 local-use NAT64 prefix: the IPv4 position depends on the operator's prefix length. */
const LOCAL_NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

/**
 * Classifies one IP address (dotted IPv4 or IPv6 without brackets).
 * Anything that does not parse as an address is refused.
 */
export function classifyAddress(address: string): AddressVerdict {
  if (!ipaddr.isValid(address)) return refuse('not a valid IP address');
  const ip = ipaddr.parse(address);
  return ip.kind() === 'ipv4' ? classifyV4(ip as ipaddr.IPv4) : classifyV6(ip as ipaddr.IPv6);
}

/**
 * Names that mean "this machine" whatever DNS says (RFC 6761): `localhost`, `*.localhost`, with
 * or without the trailing dot. The resolver here does not answer `localhost.`, so the address
 * check alone would turn these into DNS failures instead of refusals.
 */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function classifyV4(ip: ipaddr.IPv4): AddressVerdict {
  const range = ip.range();
  if (range === 'unicast') return { allowed: true };
  return refuse(RANGE_WORDS[range] ?? `a special-purpose address (${range})`);
}

function classifyV6(ip: ipaddr.IPv6): AddressVerdict {
  const range = ip.range();
  const embedded = embeddedV4(ip, range);
  if (embedded) {
    const inner = classifyV4(embedded);
    return inner.allowed
      ? inner
      : refuse(`an IPv6 address (${range}) embedding ${embedded.toString()}, ${inner.reason}`);
  }
  if (range === 'rfc6052') return refuse('a local-use NAT64 address');
  if (range === 'unicast' && ip.match(GLOBAL_UNICAST_V6)) return { allowed: true };
  if (range === 'unicast') return refuse('an IPv6 address outside global unicast (2000::/3)');
  return refuse(RANGE_WORDS[range] ?? `a special-purpose address (${range})`);
}

/** The IPv4 address an IPv6 address carries, for the ranges where the position is fixed. */
function embeddedV4(ip: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const p = ip.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (range) {
    case 'ipv4Mapped':
      return ip.toIPv4Address();
    case 'rfc6145':
      return v4(p[6] ?? 0, p[7] ?? 0);
    case 'rfc6052':
      // 64:ff9b::/96 carries the address in the last 32 bits; 64:ff9b:1::/48 is refused whole.
      return ip.match(LOCAL_NAT64) ? undefined : v4(p[6] ?? 0, p[7] ?? 0);
    case '6to4':
      return v4(p[1] ?? 0, p[2] ?? 0);
    case 'teredo': {
      // The client address is stored inverted; the server address is plain. Either may point inward.
      const server = v4(p[2] ?? 0, p[3] ?? 0);
      if (!classifyV4(server).allowed) return server;
      return v4(~(p[6] ?? 0) & 0xffff, ~(p[7] ?? 0) & 0xffff);
    }
    default:
      return undefined;
  }
}

function refuse(reason: string): AddressVerdict {
  return { allowed: false, reason };
}
