// Transport segments with their checksums. IPv4 UDP: a computed 0 is sent as 0xffff (RFC 768:
// 0 means "no checksum").
import { LbError } from '../errors.js';
import { ipBytes, macBytes } from './address.js';
import { checksum, pseudoHeaderChecksum } from './checksums.js';
import { ICMP6_NA, ICMP6_NS, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './parsed.js';
import type { L4Spec } from './spec.js';

export function specError(message: string): LbError {
  return new LbError('ERR_PACKET_SPEC', message);
}

/** The segment for `l4` between src and dst (4 or 16 bytes each) and its protocol number. */
export function buildL4(l4: L4Spec, src: Uint8Array, dst: Uint8Array): { proto: number; bytes: Uint8Array } {
  const v6 = src.length === 16;
  switch (l4.kind) {
    case 'tcp': {
      if (l4.options.length % 4 !== 0 || l4.options.length > 40) throw specError(`TCP options must be a multiple of 4 bytes up to 40, not ${l4.options.length}.`);
      const head = 20 + l4.options.length;
      const b = new Uint8Array(head + l4.payload.length);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, l4.sport);
      dv.setUint16(2, l4.dport);
      dv.setUint32(4, l4.seq >>> 0);
      dv.setUint32(8, l4.ack >>> 0);
      b[12] = (head / 4) << 4;
      b[13] = l4.flags;
      dv.setUint16(14, l4.window);
      dv.setUint16(18, l4.urgent);
      b.set(l4.options, 20);
      b.set(l4.payload, head);
      dv.setUint16(16, pseudoHeaderChecksum(src, dst, PROTO_TCP, b));
      return { proto: PROTO_TCP, bytes: b };
    }
    case 'udp': {
      const b = new Uint8Array(8 + l4.payload.length);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, l4.sport);
      dv.setUint16(2, l4.dport);
      dv.setUint16(4, b.length);
      b.set(l4.payload, 8);
      dv.setUint16(6, pseudoHeaderChecksum(src, dst, PROTO_UDP, b) || 0xffff);
      return { proto: PROTO_UDP, bytes: b };
    }
    case 'icmp':
    case 'icmp6': {
      const b = new Uint8Array(8 + l4.payload.length);
      b[0] = l4.type;
      b[1] = l4.code;
      new DataView(b.buffer).setUint32(4, l4.rest >>> 0);
      b.set(l4.payload, 8);
      return icmpMessage(b, src, dst, l4.kind === 'icmp6');
    }
    case 'ns':
    case 'na': {
      const mac = l4.kind === 'ns' ? l4.sourceMac : l4.targetMac;
      const b = new Uint8Array(24 + (mac ? 8 : 0));
      b[0] = l4.kind === 'ns' ? ICMP6_NS : ICMP6_NA;
      if (l4.kind === 'na') b[4] = (l4.router ? 0x80 : 0) | (l4.solicited ? 0x40 : 0) | (l4.override ? 0x20 : 0);
      b.set(ipBytes(l4.target), 8);
      if (mac) {
        b[24] = l4.kind === 'ns' ? 1 : 2; // source / target link-layer address option
        b[25] = 1;
        b.set(macBytes(mac), 26);
      }
      if (!v6) throw specError('Neighbour discovery needs IPv6 addresses.');
      return icmpMessage(b, src, dst, true);
    }
    case 'raw':
      return { proto: l4.proto, bytes: l4.payload }; // the datagram builder copies it
  }
}

function icmpMessage(b: Uint8Array, src: Uint8Array, dst: Uint8Array, v6: boolean): { proto: number; bytes: Uint8Array } {
  const sum = v6 ? pseudoHeaderChecksum(src, dst, PROTO_ICMPV6, b) : checksum(b);
  new DataView(b.buffer).setUint16(2, sum);
  return { proto: v6 ? PROTO_ICMPV6 : PROTO_ICMP, bytes: b };
}
