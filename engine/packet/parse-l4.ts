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
      const dataOffset = tcpHeaderLength(buf, p, end);
      if (dataOffset === 0) return Reason.BAD_L4;
      out.sport = dv.getUint16(p);
      out.dport = dv.getUint16(p + 2);
      out.tcpFlags = buf[p + 13];
      out.l4HeaderLength = dataOffset;
      return Reason.OK;
    }
    case PROTO_UDP: {
      if (!udpLengthFits(dv, p, end)) return Reason.BAD_L4;
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

/** The TCP header at buf[p, end)'s length in bytes (its data offset: at least 5 words, inside the
 *  segment), or 0 when it does not fit. */
export function tcpHeaderLength(buf: Uint8Array, p: number, end: number): number {
  if (p + 20 > end) return 0;
  const dataOffset = (buf[p + 12] >> 4) * 4;
  return dataOffset < 20 || p + dataOffset > end ? 0 : dataOffset;
}

/** RFC 768: a UDP header whose length field is header + data, all of the datagram [p, end). */
export function udpLengthFits(dv: DataView, p: number, end: number): boolean {
  return p + 8 <= end && dv.getUint16(p + 4) === end - p;
}

/** NDP options (RFC 4861 §4.6) in buf[p, end): 8-byte units each, none of length 0 (that makes
 *  the packet invalid), none past the end. */
export function ndpOptionsFit(buf: Uint8Array, p: number, end: number): boolean {
  for (let o = p; o < end;) {
    if (o + 2 > end || buf[o + 1] === 0 || o + buf[o + 1] * 8 > end) return false;
    o += buf[o + 1] * 8;
  }
  return true;
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
  if (p + 24 > end || !ndpOptionsFit(buf, p + 24, end)) return Reason.BAD_L4;
  out.icmpType = buf[p];
  out.icmpCode = buf[p + 1];
  out.l4HeaderLength = 8;
  return Reason.OK;
}
