// A parsed frame: offsets into the frame's buffer and the few fields every consumer wants.
// One object is reused for every frame (reset() before each parse): parsing allocates nothing.
// Addresses, options and payloads are read from the buffer at these offsets when needed.
import { Reason } from './reason.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
export const PROTO_FRAGMENT = 44;
export const ICMP6_NS = 135;
export const ICMP6_NA = 136;

export class ParsedFrame {
  reason: number = Reason.OK;
  /** The frame: buf[start, end). */
  start = 0;
  end = 0;
  /** 802.1Q/802.1ad tags, 4 bytes each from start + 12. */
  vlanCount = 0;
  etherType = 0;
  /** ARP or IP header; l3End: end of the ARP body or of the IP datagram (bytes after it are trailer). */
  l3 = -1;
  l3End = -1;
  /** 4 or 6 (0: not IP). */
  ipVersion = 0;
  /** IPv6: extension headers before the upper-layer header. */
  extensionCount = 0;
  /** Upper-layer protocol (after IPv6 extension headers); -1 when not IP. */
  proto = -1;
  /** A fragment (IPv4 MF or offset; IPv6: a fragment header is present). */
  fragment = false;
  /** In bytes. */
  fragmentOffset = 0;
  moreFragments = false;
  fragmentId = 0;
  /** IPv6 fragment header offset, -1 if none. */
  fragmentHeader = -1;
  /** Upper-layer header and the end of its datagram. */
  l4 = -1;
  l4End = -1;
  /** TCP data offset in bytes, 8 for UDP and ICMP, 0 when not parsed (fragments, other protocols). */
  l4HeaderLength = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  icmpType = -1;
  icmpCode = -1;
  arpOp = 0;
  /** ICMP errors: the quoted IP header inside the message, -1 if none. */
  quoted = -1;

  // The starting values again: the field initializers above stay so that V8 counts every field
  // into the object itself (set only from reset() they may land out of line, one load more each).
  reset(start: number, end: number): void {
    this.reason = Reason.OK;
    this.start = start;
    this.end = end;
    this.vlanCount = 0;
    this.etherType = 0;
    this.l3 = -1;
    this.l3End = -1;
    this.ipVersion = 0;
    this.extensionCount = 0;
    this.proto = -1;
    this.fragment = false;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentId = 0;
    this.fragmentHeader = -1;
    this.l4 = -1;
    this.l4End = -1;
    this.l4HeaderLength = 0;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.arpOp = 0;
    this.quoted = -1;
  }

  /** Offset of the source / destination IP address (4 or 16 bytes). */
  get srcAddress(): number { return this.ipVersion === 6 ? this.l3 + 8 : this.l3 + 12; }
  get dstAddress(): number { return this.ipVersion === 6 ? this.l3 + 24 : this.l3 + 16; }
  get addressLength(): number { return this.ipVersion === 6 ? 16 : 4; }

  /** The source / destination address as a view into the frame's buffer (a new view: slow path). */
  srcBytes(buf: Uint8Array): Uint8Array { return buf.subarray(this.srcAddress, this.srcAddress + this.addressLength); }
  dstBytes(buf: Uint8Array): Uint8Array { return buf.subarray(this.dstAddress, this.dstAddress + this.addressLength); }
}
