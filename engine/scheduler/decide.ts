// The per-frame decision of the scheduler: which LB node gets a frame (its index in the node
// list), or drop, or "consumed" (an ARP/NDP request or a ping for a VIP: the responder answers it). The
// addon applies the decisions (MAC rewrite, TX); this side only reads frame bytes and fills an
// Int32Array. Hot path: no allocation, integer math, reused key records, counters in typed
// arrays. A batch keys its common frames in one pass and routes in a second (decideStaged).
//
// Parsing here is only what the decision needs (Ethernet + 802.1Q/802.1ad tags, IPv4 with IHL and
// fragments, IPv6 with its extension-header chain, TCP/UDP ports and flags, ICMP type, ARP, NDP
// neighbour solicitation): bounds are checked before every read and nothing throws. A frame the
// codec (engine/packet) refuses is never forwarded nor handed to the responder: it is dropped as
// NOT_IP (an ethertype that is not ARP or IP) or MALFORMED (everything else). The checks only the
// rare shapes need (IPv4 options, extension headers, fragments, NDP options) sit on their paths.
import { DropReason, SchedulerCounters } from './counters.js';
import { FlowClass, FLOW_KEY_WORDS, KEY_DST, KEY_KIND, KEY_PORTS, type Same } from './flow-table.js';
import { hashFlowKey } from './flow-hash.js';
import { fillKey, fillQuotedKey, keyAddresses, viewOf, KIND_IPV6 } from './flow-key.js';
import type { FlowRouter } from './flow-router.js';
import type { ServiceSet } from './service-set.js';
import { fragmentFits, ipv4FragmentFits, ipv4OptionsFit } from '../packet/parse-ip.js';
import { ndpOptionsFit, tcpHeaderLength, udpLengthFits } from '../packet/parse-l4.js';
import { DESC_FLAGS, DESC_LENGTH, DESC_OFFSET, DESC_VLAN, FrameFlag } from '../ring/constants.js';

/** Decisions below 0 (same values as the addon's Decision). */
export const DECISION_DROP = -1;
export const DECISION_CONSUMED = -2;

// Wire constants as a const enum: tsc and esbuild write a member's value into the code, where a
// module const is loaded from the module's context, with a small-integer check, at every use.
const enum Wire {
  ETH_IPV4 = 0x0800,
  ETH_IPV6 = 0x86dd,
  ETH_ARP = 0x0806,
  ETH_VLAN = 0x8100,
  ETH_QINQ = 0x88a8,
  TCP = 6,
  UDP = 17,
  ICMP = 1,
  ICMPV6 = 58,
  TCP_FIN_SYN_RST = 0x07,
  MAX_V6_EXTENSIONS = 8,
  MAX_VLAN_TAGS = 2,
  VID_RESERVED = 0xfff,
  IPV4_NOT_DF = 0xbfff, // reserved, MF, offset: any of them set is a fragment (or broken)
}
// The flow key's layout and classes (flow-table.ts) and its IPv6 kind bit (flow-key.ts), as values
// in the code like Wire's (see flow-table.ts's Same).
const enum Key { WORDS = 10, DST = 4, PORTS = 8, KIND = 9, V6 = 0x100, EMBRYONIC = 1, ESTABLISHED = 2 }
type KeyChecked = [Same<typeof FLOW_KEY_WORDS, Key.WORDS>, Same<typeof KEY_DST, Key.DST>, Same<typeof KEY_PORTS, Key.PORTS>,
  Same<typeof KEY_KIND, Key.KIND>, Same<typeof KIND_IPV6, Key.V6>, Same<typeof FlowClass.EMBRYONIC, Key.EMBRYONIC>,
  Same<typeof FlowClass.ESTABLISHED, Key.ESTABLISHED>];
