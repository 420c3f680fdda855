// Checksums for the builders, through engine/ring/checksum.ts (the addon's RFC 1071 sum): the
// same code the forwarding path trusts, so a frame we build and a frame we complete agree.
import { checksum } from '../ring/checksum.js';

/** The checksum of an upper-layer segment (its checksum field zero) with its pseudo-header:
 *  RFC 9293 §3.1 / RFC 768 for IPv4, RFC 8200 §8.1 for IPv6 (ICMPv6 included). */
export function pseudoHeaderChecksum(src: Uint8Array, dst: Uint8Array, proto: number, segment: Uint8Array): number {
  const v6 = src.length === 16;
  const head = v6 ? 40 : 12;
  const buf = new Uint8Array(head + segment.length);
  const dv = new DataView(buf.buffer);
  buf.set(src, 0);
  buf.set(dst, src.length);
  if (v6) {
    dv.setUint32(32, segment.length);
    buf[39] = proto;
  } else {
    buf[9] = proto;
    dv.setUint16(10, segment.length);
  }
  buf.set(segment, head);
  return checksum(buf);
}

/** The internet checksum of bytes (ICMPv4 messages, IPv4 headers). */
export { checksum };
