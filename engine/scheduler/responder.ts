// The VIP's ARP and NDP answers on the scheduler's interface. The LB nodes hold the VIP with
// arp_ignore/no NA, so only the scheduler answers: an ARP reply (RFC 826) to a request for a
// VIP, a solicited neighbour advertisement (RFC 4861 §7.2.4) to a solicitation for a VIP6; and,
// on takeover, gratuitous ARP (RFC 5227 §3: an ARP request announcing the VIP) and unsolicited
// advertisements to all nodes (RFC 4861 §7.2.6). Slow path: frames are built as new buffers.
// Requests come from decide() as "consumed" frames; 802.1Q tags in the frame are kept.
import { checksum } from '../ring/checksum.js';
import { addressWords } from './service-set.js';

const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const BROADCAST = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ALL_NODES_MAC = Uint8Array.from([0x33, 0x33, 0, 0, 0, 1]);
const ALL_NODES = Uint8Array.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;

function addressBytes(address: string): Uint8Array {
  const w = addressWords(address);
  const v6 = address.includes(':');
  const out = new Uint8Array(v6 ? 16 : 4);
  const dv = new DataView(out.buffer);
  if (v6) for (let i = 0; i < 4; i++) dv.setUint32(4 * i, w[i]);
  else dv.setUint32(0, w[0]);
  return out;
}

// Ethernet header (tags copied from `tags`: the bytes between the MACs and the ethertype).
function ethernet(dst: Uint8Array, src: Uint8Array, tags: Uint8Array, type: number, payloadLength: number): Uint8Array {
  const f = new Uint8Array(12 + tags.length + 2 + payloadLength);
  f.set(dst, 0);
  f.set(src, 6);
  f.set(tags, 12);
  new DataView(f.buffer).setUint16(12 + tags.length, type);
  return f;
}

// The 802.1Q/802.1ad tags of a frame and where its payload starts.
function tagsOf(frame: Uint8Array): { tags: Uint8Array; l3: number } {
  let p = 12;
  while (p + 4 <= frame.length) {
    const type = (frame[p] << 8) | frame[p + 1];
    if (type !== 0x8100 && type !== 0x88a8) break;
    p += 4;
  }
  return { tags: frame.slice(12, p), l3: p + 2 };
}

function arpFrame(dst: Uint8Array, src: Uint8Array, tags: Uint8Array, op: number, senderMac: Uint8Array,
  senderIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array): Uint8Array {
  const f = ethernet(dst, src, tags, ETH_ARP, 28);
  const p = 14 + tags.length;
  f.set([0, 1, 8, 0, 6, 4, 0, op], p);
  f.set(senderMac, p + 8);
  f.set(senderIp, p + 14);
  f.set(targetMac, p + 18);
  f.set(targetIp, p + 24);
  return f;
}

/** The ARP reply to `request` (an ARP request for one of our VIPs): the VIP is at `mac`. */
export function arpReply(request: Uint8Array, mac: Uint8Array): Uint8Array {
  const { tags, l3 } = tagsOf(request);
  const requesterMac = request.slice(l3 + 8, l3 + 14);
  const requesterIp = request.slice(l3 + 14, l3 + 18);
  const vip = request.slice(l3 + 24, l3 + 28);
  return arpFrame(requesterMac, mac, tags, 2, mac, vip, requesterMac, requesterIp);
}

/** A gratuitous ARP announcing that `vip` is now at `mac` (sent a few times on takeover). */
export function gratuitousArp(vip: string, mac: Uint8Array): Uint8Array {
  const ip = addressBytes(vip);
  return arpFrame(BROADCAST, mac, new Uint8Array(0), 1, mac, ip, new Uint8Array(6), ip);
}

// A neighbour advertisement for `target` at `mac`, with the target link-layer address option.
function advertisement(dstMac: Uint8Array, mac: Uint8Array, tags: Uint8Array, dstIp: Uint8Array, target: Uint8Array, flags: number): Uint8Array {
  const icmpLength = 24 + 8;
  const f = ethernet(dstMac, mac, tags, ETH_IPV6, 40 + icmpLength);
  const ip = 14 + tags.length;
  const dv = new DataView(f.buffer);
  f[ip] = 0x60;
  dv.setUint16(ip + 4, icmpLength);
  f[ip + 6] = 58; // ICMPv6
  f[ip + 7] = 255; // hop limit 255: receivers drop NDP that crossed a router
  f.set(target, ip + 8); // source: the VIP itself
  f.set(dstIp, ip + 24);
  const icmp = ip + 40;
  f[icmp] = 136;
  f[icmp + 4] = flags;
  f.set(target, icmp + 8);
  f[icmp + 24] = 2; // option: target link-layer address, 1 x 8 bytes
  f[icmp + 25] = 1;
  f.set(mac, icmp + 26);
  // Checksum over the pseudo-header (src, dst, length, next header) and the message.
  const pseudo = new Uint8Array(40 + icmpLength);
  pseudo.set(f.subarray(ip + 8, ip + 40), 0);
  new DataView(pseudo.buffer).setUint32(32, icmpLength);
  pseudo[39] = 58;
  pseudo.set(f.subarray(icmp, icmp + icmpLength), 40);
  dv.setUint16(icmp + 2, checksum(pseudo));
  return f;
}

/** The solicited neighbour advertisement answering `solicitation` (for one of our VIP6s). */
export function neighbourAdvertisement(solicitation: Uint8Array, mac: Uint8Array): Uint8Array {
  const { tags, l3 } = tagsOf(solicitation);
  const src = solicitation.slice(l3 + 8, l3 + 24);
  const target = solicitation.slice(l3 + 48, l3 + 64);
  // Duplicate address detection comes from "::": answer all nodes, not solicited (RFC 4861 §7.2.4).
  const dad = src.every((b) => b === 0);
  return advertisement(dad ? ALL_NODES_MAC : solicitation.slice(6, 12), mac, tags, dad ? ALL_NODES : src, target,
    dad ? NA_OVERRIDE : NA_SOLICITED | NA_OVERRIDE);
}

/** An unsolicited neighbour advertisement to all nodes: `vip6` is now at `mac` (takeover). */
export function unsolicitedAdvertisement(vip6: string, mac: Uint8Array): Uint8Array {
  return advertisement(ALL_NODES_MAC, mac, new Uint8Array(0), ALL_NODES, addressBytes(vip6), NA_OVERRIDE);
}

/** The answer to a frame decide() consumed (ARP request or NS for a VIP), or null. */
export function answerFor(frame: Uint8Array, mac: Uint8Array): Uint8Array | null {
  const { l3 } = tagsOf(frame);
  const type = (frame[l3 - 2] << 8) | frame[l3 - 1];
  if (type === ETH_ARP && frame.length >= l3 + 28) return arpReply(frame, mac);
  if (type === ETH_IPV6 && frame.length >= l3 + 64 && frame[l3 + 6] === 58 && frame[l3 + 40] === 135) {
    return neighbourAdvertisement(frame, mac);
  }
  return null;
}
