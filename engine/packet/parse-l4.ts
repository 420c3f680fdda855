// Transport headers of an unfragmented datagram: TCP (RFC 9293), UDP (RFC 768), ICMPv4
// (RFC 792), ICMPv6 (RFC 4443) with NDP solicitations and advertisements (RFC 4861 §4.3-4.4).
// Other protocols pass as they are (proto and offsets set).
import { ICMP6_NA, ICMP6_NS, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type ParsedFrame } from './parsed.js';
import { Reason } from './reason.js';

export function parseL4(buf: Uint8Array, dv: DataView, out: ParsedFrame): number {
  const p = out.l4;
  const end = out.l4End;
  const v6 = out.ipVersion === 6;
  switch (out.proto) {
    case PROTO_TCP: {
      if (p + 20 > end) return Reason.BAD_L4;
      const dataOffset = (buf[p + 12] >> 4) * 4;
      if (dataOffset < 20 || p + dataOffset > end) return Reason.BAD_L4;
      out.sport = dv.getUint16(p);
      out.dport = dv.getUint16(p + 2);
      out.tcpFlags = buf[p + 13];
      out.l4HeaderLength = dataOffset;
      return Reason.OK;
    }
    case PROTO_UDP: {
      if (p + 8 > end) return Reason.BAD_L4;
      const length = dv.getUint16(p + 4);
      if (length !== end - p) return Reason.BAD_L4; // RFC 768: header + data, all of the datagram
      out.sport = dv.getUint16(p);
      out.dport = dv.getUint16(p + 2);
      out.l4HeaderLength = 8;
      return Reason.OK;
    }
    case PROTO_ICMP:
      return v6 ? Reason.OK : icmp(buf, p, end, out, isIcmpError(buf[p]), 20);
    case PROTO_ICMPV6:
      if (!v6) return Reason.OK;
      if (p + 8 <= end && (buf[p] === ICMP6_NS || buf[p] === ICMP6_NA)) return ndp(buf, p, end, out);
      return icmp(buf, p, end, out, buf[p] < 128, 40);
    default:
      return Reason.OK;
  }
}

// Destination unreachable, source quench, redirect, time exceeded, parameter problem.
function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

// The 8-byte header; an error quotes the offending packet from byte 8 (kept when its IP header fits).
function icmp(buf: Uint8Array, p: number, end: number, out: ParsedFrame, error: boolean, ipHeader: number): number {
  if (p + 8 > end) return Reason.BAD_L4;
  out.icmpType = buf[p];
  out.icmpCode = buf[p + 1];
  out.l4HeaderLength = 8;
  if (error && p + 8 + ipHeader <= end) out.quoted = p + 8;
  return Reason.OK;
}

// A solicitation or advertisement: 8-byte header, the target address, options of 8-byte units.
function ndp(buf: Uint8Array, p: number, end: number, out: ParsedFrame): number {
  if (p + 24 > end) return Reason.BAD_L4;
  for (let o = p + 24; o < end;) {
    if (o + 2 > end || buf[o + 1] === 0 || o + buf[o + 1] * 8 > end) return Reason.BAD_L4;
    o += buf[o + 1] * 8;
  }
  out.icmpType = buf[p];
  out.icmpCode = buf[p + 1];
  out.l4HeaderLength = 8;
  return Reason.OK;
}
