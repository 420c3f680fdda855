// The lab's address plan. Only the benchmarking ranges 198.18.0.0/15 (RFC 2544) and 2001:2::/48
// (RFC 5180) are ever configured, so lab traffic can never leak to a real network.
import net from 'node:net';
import { LbError } from '../errors.js';

const labRanges = new net.BlockList();
labRanges.addSubnet('198.18.0.0', 15, 'ipv4');
labRanges.addSubnet('2001:2::', 48, 'ipv6');

/** The default VIP: outside every segment's subnet, so clients reach it through an on-link route. */
export const defaultVip = { v4: '198.19.0.1', v6: '2001:2:0:100::1' } as const;

export interface Cidr {
  address: string;
  prefixLength: number;
  family: 4 | 6;
}

/** Parses "198.18.0.11/24" or "2001:2::11/64" and refuses anything outside the lab ranges. */
export function parseLabCidr(text: string): Cidr {
  const [address = '', length = ''] = text.split('/');
  const family = net.isIP(address);
  const prefixLength = Number(length);
  const max = family === 4 ? 32 : 128;
  if (family === 0 || length === '' || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) {
    throw new LbError('ERR_LAB_BAD_ADDRESS', `"${text}" is not an address with a prefix length, like 198.18.0.1/24.`);
  }
  assertLabAddress(address);
  return { address, prefixLength, family: family as 4 | 6 };
}

export function assertLabAddress(address: string): void {
  const family = net.isIP(address);
  if (family === 0) throw new LbError('ERR_LAB_BAD_ADDRESS', `"${address}" is not an IP address.`);
  if (!labRanges.check(address, family === 4 ? 'ipv4' : 'ipv6')) {
    throw new LbError('ERR_LAB_ADDRESS_OUT_OF_RANGE', `${address} is outside the lab ranges 198.18.0.0/15 and 2001:2::/48.`);
  }
}

/** Host `octet` on segment number `segment`: 198.18.S.O/24 and 2001:2:0:S::O/64 (O written in decimal digits). */
export function segmentAddress(segment: number, octet: number): { v4: string; v6: string } {
  if (!Number.isInteger(segment) || segment < 0 || segment > 255 || !Number.isInteger(octet) || octet < 1 || octet > 254) {
    throw new LbError('ERR_LAB_BAD_TOPOLOGY', `Segment ${segment} host ${octet} is outside the lab's address plan.`);
  }
  return { v4: `198.18.${segment}.${octet}/24`, v6: `${v6Net(segment)}${octet}/64` };
}

// Written the way `ip` prints it (segment 0 compresses to 2001:2::), so addresses compare as strings.
function v6Net(segment: number): string {
  return segment === 0 ? '2001:2::' : `2001:2:0:${segment}::`;
}

/** The subnet of segment number `segment`, for routes. */
export function segmentSubnet(segment: number): { v4: string; v6: string } {
  return { v4: `198.18.${segment}.0/24`, v6: `${v6Net(segment)}/64` };
}
