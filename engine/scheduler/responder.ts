// The VIP's ARP and NDP answers on the scheduler's interface. The LB nodes hold the VIP with
// arp_ignore/no NA, so only the scheduler answers: an ARP reply (RFC 826) to a request for a
// VIP, a solicited neighbour advertisement (RFC 4861 §7.2.4) to a solicitation for a VIP6; and,
// on takeover, gratuitous ARP (RFC 5227 §3: an ARP request announcing the VIP) and unsolicited
// advertisements to all nodes (RFC 4861 §7.2.6). Slow path: frames are built as new buffers.
// Requests come from decide() as "consumed" frames; 802.1Q tags in the frame are kept. Frames are
// parsed and built by engine/packet.
import { LbError } from '../errors.js';
import { buildFrame, ipBytes, ipText, macText, parseFrame, ParsedFrame, vlanTags, ETH_ARP, ICMP6_NS, Reason } from '../packet/index.js';
import type { FrameSpec, VlanTag } from '../packet/index.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const ALL_NODES_MAC = '33:33:00:00:00:01';
const ALL_NODES = 'ff02::1';
const NO_MAC = '00:00:00:00:00:00';
const parsed = new ParsedFrame();

function arpFrame(dst: string, src: string, vlans: VlanTag[], op: 1 | 2, sender: { mac: string; ip: string }, target: { mac: string; ip: string }): Uint8Array {
  return buildFrame({ dst, src, vlans, trailer: new Uint8Array(0),
    body: { kind: 'arp', op, senderMac: sender.mac, senderIp: sender.ip, targetMac: target.mac, targetIp: target.ip } });
}

// The request's tags and the offsets of its ARP or IPv6 header, or null if it does not parse.
function parse(request: Uint8Array): { vlans: VlanTag[]; l3: number; l4: number } | null {
  if (parseFrame(request, 0, request.length, parsed) !== Reason.OK) return null;
  return { vlans: vlanTags(request, parsed), l3: parsed.l3, l4: parsed.l4 };
}

/** The ARP reply to `request` (an ARP request for one of our VIPs): the VIP is at `mac`. */
export function arpReply(request: Uint8Array, mac: Uint8Array): Uint8Array {
  const r = parse(request);
  if (r === null || parsed.etherType !== ETH_ARP) throw new LbError('ERR_RESPONDER_REQUEST', 'Expected an ARP request to answer.');
  const own = macText(mac, 0);
  const requester = { mac: macText(request, r.l3 + 8), ip: ipText(request, r.l3 + 14, 4) };
  return arpFrame(requester.mac, own, r.vlans, 2, { mac: own, ip: ipText(request, r.l3 + 24, 4) }, requester);
}

/** A gratuitous ARP announcing that `vip` is now at `mac` (sent a few times on takeover). */
export function gratuitousArp(vip: string, mac: Uint8Array): Uint8Array {
  const own = macText(mac, 0);
  return arpFrame(BROADCAST, own, [], 1, { mac: own, ip: vip }, { mac: NO_MAC, ip: vip });
}

// A neighbour advertisement for `target` at `mac` with the target link-layer address option.
// Hop limit 255: receivers drop NDP that crossed a router. Source: the VIP itself.
function advertisement(dstMac: string, mac: Uint8Array, vlans: VlanTag[], dstIp: string, target: string, solicited: boolean): Uint8Array {
  const own = macText(mac, 0);
  const spec: FrameSpec = { dst: dstMac, src: own, vlans, trailer: new Uint8Array(0),
    body: { kind: 'ipv6', src: target, dst: dstIp, trafficClass: 0, flowLabel: 0, hopLimit: 255, extensions: [],
      l4: { kind: 'na', router: false, solicited, override: true, target, targetMac: own } } };
  return buildFrame(spec);
}

/** The solicited neighbour advertisement answering `solicitation` (for one of our VIP6s). */
export function neighbourAdvertisement(solicitation: Uint8Array, mac: Uint8Array): Uint8Array {
  const r = parse(solicitation);
  if (r === null || parsed.icmpType !== ICMP6_NS) throw new LbError('ERR_RESPONDER_REQUEST', 'Expected a neighbour solicitation to answer.');
  const src = ipText(solicitation, r.l3 + 8, 16);
  const target = ipText(solicitation, r.l4 + 8, 16);
  // Duplicate address detection comes from "::": answer all nodes, not solicited (RFC 4861 §7.2.4).
  const dad = src === '::';
  return advertisement(dad ? ALL_NODES_MAC : macText(solicitation, 6), mac, r.vlans, dad ? ALL_NODES : src, target, !dad);
}

/** An unsolicited neighbour advertisement to all nodes: `vip6` is now at `mac` (takeover). */
export function unsolicitedAdvertisement(vip6: string, mac: Uint8Array): Uint8Array {
  return advertisement(ALL_NODES_MAC, mac, [], ALL_NODES, ipText(ipBytes(vip6), 0, 16), false);
}

/** The answer to a frame decide() consumed (ARP request or NS for a VIP), or null. */
export function answerFor(frame: Uint8Array, mac: Uint8Array): Uint8Array | null {
  if (parse(frame) === null) return null;
  if (parsed.etherType === ETH_ARP && parsed.arpOp === 1) return arpReply(frame, mac);
  if (parsed.icmpType === ICMP6_NS && parsed.ipVersion === 6 && !parsed.fragment) return neighbourAdvertisement(frame, mac);
  return null;
}