// Imported constants of the ring path, as local consts: V8 reads an imported binding through a
// Cell, with a TDZ check, at every use; a local const is one load from the context.
const D_OFFSET = DESC_OFFSET;
const D_LENGTH = DESC_LENGTH;
const D_FLAGS = DESC_FLAGS;
const D_VLAN = DESC_VLAN;
const VLAN_VALID = FrameFlag.VLAN_VALID;
const CUT = FrameFlag.TRUNCATED;
// The length decideDescriptors gives a frame its ring slot cut short: too short for any shape, so
// only decide() sees it, and counts it apart from the malformed.
const CUT_LENGTH = -1;

export class Decider {
  private readonly key = new Int32Array(Key.WORDS);
  // A DataView over the frames' buffer, made again only when the buffer changes (a ring or a
  // capture buffer stays the same for a whole run).
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.buf.buffer);
  // decideStaged's columns: per frame its key record and flow class (0: decided alone); a ring
  // batch's frames (decideDescriptors).
  private stagedKeys = new Int32Array(0);
  private stagedClasses = new Int32Array(0);
  private stagedOffsets = new Int32Array(0);
  private stagedLengths = new Int32Array(0);
  private stagedTags = new Int32Array(0);

  constructor(private readonly services: ServiceSet, readonly router: FlowRouter,
    readonly counters: SchedulerCounters) {}

  /** Decides frames i < count (buf[offsets[i], +lengths[i])) into out[i]; `now`: ms as a wrapping int32 (Date.now() | 0). */
  decideBatch(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, out: Int32Array, now: number): void {
    this.decideStaged(buf, offsets, lengths, null, count, out, now);
  }

  /** Decides the frames of a ring batch: frame i at ring[desc[i * stride], +desc[i * stride + 1]),
   *  with the outer VLAN tag the kernel took off it, if any (the addon puts it back on forward). */
  decideDescriptors(ring: Uint8Array, desc: Int32Array, stride: number, count: number, out: Int32Array, now: number): void {
    if (count > this.stagedClasses.length) this.growStage(count);
    const offsets = this.stagedOffsets;
    const lengths = this.stagedLengths;
    const tags = this.stagedTags;
    for (let i = 0, d = 0; i < count; i++, d += stride) {
      const flags = desc[d + D_FLAGS];
      offsets[i] = desc[d + D_OFFSET];
      lengths[i] = (flags & CUT) === 0 ? desc[d + D_LENGTH] : CUT_LENGTH;
      tags[i] = (flags & VLAN_VALID) !== 0 ? desc[d + D_VLAN] : 0;
    }
    this.decideStaged(ring, offsets, lengths, tags, count, out, now);
  }

  // A batch in stages: every frame of the common shape (see keyFrames) is keyed first; then
  // every frame is routed in order (hashed there), the others by decide(), so the flow table sees
  // the frames in the order they came. Same decisions and counters as deciding frame by frame,
  // with fewer calls per frame: each stage is a loop of its own, into which V8 inlines what it
  // calls (its inlining budget is per optimized function). The hash has no stage of its own: a
  // third loop over the batch, with a column of hashes written and read back, cost more than it
  // saved. `tags`: the VLAN tag the kernel stripped per frame (0: none).
  private decideStaged(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, tags: Int32Array | null,
    count: number, out: Int32Array, now: number): void {
    if (count > this.stagedClasses.length) this.growStage(count);
    this.keyFrames(buf, offsets, lengths, tags, count);
    this.routeFrames(buf, offsets, lengths, tags, count, out, now);
  }

  // The first stage. A frame of the common shape (untagged Ethernet; IPv4 without options or
  // IPv6 without extension headers; unfragmented TCP or UDP to a configured service) gets its
  // flow key in keys[i * Key.WORDS, +Key.WORDS), as decide() would key it, and its flow class;
  // any other frame class 0 (decide() takes it, with every check and drop reason). Reads only:
  // no counter, no table. The shape checks are written in the loop, not in a function of their
  // own, so that the inlining budget goes to keyTransport and what it calls.
  private keyFrames(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, tags: Int32Array | null, count: number): void {
    const dv = this.viewFor(buf);
    const keys = this.stagedKeys;
    const classes = this.stagedClasses;
    const services = this.services;
    for (let i = 0; i < count; i++) {
      classes[i] = 0;
      const len = lengths[i];
      const off = offsets[i];
      const end = off + len;
      if (len < 14 || end > buf.length || (tags !== null && tags[i] !== 0)) continue;
      const type = dv.getUint16(off + 12);
      const l3 = off + 14;
      let v6: boolean;
      let proto: number;
      let l4: number;
      let l4end: number;
      if (type === Wire.ETH_IPV4) {
        // 0x45: version 4, a 20-byte header; no fragment bit but DF.
        if (l3 + 20 > end || buf[l3] !== 0x45 || (dv.getUint16(l3 + 6) & Wire.IPV4_NOT_DF) !== 0) continue;
        v6 = false;
        proto = buf[l3 + 9];
        l4 = l3 + 20;
        l4end = l3 + dv.getUint16(l3 + 2);
        if (l4end < l4) continue;
      } else if (type === Wire.ETH_IPV6) {
        if (l3 + 40 > end || buf[l3] >> 4 !== 6) continue;
        v6 = true;
        proto = buf[l3 + 6];
        l4 = l3 + 40;
        l4end = l4 + dv.getUint16(l3 + 4);
      } else continue;
      if (l4end > end) continue;
      const cls = keyTransport(dv, buf, l3, v6, proto, l4, l4end, services, keys, i * Key.WORDS);
      if (cls > 0) classes[i] = cls;
    }
  }

  private routeFrames(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, tags: Int32Array | null, count: number, out: Int32Array, now: number): void {
    const keys = this.stagedKeys;
    const classes = this.stagedClasses;
    const router = this.router;
    for (let i = 0, at = 0; i < count; i++, at += Key.WORDS) {
      const cls = classes[i];
      out[i] = cls === 0 ? this.decide(buf, offsets[i], lengths[i], now, tags === null ? 0 : tags[i])
        : this.forwarded(router.route(keys, hashFlowKey(keys, at), cls, now, at), lengths[i]);
    }
  }

  /** The decision for the frame buf[off, off + len); `stripped`: the outer VLAN tag (TCI | TPID << 16)
   *  the receiving kernel took off the frame, 0 if none: it counts as the frame's first tag. */
  decide(buf: Uint8Array, off: number, len: number, now: number, stripped = 0): number {
    const dv = this.viewFor(buf);
    const end = off + len;
    if (len < 14 || end > buf.length) return this.drop(len === CUT_LENGTH ? DropReason.TRUNCATED : DropReason.MALFORMED);
    let p = off + 12;
    let type = dv.getUint16(p);
    p += 2;
    let tags = 0;
    if (stripped !== 0) {
      if ((stripped & 0xfff) === Wire.VID_RESERVED) return this.drop(DropReason.MALFORMED);
      tags = 1;
    }
    for (; type === Wire.ETH_VLAN || type === Wire.ETH_QINQ; tags++) {
      // At most two tags, 802.1ad only as the outer one, VID 4095 reserved (IEEE 802.1Q §9.6).
      if (tags === Wire.MAX_VLAN_TAGS || (type === Wire.ETH_QINQ && tags > 0) || p + 4 > end || (dv.getUint16(p) & 0xfff) === Wire.VID_RESERVED) {
        return this.drop(DropReason.MALFORMED);
      }
      type = dv.getUint16(p + 2);
      p += 4;
    }
    let node: number;
    if (type === Wire.ETH_IPV4) node = this.ipv4(dv, buf, p, end, now);
    else if (type === Wire.ETH_IPV6) node = this.ipv6(dv, buf, p, end, now);
    else if (type === Wire.ETH_ARP) return this.arp(dv, p, end);
    else return this.drop(DropReason.NOT_IP);
    if (node >= 0) this.count(node, len);
    return node;
  }

  private viewFor(buf: Uint8Array): DataView {
    if (buf !== this.buf) {
      this.buf = buf;
      this.dv = viewOf(buf);
    }
    return this.dv;
  }

  private count(node: number, len: number): void {
    this.counters.nodePackets[node]++;
    this.counters.nodeBytes[node] += len;
  }

  // A routed frame of `len` bytes: counted on its node, or dropped if no node takes it.
  private forwarded(node: number, len: number): number {
    if (node < 0) return this.drop(DropReason.NO_NODE);
    this.count(node, len);
    return node;
  }

  // Room for `count` staged frames: a key record and a class each, and a ring batch's frames.
  private growStage(count: number): void {
    this.stagedKeys = new Int32Array(count * Key.WORDS);
    this.stagedClasses = new Int32Array(count);
    this.stagedOffsets = new Int32Array(count);
    this.stagedLengths = new Int32Array(count);
    this.stagedTags = new Int32Array(count);
  }

  private drop(reason: number): number {
    this.counters.drops[reason]++;
    return DECISION_DROP;
  }

  // A ping of a VIP: the responder answers it from the VIP, as a host holding the address would.
  private echoRequest(): number {
    this.counters.events[0]++;
    this.counters.events[6]++;
    return DECISION_CONSUMED;
  }

  private arp(dv: DataView, p: number, end: number): number {
    // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4, a request or a reply.
    if (p + 28 > end || dv.getInt32(p) !== 0x00010800 || dv.getUint16(p + 4) !== 0x0604) return this.drop(DropReason.MALFORMED);
    const op = dv.getUint16(p + 6);
    if (op !== 1 && op !== 2) return this.drop(DropReason.MALFORMED);
    if (op !== 1 || !this.services.has(dv.getInt32(p + 24), 0, 0, 0, 0)) {
      return this.drop(DropReason.NOT_VIP_RESOLUTION);
    }
    this.counters.events[0]++;
    return DECISION_CONSUMED;
  }

  private ipv4(dv: DataView, buf: Uint8Array, p: number, end: number, now: number): number {
    if (p + 20 > end) return this.drop(DropReason.MALFORMED);
    const vihl = buf[p];
    const ihl = (vihl & 0x0f) * 4;
    const total = dv.getUint16(p + 2);
    if (vihl >> 4 !== 4 || ihl < 20 || total < ihl || p + total > end) return this.drop(DropReason.MALFORMED);
    if (ihl > 20 && !ipv4OptionsFit(buf, p + 20, p + ihl)) return this.drop(DropReason.MALFORMED);
    const dst = dv.getInt32(p + 16);
    const proto = buf[p + 9];
    const l4 = p + ihl;
    const l4end = p + total;
    const flags = dv.getUint16(p + 6);
    const frag = flags & Wire.IPV4_NOT_DF;
    // The common case first: an unfragmented TCP/UDP packet, one service lookup.
    if (frag === 0 && (proto === Wire.TCP || proto === Wire.UDP)) return this.transport(dv, buf, p, false, proto, l4, l4end, now);
    if (frag !== 0 && !ipv4FragmentFits(flags, total - ihl)) return this.drop(DropReason.MALFORMED);
    if (!this.services.has(dst, 0, 0, 0, 0)) return this.drop(DropReason.NOT_VIP);
    if (frag !== 0) return this.fragment(dv, p, false, proto, l4, l4end, (frag & 0x1fff) === 0, dst, 0, 0, 0, now);
    if (proto === Wire.ICMP) {
      if (l4 + 8 > l4end) return this.drop(DropReason.MALFORMED);
      if (buf[l4] === 8 && buf[l4 + 1] === 0) return this.echoRequest();
      // Type 3 code 4: fragmentation needed (PMTU discovery).
      if (buf[l4] !== 3 || buf[l4 + 1] !== 4) return this.drop(DropReason.ICMP_NOT_STEERABLE);
      return this.steerIcmpError(dv, l4 + 8, l4end, false);
    }
    return this.drop(DropReason.NOT_SERVICE);
  }

  private ipv6(dv: DataView, buf: Uint8Array, p: number, end: number, now: number): number {
    if (p + 40 > end || buf[p] >> 4 !== 6) return this.drop(DropReason.MALFORMED);
    const l4end = p + 40 + dv.getUint16(p + 4);
    if (l4end > end) return this.drop(DropReason.MALFORMED);
    let next = buf[p + 6];
    let l4 = p + 40;
    let fragment = false;
    let firstFragment = false;
    let n = 0;
    for (; n < Wire.MAX_V6_EXTENSIONS; n++) {
      if (next === 0 || next === 43 || next === 60) { // hop-by-hop, routing, destination options
        // Hop-by-hop only right after the fixed header (RFC 8200 §4.1).
        if (l4 + 8 > l4end || (next === 0 && n > 0)) return this.drop(DropReason.MALFORMED);
        next = buf[l4];
        l4 += (buf[l4 + 1] + 1) * 8;
      } else if (next === 44) { // fragment header, once
        if (l4 + 8 > l4end || fragment) return this.drop(DropReason.MALFORMED);
        const field = dv.getUint16(l4 + 2);
        fragment = true;
        firstFragment = (field & 0xfff8) === 0;
        next = buf[l4];
        l4 += 8;
        if (!fragmentFits(field & 0xfff8, l4end - l4, (field & 1) !== 0)) return this.drop(DropReason.MALFORMED);
        if (!firstFragment) break; // a later fragment's data follows, not headers
      } else break;
    }
    if (l4 > l4end) return this.drop(DropReason.MALFORMED);
    if (n === Wire.MAX_V6_EXTENSIONS && (next === 0 || next === 43 || next === 60 || next === 44)) return this.drop(DropReason.MALFORMED);
    const d0 = dv.getInt32(p + 24);
    const d1 = dv.getInt32(p + 28);
    const d2 = dv.getInt32(p + 32);
    const d3 = dv.getInt32(p + 36);
    if (next === Wire.ICMPV6 && !fragment) {
      if (l4 + 8 > l4end) return this.drop(DropReason.MALFORMED);
      const type = buf[l4];
      // Neighbour solicitation (to the solicited-node group or the VIP itself): target at +8.
      if (type === 135) {
        if (l4 + 24 > l4end || !ndpOptionsFit(buf, l4 + 24, l4end)) return this.drop(DropReason.MALFORMED);
        if (!this.services.has(dv.getInt32(l4 + 8), dv.getInt32(l4 + 12), dv.getInt32(l4 + 16), dv.getInt32(l4 + 20), Key.V6)) {
          return this.drop(DropReason.NOT_VIP_RESOLUTION);
        }
        this.counters.events[0]++;
        return DECISION_CONSUMED;
      }
      if (!this.services.has(d0, d1, d2, d3, Key.V6)) return this.drop(DropReason.NOT_VIP);
      if (type === 128 && buf[l4 + 1] === 0) return this.echoRequest();
      if (type !== 2) return this.drop(DropReason.ICMP_NOT_STEERABLE); // 2: packet too big
      return this.steerIcmpError(dv, l4 + 8, l4end, true);
    }
    if (!fragment && (next === Wire.TCP || next === Wire.UDP)) return this.transport(dv, buf, p, true, next, l4, l4end, now);
    if (!this.services.has(d0, d1, d2, d3, Key.V6)) return this.drop(DropReason.NOT_VIP);
    if (fragment) return this.fragment(dv, p, true, next, l4, l4end, firstFragment, d0, d1, d2, d3, now);
    return this.drop(DropReason.NOT_SERVICE);
  }

  // An unfragmented TCP/UDP packet (IP header at l3, transport header at l4).
  private transport(dv: DataView, buf: Uint8Array, l3: number, v6: boolean, proto: number, l4: number, l4end: number, now: number): number {
    const key = this.key;
    const cls = keyTransport(dv, buf, l3, v6, proto, l4, l4end, this.services, key, 0);
    if (cls === KEYED_MALFORMED) return this.drop(DropReason.MALFORMED);
    if (cls === KEYED_NOT_SERVICE) return this.drop(this.notServiceReason(key[Key.DST], key[Key.DST + 1], key[Key.DST + 2], key[Key.DST + 3], v6 ? Key.V6 : 0));
    return this.routed(this.router.route(key, hashFlowKey(key), cls, now));
  }

  // Off the hot path: which of the two a packet to no configured service is.
  private notServiceReason(d0: number, d1: number, d2: number, d3: number, v6: number): number {
    return this.services.has(d0, d1, d2, d3, v6) ? DropReason.NOT_SERVICE : DropReason.NOT_VIP;
  }

  private fragment(dv: DataView, l3: number, v6: boolean, proto: number, l4: number, l4end: number,
    first: boolean, d0: number, d1: number, d2: number, d3: number, now: number): number {
    let kind = proto | (v6 ? Key.V6 : 0);
    if (first && (proto === Wire.TCP || proto === Wire.UDP)) {
      if (l4 + 4 > l4end) return this.drop(DropReason.MALFORMED);
      kind |= dv.getUint16(l4 + 2) << 16;
    }
    if (!this.services.has(d0, d1, d2, d3, kind)) return this.drop(DropReason.NOT_SERVICE);
    const key = this.key;
    fillKey(key, dv, l3, v6, proto, l4, false, true);
    return this.routed(this.router.route(key, hashFlowKey(key), Key.EMBRYONIC, now));
  }

  // The quoted packet at `inner` went VIP:port → client; its flow is client → VIP:port.
  private steerIcmpError(dv: DataView, inner: number, l4end: number, v6: boolean): number {
    const key = this.key;
    const proto = fillQuotedKey(key, dv, inner, l4end - inner, v6);
    if (proto < 0) return this.drop(DropReason.ICMP_NOT_STEERABLE);
    const kind = proto | (v6 ? Key.V6 : 0) | ((key[Key.PORTS] & 0xffff) << 16);
    if (!this.services.has(key[4], key[5], key[6], key[7], kind)) return this.drop(DropReason.ICMP_NOT_STEERABLE);
    const node = this.router.peek(key, hashFlowKey(key));
    if (node >= 0) this.counters.events[1]++;
    return this.routed(node);
  }

  private routed(node: number): number {
    return node >= 0 ? node : this.drop(DropReason.NO_NODE);
  }
}

