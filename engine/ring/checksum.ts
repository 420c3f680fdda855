// Checksums and the plain-buffer forwarding backend (pcap replay, tests,
// micro benchmarks): the same C++ core as the ring path, over a Uint8Array.
import { native } from '../native.js';
import { MAC_ENTRY_BYTES } from './constants.js';
import { asLbError } from './native-error.js';
import * as is from './validate.js';

/** RFC 1071 internet checksum of buf (the complement of the one's-complement sum). */
export function checksum(buf: Uint8Array): number {
  return native.checksum(is.bytes(buf, 'buf'));
}

/** IPv4 header checksum of the header at buf[offset] (its checksum field counted as zero). */
export function ipv4HeaderChecksum(buf: Uint8Array, offset = 0): number {
  is.bytes(buf, 'buf');
  is.integer(offset, 'offset', 0, Math.max(0, buf.length - 20));
  return native.ipv4HeaderChecksum(buf, offset);
}

/** The TCP/UDP checksum an Ethernet frame should carry (IPv4 or IPv6, VLAN tags allowed),
 *  or -1 if the frame has no TCP/UDP checksum. Does not modify the frame. */
export function l4Checksum(frame: Uint8Array): number {
  return native.l4Checksum(is.bytes(frame, 'frame'));
}

/** Completes a partial checksum in place (kernel CHECKSUM_PARTIAL semantics: the field at
 *  csumStart + csumOffset holds the pseudo-header sum). False if the field is outside buf. */
export function completePartial(buf: Uint8Array, csumStart: number, csumOffset: number): boolean {
  is.bytes(buf, 'buf');
  is.integer(csumStart, 'csumStart', 0, buf.length);
  is.integer(csumOffset, 'csumOffset', 0, buf.length);
  return native.completePartial(buf, csumStart, csumOffset);
}

/** Finds the TCP/UDP header of an Ethernet frame and completes its partial checksum. */
export function completeFramePartial(frame: Uint8Array): boolean {
  return native.completeFramePartial(is.bytes(frame, 'frame'));
}

/** RFC 1624 eqn. 3: the checksum after a 16-bit word changes from oldWord to newWord. */
export function checksumUpdate16(checksum: number, oldWord: number, newWord: number): number {
  is.integer(checksum, 'checksum', 0, 0xffff);
  is.integer(oldWord, 'oldWord', 0, 0xffff);
  is.integer(newWord, 'newWord', 0, 0xffff);
  return native.checksumUpdate16(checksum, oldWord, newWord);
}

/** The replay backend of forward(): for frame i = buf[offsets[i], +lengths[i]) and
 *  decisions[i] ≥ 0, writes macTable entry decisions[i] (dst MAC, src MAC: 12 bytes) and, if
 *  flags?.[i] has FrameFlag.CSUM_NOT_READY, completes its partial checksum. Returns frames rewritten.
 *  The arguments are checked here; each frame (inside buf, 14 bytes or more, a decision the MAC
 *  table covers) by the addon, in one C++ pass: the same ERR_INVALID_ARG, without a JS loop per batch. */
export function rewriteBuffer(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, decisions: Int32Array,
  count: number, macTable: Uint8Array, flags: Int32Array | null = null): number {
  is.bytes(buf, 'buf');
  is.integer(count, 'count', 0, 2 ** 31 - 1);
  is.int32s(offsets, 'offsets', count);
  is.int32s(lengths, 'lengths', count);
  is.int32s(decisions, 'decisions', count);
  if (flags !== null) is.int32s(flags, 'flags', count);
  if (!(macTable instanceof Uint8Array) || macTable.length % MAC_ENTRY_BYTES !== 0) {
    throw is.invalid(`a Uint8Array of whole ${MAC_ENTRY_BYTES}-byte entries`, 'macTable', macTable);
  }
  try {
    return native.rewriteBuffer(buf, offsets, lengths, decisions, count, macTable, flags);
  } catch (e) {
    throw asLbError(e);
  }
}
