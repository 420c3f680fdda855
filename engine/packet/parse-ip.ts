// IPv4 (RFC 791: options, fragments) and IPv6 (RFC 8200: extension-header chain, fragment
// header). `quoted`: the header sits inside an ICMP error, which quotes only the start of a
// datagram, so the datagram may run past the bytes we have (read what is there, ports at most).
import { PROTO_FRAGMENT, PROTO_TCP, PROTO_UDP, type ParsedFrame } from './parsed.js';
import { parseL4 } from './parse-l4.js';
import { Reason } from './reason.js';

const IPV4_RESERVED = 0x8000;
const IPV4_DF = 0x4000;
const IPV4_MF = 0x2000;
const MAX_DATAGRAM = 65535;
const HOP_BY_HOP = 0;
const ROUTING = 43;
const DESTINATION_OPTIONS = 60;
const NO_NEXT_HEADER = 59;
const MAX_V6_EXTENSIONS = 8;

export function parseIpv4(buf: Uint8Array, dv: DataView, p: number, end: number, out: ParsedFrame, quoted: boolean): number {
  if (p + 20 > end) return Reason.TRUNCATED;
  if (buf[p] >> 4 !== 4) return Reason.BAD_IP_VERSION;
  const ihl = (buf[p] & 0x0f) * 4;
  if (ihl < 20) return Reason.BAD_IHL;
  const total = dv.getUint16(p + 2);
  if (total < ihl) return Reason.BAD_IP_LENGTH;
  if (p + ihl > end) return Reason.TRUNCATED;
  if (!quoted && p + total > end) return Reason.TRUNCATED;
  if (!ipv4OptionsFit(buf, p + 20, p + ihl)) return Reason.BAD_IHL;
  const flags = dv.getUint16(p + 6);
  const offset = (flags & 0x1fff) * 8;
  const more = (flags & IPV4_MF) !== 0;
  out.ipVersion = 4;
  out.proto = buf[p + 9];
  out.l4 = p + ihl;
  out.l4End = quoted ? Math.min(p + total, end) : p + total;
  out.l3End = out.l4End;
  if (flags & IPV4_RESERVED) return Reason.BAD_FRAGMENT;
  if (more || offset !== 0) {
    const piece = total - ihl;
    if (!ipv4FragmentFits(flags, piece)) return Reason.BAD_FRAGMENT;
    out.fragment = true;
    out.fragmentOffset = offset;
    out.moreFragments = more;
    out.fragmentId = dv.getUint16(p + 4);
  }
  return upper(buf, dv, out, quoted);
}

/** IPv4 options buf[p, end) are type-length-value, except end-of-list (0, the rest is padding)
 *  and no-op (1); false when one runs past the header (IHL). */
export function ipv4OptionsFit(buf: Uint8Array, p: number, end: number): boolean {
  while (p < end) {
    const type = buf[p];
    if (type === 0) return true;
    if (type === 1) { p++; continue; }
    if (p + 1 >= end || buf[p + 1] < 2 || p + buf[p + 1] > end) return false;
    p += buf[p + 1];
  }
  return true;
}

/** An IPv4 fragment (flags/offset word `flags`, MF or offset set, `piece` payload bytes) that can
 *  be: no reserved or DF bit, not empty, the rest of the datagram's shape as fragmentFits. */
export function ipv4FragmentFits(flags: number, piece: number): boolean {
  return (flags & (IPV4_RESERVED | IPV4_DF)) === 0 && piece !== 0 && fragmentFits((flags & 0x1fff) * 8, piece, (flags & IPV4_MF) !== 0);
}

/** A fragment's piece: a multiple of 8 bytes while more follow, and nothing past 65535 bytes. */
export function fragmentFits(offset: number, piece: number, more: boolean): boolean {
  return !(more && piece % 8 !== 0) && offset + piece <= MAX_DATAGRAM;
}

export function parseIpv6(buf: Uint8Array, dv: DataView, p: number, end: number, out: ParsedFrame, quoted: boolean): number {
  if (p + 40 > end) return Reason.TRUNCATED;
  if (buf[p] >> 4 !== 6) return Reason.BAD_IP_VERSION;
  const payload = dv.getUint16(p + 4);
  let next = buf[p + 6];
  if (payload === 0 && next !== NO_NEXT_HEADER) return Reason.BAD_IP_LENGTH; // a jumbogram (RFC 2675): not here
  if (!quoted && p + 40 + payload > end) return Reason.TRUNCATED;
  const ipEnd = Math.min(p + 40 + payload, end);
  out.ipVersion = 6;
  out.l3End = ipEnd;
  let q = p + 40;
  for (;;) {
    if (next === HOP_BY_HOP || next === ROUTING || next === DESTINATION_OPTIONS) {
      if (next === HOP_BY_HOP && out.extensionCount > 0) return Reason.BAD_IPV6_EXT;
      if (q + 8 > ipEnd || q + (buf[q + 1] + 1) * 8 > ipEnd) return quoted ? Reason.TRUNCATED : Reason.BAD_IPV6_EXT;
      next = buf[q];
      q += (buf[q + 1] + 1) * 8;
    } else if (next === PROTO_FRAGMENT) {
      if (out.fragment) return Reason.BAD_IPV6_EXT;
      if (q + 8 > ipEnd) return quoted ? Reason.TRUNCATED : Reason.BAD_IPV6_EXT;
      const field = dv.getUint16(q + 2);
      out.fragment = true;
      out.fragmentHeader = q;
      out.fragmentOffset = field & 0xfff8;
      out.moreFragments = (field & 1) !== 0;
      out.fragmentId = dv.getUint32(q + 4);
      next = buf[q];
      q += 8;
      const piece = ipEnd - q;
      if (!quoted && !fragmentFits(out.fragmentOffset, piece, out.moreFragments)) return Reason.BAD_FRAGMENT;
      // After a later fragment's header come data bytes, not headers.
      if (out.fragmentOffset !== 0) { out.extensionCount++; break; }
    } else break;
    if (++out.extensionCount > MAX_V6_EXTENSIONS) return Reason.BAD_IPV6_EXT;
  }
  out.proto = next;
  out.l4 = q;
  out.l4End = ipEnd;
  return upper(buf, dv, out, quoted);
}

// Fragments carry no whole transport header: a first fragment shows its ports, nothing more.
function upper(buf: Uint8Array, dv: DataView, out: ParsedFrame, quoted: boolean): number {
  if (out.fragment || quoted) {
    if (out.fragmentOffset === 0 && (out.proto === PROTO_TCP || out.proto === PROTO_UDP) && out.l4 + 4 <= out.l4End) {
      out.sport = dv.getUint16(out.l4);
      out.dport = dv.getUint16(out.l4 + 2);
    }
    return Reason.OK;
  }
  return parseL4(buf, dv, out);
}
