// Flow keys from frame bytes: the words hashed for Maglev and matched in the flow table.
//
// Key = src address, dst address (4 words each; IPv4 in the first), sport << 16 | dport, and a
// kind word (proto | IPv6 << 8 | fragment << 9).
//
// Fragments: every fragment of a datagram, first or not, is keyed by the 3-tuple (src, dst,
// proto; ports 0, fragment bit set): later fragments carry no ports, and a first fragment keyed by
// its ports would go elsewhere than the rest (Maglev, NSDI 2016, keys fragments the same way).
// The cost: a fragmented datagram may reach another node than the unfragmented packets of the
// same 5-tuple. TCP sets DF and never fragments here; a UDP service that expects fragments
// should be served by every node (any node can answer it).
//
// ICMP errors about a VIP flow (v4 "fragmentation needed", v6 "packet too big") quote the packet
// the LB node sent: VIP:port → client:port. Its flow is client → VIP, so the quoted tuple is
// reversed into the key; the error then reaches the node that holds the connection.
import { FLOW_KEY_WORDS, KEY_KIND, KEY_PORTS, type Same } from './flow-table.js';

export const KIND_IPV6 = 0x100;
export const KIND_FRAGMENT = 0x200;
// The constants the packet path reads, as values in the code (see flow-table.ts's Same).
const enum Key { PORTS = 8, KIND = 9, V6 = 0x100, FRAGMENT = 0x200 }
type KeyChecked = [Same<typeof KEY_PORTS, Key.PORTS>, Same<typeof KEY_KIND, Key.KIND>, Same<typeof KIND_IPV6, Key.V6>,
  Same<typeof KIND_FRAGMENT, Key.FRAGMENT>];

// Reads go through a DataView (one load and a byte swap once optimized). 32-bit words are read
// as int32: int32s stay small integers in V8, never boxed.

/** A DataView over exactly the bytes of `buf` (same indices). */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Fills `key` for a packet whose IP header starts at `l3` (IPv4 when !v6), `l4` its transport
 * header (read only when `ports`). Fragments: ports false and fragment true.
 */
export function fillKey(key: Int32Array, dv: DataView, l3: number, v6: boolean, proto: number,
  l4: number, ports: boolean, fragment: boolean): void {
  keyAddresses(key, 0, dv, l3, v6);
  key[Key.PORTS] = ports ? dv.getInt32(l4) : 0;
  key[Key.KIND] = proto | (v6 ? Key.V6 : 0) | (fragment ? Key.FRAGMENT : 0);
}

/** The source and destination address of the IP header at `l3` into key[at, +8): IPv6's are
 *  side by side in the header (bytes 8-40), IPv4's take the first word of each half. */
export function keyAddresses(key: Int32Array, at: number, dv: DataView, l3: number, v6: boolean): void {
  if (v6) {
    // Source and destination a word of each per turn: half the turns of a loop over the 8 words.
    for (let i = 0; i < 4; i++) {
      key[at + i] = dv.getInt32(l3 + 8 + 4 * i);
      key[at + 4 + i] = dv.getInt32(l3 + 24 + 4 * i);
    }
  } else {
    key[at] = dv.getInt32(l3 + 12);
    key[at + 1] = 0; key[at + 2] = 0; key[at + 3] = 0;
    key[at + 4] = dv.getInt32(l3 + 16);
    key[at + 5] = 0; key[at + 6] = 0; key[at + 7] = 0;
  }
}

/**
 * Fills `key` with the flow an ICMP error is about: the quoted IP header at `inner` (length
 * `avail` bytes available), reversed (quoted dst → src, ports swapped). Returns the quoted
 * protocol, or -1 if the quote is too short, not the expected IP version, or not TCP/UDP.
 */
export function fillQuotedKey(key: Int32Array, dv: DataView, inner: number, avail: number, v6: boolean): number {
  let proto: number;
  let l4: number;
  if (v6) {
    if (avail < 40 + 4 || dv.getUint8(inner) >> 4 !== 6) return -1;
    proto = dv.getUint8(inner + 6);
    l4 = inner + 40;
    for (let i = 0; i < 4; i++) {
      key[i] = dv.getInt32(inner + 24 + 4 * i); // quoted dst = the client
      key[4 + i] = dv.getInt32(inner + 8 + 4 * i); // quoted src = the VIP
    }
  } else {
    const ihl = (dv.getUint8(inner) & 0x0f) * 4;
    if (avail < 20 || dv.getUint8(inner) >> 4 !== 4 || ihl < 20 || avail < ihl + 4) return -1;
    // A quoted non-first fragment has no ports to key on.
    if ((dv.getUint16(inner + 6) & 0x1fff) !== 0) return -1;
    proto = dv.getUint8(inner + 9);
    l4 = inner + ihl;
    key[0] = dv.getInt32(inner + 16);
    key[1] = 0; key[2] = 0; key[3] = 0;
    key[4] = dv.getInt32(inner + 12);
    key[5] = 0; key[6] = 0; key[7] = 0;
  }
  if (proto !== 6 && proto !== 17) return -1;
  // Quoted sport (VIP side) becomes the key's dport.
  key[Key.PORTS] = (dv.getUint16(l4 + 2) << 16) | dv.getUint16(l4);
  key[Key.KIND] = proto | (v6 ? Key.V6 : 0);
  return proto;
}

export { FLOW_KEY_WORDS };
