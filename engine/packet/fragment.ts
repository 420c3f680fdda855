// IP fragmentation of a datagram spec (RFC 791 §3.2, RFC 8200 §4.5): the transport segment is
// built whole (its checksum covers all of it) and cut into pieces of `pieceBytes` (a multiple of 8).
import { ipBytes } from './address.js';
import { buildL4, specError } from './build-l4.js';
import type { Ipv4Spec, Ipv6Spec } from './spec.js';

function pieces(segment: Uint8Array, pieceBytes: number): Array<{ offset: number; more: boolean; bytes: Uint8Array }> {
  if (pieceBytes <= 0 || pieceBytes % 8 !== 0) throw specError(`Fragments carry a multiple of 8 bytes, not ${pieceBytes}.`);
  const out: Array<{ offset: number; more: boolean; bytes: Uint8Array }> = [];
  for (let at = 0; at < segment.length; at += pieceBytes) {
    out.push({ offset: at, more: at + pieceBytes < segment.length, bytes: segment.slice(at, at + pieceBytes) });
  }
  return out;
}

export function fragmentIpv4(s: Ipv4Spec, pieceBytes: number): Ipv4Spec[] {
  const { proto, bytes } = buildL4(s.l4, ipBytes(s.src), ipBytes(s.dst));
  return pieces(bytes, pieceBytes).map((p) => ({ ...s, dontFragment: false, moreFragments: p.more, fragmentOffset: p.offset,
    l4: { kind: 'raw', proto, payload: p.bytes } }));
}

/** The fragment header follows the spec's (unfragmentable) extension headers. */
export function fragmentIpv6(s: Ipv6Spec, pieceBytes: number, id: number): Ipv6Spec[] {
  const { proto, bytes } = buildL4(s.l4, ipBytes(s.src), ipBytes(s.dst));
  return pieces(bytes, pieceBytes).map((p) => ({ ...s, extensions: [...s.extensions, { type: 44, id, offset: p.offset, more: p.more }],
    l4: { kind: 'raw', proto, payload: p.bytes } }));
}
