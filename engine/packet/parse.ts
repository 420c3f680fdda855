// Frame parser: Ethernet with up to two 802.1Q/802.1ad tags, then ARP, IPv4 or IPv6 and the
// transport header. Bounds are checked before every read; a frame that does not hold together
// yields a Reason (never an exception). Fills a reused ParsedFrame: no allocation per frame.
import { ETH_ARP, ETH_IPV4, ETH_IPV6, ETH_QINQ, ETH_VLAN, type ParsedFrame } from './parsed.js';
import { parseIpv4, parseIpv6 } from './parse-ip.js';
import { Reason } from './reason.js';
import { viewFor } from './view.js';

const MAX_TAGS = 2;
const VID_RESERVED = 0xfff;

/** Parses the frame buf[off, off + len) into `out`; returns (and sets out.reason) the Reason. */
export function parseFrame(buf: Uint8Array, off: number, len: number, out: ParsedFrame): number {
  out.reset(off, off + len);
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) return (out.reason = Reason.TRUNCATED);
  return (out.reason = ethernet(buf, viewFor(buf), off, off + len, out));
}

function ethernet(buf: Uint8Array, dv: DataView, off: number, end: number, out: ParsedFrame): number {
  if (off + 14 > end) return Reason.TRUNCATED;
  let p = off + 12;
  let type = dv.getUint16(p);
  while (type === ETH_VLAN || type === ETH_QINQ) {
    // 802.1ad (service tag) only as the outer tag; the VID 4095 is reserved (IEEE 802.1Q §9.6).
    if (out.vlanCount === MAX_TAGS || (type === ETH_QINQ && out.vlanCount > 0)) return Reason.BAD_VLAN;
    if (p + 6 > end) return Reason.TRUNCATED;
    if ((dv.getUint16(p + 2) & 0xfff) === VID_RESERVED) return Reason.BAD_VLAN;
    out.vlanCount++;
    p += 4;
    type = dv.getUint16(p);
  }
  p += 2;
  out.etherType = type;
  out.l3 = p;
  if (type === ETH_IPV4) return parseIpv4(buf, dv, p, end, out, false);
  if (type === ETH_IPV6) return parseIpv6(buf, dv, p, end, out, false);
  if (type === ETH_ARP) return arp(dv, p, end, out);
  return Reason.BAD_ETHERTYPE;
}

// RFC 826 for Ethernet and IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4), request or reply.
function arp(dv: DataView, p: number, end: number, out: ParsedFrame): number {
  if (p + 28 > end) return Reason.TRUNCATED;
  const op = dv.getUint16(p + 6);
  if (dv.getUint32(p) !== 0x00010800 || dv.getUint16(p + 4) !== 0x0604 || (op !== 1 && op !== 2)) return Reason.BAD_ARP;
  out.arpOp = op;
  out.l3End = p + 28;
  return Reason.OK;
}

/** Parses the IP header an ICMP error quotes (outer.quoted ≥ 0) into `out`: addresses, protocol, ports. */
export function parseQuoted(buf: Uint8Array, outer: ParsedFrame, out: ParsedFrame): number {
  out.reset(outer.quoted, outer.l4End);
  if (outer.quoted < 0) return (out.reason = Reason.TRUNCATED);
  out.l3 = outer.quoted;
  const dv = viewFor(buf);
  return (out.reason = outer.ipVersion === 6
    ? parseIpv6(buf, dv, outer.quoted, outer.l4End, out, true)
    : parseIpv4(buf, dv, outer.quoted, outer.l4End, out, true));
}