const KEYED_MALFORMED = -1;
const KEYED_NOT_SERVICE = 0;

// Keys an unfragmented packet (IP header at l3, IPv6 if v6; transport header at l4, ending at
// l4end) into keys[at, +Key.WORDS) and returns its flow class if it is TCP or UDP to a configured
// service; KEYED_MALFORMED if its TCP/UDP header does not fit, KEYED_NOT_SERVICE otherwise (the
// destination is keyed either way, for the drop reason). An IPv4 key's padding words are 0.
function keyTransport(dv: DataView, buf: Uint8Array, l3: number, v6: boolean, proto: number, l4: number, l4end: number,
  services: ServiceSet, keys: Int32Array, at: number): number {
  if (proto !== Wire.TCP && proto !== Wire.UDP) return KEYED_NOT_SERVICE;
  if (!transportFits(dv, buf, proto, l4, l4end)) return KEYED_MALFORMED;
  keyAddresses(keys, at, dv, l3, v6);
  const d = at + Key.DST;
  const ports = dv.getInt32(l4);
  const kind = proto | (v6 ? Key.V6 : 0);
  if (!services.has(keys[d], keys[d + 1], keys[d + 2], keys[d + 3], kind | (ports << 16))) return KEYED_NOT_SERVICE;
  keys[at + Key.PORTS] = ports;
  keys[at + Key.KIND] = kind;
  return flowClass(buf, proto, l4);
}

// A TCP data offset of at least 5 words inside the segment; a UDP length that is the datagram's.
function transportFits(dv: DataView, buf: Uint8Array, proto: number, l4: number, l4end: number): boolean {
  return proto === Wire.TCP ? tcpHeaderLength(buf, l4, l4end) !== 0 : udpLengthFits(dv, l4, l4end);
}

// A bare SYN, or a FIN/RST (closing), makes an entry the flow table may recycle first.
function flowClass(buf: Uint8Array, proto: number, l4: number): number {
  return proto === Wire.TCP && (buf[l4 + 13] & Wire.TCP_FIN_SYN_RST) !== 0 ? Key.EMBRYONIC : Key.ESTABLISHED;
}
