// The VIP's ARP, NDP and echo answers on the scheduler's interface. The LB nodes hold the VIP
// with arp_ignore/no NA, so only the scheduler answers: an ARP reply (RFC 826) to a request for a
// VIP, a solicited neighbour advertisement (RFC 4861 §7.2.4) to a solicitation for a VIP6, an echo
// reply (RFC 792, RFC 4443 §4.2) to a ping of a VIP, as Katran answers pings of its VIPs; and, on
// takeover, gratuitous ARP (RFC 5227 §3: an ARP request announcing the VIP) and unsolicited
// advertisements to all nodes (RFC 4861 §7.2.6). Slow path: frames are built as new buffers.
// Requests come from decide() as "consumed" frames; 802.1Q tags in the frame are kept. Frames are
// parsed and built by engine/packet.
import { LbError } from '../errors.js';
import { buildFrame, ipBytes, ipText, macText, parseFrame, ParsedFrame, vlanTags, ETH_ARP, ICMP6_NS, Reason } from '../packet/index.js';
import type { FrameSpec, VlanTag } from '../packet/index.js';
import { checksum, pseudoHeaderChecksum } from '../packet/checksums.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMP6_ECHO_REQUEST = 128;
const ICMP6_ECHO_REPLY = 129;
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

/**
 * The echo reply to `request` (an ICMP or ICMPv6 echo request to a VIP): from the VIP to the
 * sender, through the MAC it came from, with the request's identifier, sequence and data.
 */
export function echoReply(request: Uint8Array, mac: Uint8Array): Uint8Array {
  const r = parse(request);
  const v6 = parsed.ipVersion === 6;
  if (r === null || parsed.icmpType !== (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO_REQUEST) || parsed.fragment) {
    throw new LbError('ERR_RESPONDER_REQUEST', 'Expected an echo request to answer.');
  }
  const vip = ipText(request, parsed.dstAddress, parsed.addressLength);
  const sender = ipText(request, parsed.srcAddress, parsed.addressLength);
  const rest = ((request[r.l4 + 4] << 24) | (request[r.l4 + 5] << 16) | (request[r.l4 + 6] << 8) | request[r.l4 + 7]) >>> 0;
  const payload = request.slice(r.l4 + 8, parsed.l4End);
  const body: FrameSpec['body'] = v6
    ? { kind: 'ipv6', src: vip, dst: sender, trafficClass: 0, flowLabel: 0, hopLimit: 64, extensions: [],
      l4: { kind: 'icmp6', type: ICMP6_ECHO_REPLY, code: 0, rest, payload } }
    : { kind: 'ipv4', src: vip, dst: sender, tos: 0, id: 0, ttl: 64, dontFragment: false, moreFragments: false, fragmentOffset: 0,
      options: new Uint8Array(0), l4: { kind: 'icmp', type: ICMP_ECHO_REPLY, code: 0, rest, payload } };
  return buildFrame({ dst: macText(request, 6), src: macText(mac, 0), vlans: r.vlans, trailer: new Uint8Array(0), body });
}

/** A token bucket: allows `perSecond` calls a second on average, bursts of up to that many. */
export function replyBudget(perSecond: number, now: () => number = Date.now): () => boolean {
  let tokens = perSecond;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(perSecond, tokens + ((t - last) * perSecond) / 1000);
    last = t;
    if (tokens < 1) return false;
    tokens--;
    return true;
  };
}

/**
 * The answer to a frame decide() consumed (ARP request, NS or echo request for a VIP), or null.
 * `echoAllowed` is asked before a ping is answered (a reply budget: a ping flood must not take the
 * forwarding thread's time).
 */
export function answerFor(frame: Uint8Array, mac: Uint8Array, echoAllowed: () => boolean = () => true): Uint8Array | null {
  if (parse(frame) === null) return null;
  if (parsed.etherType === ETH_ARP && parsed.arpOp === 1) return arpReply(frame, mac);
  if (parsed.ipVersion === 0 || parsed.fragment) return null;
  if (parsed.icmpType === ICMP6_NS && parsed.ipVersion === 6) return neighbourAdvertisement(frame, mac);
  const echo = parsed.icmpType === (parsed.ipVersion === 6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO_REQUEST);
  // A host drops a ping whose checksum is wrong (decide reads structure only); so do we.
  return echo && checksumHolds(frame) && echoAllowed() ? echoReply(frame, mac) : null;
}

// The parsed frame's ICMP message sums to zero with its checksum in (ICMPv6: with its pseudo-header).
function checksumHolds(frame: Uint8Array): boolean {
  const message = frame.subarray(parsed.l4, parsed.l4End);
  if (parsed.ipVersion === 4) return checksum(message) === 0;
  const len = parsed.addressLength;
  return pseudoHeaderChecksum(frame.subarray(parsed.srcAddress, parsed.srcAddress + len), frame.subarray(parsed.dstAddress, parsed.dstAddress + len), 58, message) === 0;
}
