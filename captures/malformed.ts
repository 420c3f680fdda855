// The malformed slice: valid frames broken in one way each, named by what breaks and the codec
// Reason it must give (the test checks every frame against this list).
import { buildFrame, ether, ipv4, ipv6, ns, tcp, udp, icmp, Reason, type FrameSpec } from '../engine/packet/index.js';
import { SCHEDULER_MAC, VIP4, VIP6, type Client } from './traffic.js';

export interface BrokenFrame { name: string; reason: number; frame: Uint8Array }

const ETH = 14;
const q = { tpid: 0x8100, pcp: 0, dei: false, vid: 100 } as const;

function set(frame: Uint8Array, at: number, ...bytes: number[]): Uint8Array {
  const f = frame.slice();
  f.set(bytes, at);
  return f;
}

/** One of each breakage, from client c (v4 and v6 clients both used). */
export function brokenFrames(c4: Client, c6: Client, sport: number): BrokenFrame[] {
  const frame = (body: FrameSpec['body'], vlans: FrameSpec['vlans'] = []): Uint8Array => buildFrame(ether(body, { dst: SCHEDULER_MAC, src: c4.mac, vlans }));
  const syn4 = frame(ipv4(c4.ip, VIP4, tcp(sport, 80, { flags: 2 }), { dontFragment: true }));
  const syn6 = frame(ipv6(c6.ip, VIP6, tcp(sport, 443, { flags: 2 })));
  const udp4 = frame(ipv4(c4.ip, VIP4, udp(sport, 443, new Uint8Array(32))));
  const arp = frame({ kind: 'arp', op: 1, senderMac: c4.mac, senderIp: c4.ip, targetMac: '00:00:00:00:00:00', targetIp: VIP4 });
  const tagged = frame(ipv4(c4.ip, VIP4, tcp(sport, 80, { flags: 2 })), [q]);
  const raw = (proto: number, n: number) => ({ kind: 'raw' as const, proto, payload: new Uint8Array(n) });
  return [
    { name: 'shorter than an Ethernet header', reason: Reason.TRUNCATED, frame: syn4.slice(0, 10) },
    { name: 'IPv4 cut inside its header', reason: Reason.TRUNCATED, frame: syn4.slice(0, ETH + 12) },
    { name: 'IPv4 cut inside its datagram', reason: Reason.TRUNCATED, frame: syn4.slice(0, syn4.length - 6) },
    { name: 'IPv6 cut inside its payload', reason: Reason.TRUNCATED, frame: syn6.slice(0, syn6.length - 4) },
    { name: 'ARP cut short', reason: Reason.TRUNCATED, frame: arp.slice(0, ETH + 20) },
    { name: 'VLAN tag cut short', reason: Reason.TRUNCATED, frame: tagged.slice(0, 16) },
    { name: 'LLDP ethertype', reason: Reason.BAD_ETHERTYPE, frame: set(syn4, 12, 0x88, 0xcc) },
    { name: '802.3 length field instead of an ethertype', reason: Reason.BAD_ETHERTYPE, frame: set(syn4, 12, 0x00, 0x40) },
    { name: 'three VLAN tags', reason: Reason.BAD_VLAN, frame: frame(ipv4(c4.ip, VIP4, tcp(sport, 80)), [q, q, q]) },
    { name: 'reserved VID 4095', reason: Reason.BAD_VLAN, frame: frame(ipv4(c4.ip, VIP4, tcp(sport, 80)), [{ ...q, vid: 4095 }]) },
    { name: '802.1ad tag inside an 802.1Q tag', reason: Reason.BAD_VLAN, frame: frame(ipv4(c4.ip, VIP4, tcp(sport, 80)), [q, { ...q, tpid: 0x88a8 }]) },
    { name: 'ARP over token ring (htype 6)', reason: Reason.BAD_ARP, frame: set(arp, ETH, 0, 6) },
    { name: 'ARP opcode 3', reason: Reason.BAD_ARP, frame: set(arp, ETH + 6, 0, 3) },
    { name: 'version 6 under the IPv4 ethertype', reason: Reason.BAD_IP_VERSION, frame: set(syn4, ETH, 0x65) },
    { name: 'version 4 under the IPv6 ethertype', reason: Reason.BAD_IP_VERSION, frame: set(syn6, ETH, 0x40) },
    { name: 'IPv4 header length 12 bytes', reason: Reason.BAD_IHL, frame: set(syn4, ETH, 0x43) },
    { name: 'IPv4 option longer than the header', reason: Reason.BAD_IHL,
      frame: frame(ipv4(c4.ip, VIP4, tcp(sport, 80), { options: Uint8Array.from([7, 9, 4, 0]) })) },
    { name: 'IPv4 total length under the header length', reason: Reason.BAD_IP_LENGTH, frame: set(syn4, ETH + 2, 0, 12) },
    { name: 'IPv6 jumbogram (payload length 0)', reason: Reason.BAD_IP_LENGTH, frame: set(syn6, ETH + 4, 0, 0) },
    { name: 'IPv6 hop-by-hop header running out of the payload', reason: Reason.BAD_IPV6_EXT,
      frame: set(frame(ipv6(c6.ip, VIP6, tcp(sport, 443), { extensions: [{ type: 0, data: new Uint8Array(6) }] })), ETH + 41, 9) },
    { name: 'IPv6 hop-by-hop header after another header', reason: Reason.BAD_IPV6_EXT,
      frame: frame(ipv6(c6.ip, VIP6, tcp(sport, 443), { extensions: [{ type: 60, data: new Uint8Array(6) }, { type: 0, data: new Uint8Array(6) }] })) },
    { name: 'two IPv6 fragment headers', reason: Reason.BAD_IPV6_EXT,
      frame: frame(ipv6(c6.ip, VIP6, raw(17, 16), { extensions: [{ type: 44, id: 1, offset: 0, more: true }, { type: 44, id: 1, offset: 0, more: true }] })) },
    { name: 'IPv4 fragment with DF set', reason: Reason.BAD_FRAGMENT,
      frame: frame(ipv4(c4.ip, VIP4, raw(17, 16), { dontFragment: true, moreFragments: true })) },
    { name: 'IPv4 fragment of 12 bytes with more to come', reason: Reason.BAD_FRAGMENT,
      frame: frame(ipv4(c4.ip, VIP4, raw(17, 12), { moreFragments: true })) },
    { name: 'IPv4 fragment past 65535 bytes', reason: Reason.BAD_FRAGMENT,
      frame: frame(ipv4(c4.ip, VIP4, raw(17, 64), { fragmentOffset: 65528 })) },
    { name: 'IPv6 fragment of 12 bytes with more to come', reason: Reason.BAD_FRAGMENT,
      frame: frame(ipv6(c6.ip, VIP6, raw(17, 12), { extensions: [{ type: 44, id: 7, offset: 0, more: true }] })) },
    { name: 'TCP data offset 8 bytes', reason: Reason.BAD_L4, frame: set(syn4, ETH + 20 + 12, 0x20) },
    { name: 'TCP data offset past the segment', reason: Reason.BAD_L4, frame: set(syn6, ETH + 40 + 12, 0xf0) },
    { name: 'UDP length longer than the datagram', reason: Reason.BAD_L4, frame: set(udp4, ETH + 20 + 4, 0, 200) },
    { name: 'ICMP message of 4 bytes', reason: Reason.BAD_L4, frame: frame(ipv4(c4.ip, VIP4, raw(1, 4))) },
    { name: 'TCP header of 12 bytes', reason: Reason.BAD_L4, frame: frame(ipv4(c4.ip, VIP4, raw(6, 12))) },
    { name: 'NDP option of length 0', reason: Reason.BAD_L4,
      frame: set(frame(ipv6(c6.ip, VIP6, ns(VIP6, c6.mac), { hopLimit: 255 })), ETH + 40 + 25, 0) },
    { name: 'ICMP echo with its checksum wrong (well-formed: parsed OK)', reason: Reason.OK,
      frame: set(frame(ipv4(c4.ip, VIP4, icmp(8, 0, 0x00010001))), ETH + 20 + 2, 0, 0) },
  ];
}
