// A parsed frame as plain data (the inverse of buildFrame): tests, tools and the responder read
// frames this way off the hot path. Allocates; call only for frames parsed with Reason.OK.
import { LbError } from '../errors.js';
import { ipText, macText } from './address.js';
import { ICMP6_NA, ICMP6_NS, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, ETH_ARP, ETH_IPV4, type ParsedFrame } from './parsed.js';
import { Reason } from './reason.js';
import type { ArpSpec, FrameSpec, Ipv4Spec, Ipv6Extension, Ipv6Spec, L4Spec, VlanTag } from './spec.js';
import { viewFor } from './view.js';

export function describeFrame(buf: Uint8Array, f: ParsedFrame): FrameSpec {
  if (f.reason !== Reason.OK) throw new LbError('ERR_PACKET_MALFORMED', 'Only a frame that parsed without a reason can be described.');
  const body = f.etherType === ETH_ARP ? arp(buf, f.l3) : f.etherType === ETH_IPV4 ? ipv4(buf, f) : ipv6(buf, f);
  return { dst: macText(buf, f.start), src: macText(buf, f.start + 6), vlans: vlanTags(buf, f), body, trailer: buf.slice(f.l3End, f.end) };
}

export function vlanTags(buf: Uint8Array, f: ParsedFrame): VlanTag[] {
  const dv = viewFor(buf);
  const tags: VlanTag[] = [];
  for (let i = 0; i < f.vlanCount; i++) {
    const tci = dv.getUint16(f.start + 14 + 4 * i);
    tags.push({ tpid: dv.getUint16(f.start + 12 + 4 * i) as VlanTag['tpid'], pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff });
  }
  return tags;
}

function arp(buf: Uint8Array, p: number): ArpSpec {
  return { kind: 'arp', op: buf[p + 7] as 1 | 2, senderMac: macText(buf, p + 8), senderIp: ipText(buf, p + 14, 4),
    targetMac: macText(buf, p + 18), targetIp: ipText(buf, p + 24, 4) };
}

function ipv4(buf: Uint8Array, f: ParsedFrame): Ipv4Spec {
  const dv = viewFor(buf);
  const p = f.l3;
  const flags = dv.getUint16(p + 6);
  return { kind: 'ipv4', src: ipText(buf, p + 12, 4), dst: ipText(buf, p + 16, 4), tos: buf[p + 1], id: dv.getUint16(p + 4), ttl: buf[p + 8],
    dontFragment: (flags & 0x4000) !== 0, moreFragments: f.moreFragments, fragmentOffset: f.fragmentOffset,
    options: buf.slice(p + 20, f.l4), l4: l4(buf, f) };
}

function ipv6(buf: Uint8Array, f: ParsedFrame): Ipv6Spec {
  const dv = viewFor(buf);
  const p = f.l3;
  const first = dv.getUint32(p);
  const extensions: Ipv6Extension[] = [];
  let type = buf[p + 6];
  for (let q = p + 40, n = 0; n < f.extensionCount; n++) {
    if (type === 44) {
      const field = dv.getUint16(q + 2);
      extensions.push({ type, id: dv.getUint32(q + 4), offset: field & 0xfff8, more: (field & 1) !== 0 });
      type = buf[q];
      q += 8;
    } else {
      const length = (buf[q + 1] + 1) * 8;
      extensions.push({ type: type as 0 | 43 | 60, data: buf.slice(q + 2, q + length) });
      type = buf[q];
      q += length;
    }
  }
  return { kind: 'ipv6', src: ipText(buf, p + 8, 16), dst: ipText(buf, p + 24, 16), trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff, hopLimit: buf[p + 7], extensions, l4: l4(buf, f) };
}

function l4(buf: Uint8Array, f: ParsedFrame): L4Spec {
  const dv = viewFor(buf);
  const p = f.l4;
  const payload = (from: number): Uint8Array => buf.slice(from, f.l4End);
  if (!f.fragment) {
    if (f.proto === PROTO_TCP) {
      return { kind: 'tcp', sport: f.sport, dport: f.dport, seq: dv.getUint32(p + 4), ack: dv.getUint32(p + 8), flags: f.tcpFlags,
        window: dv.getUint16(p + 14), urgent: dv.getUint16(p + 18), options: buf.slice(p + 20, p + f.l4HeaderLength), payload: payload(p + f.l4HeaderLength) };
    }
    if (f.proto === PROTO_UDP) {
      return { kind: 'udp', sport: f.sport, dport: f.dport, payload: buf.slice(p + 8, p + dv.getUint16(p + 4)) };
    }
    if ((f.proto === PROTO_ICMP && f.ipVersion === 4) || (f.proto === PROTO_ICMPV6 && f.ipVersion === 6)) {
      return ndp(buf, f) ?? { kind: f.ipVersion === 6 ? 'icmp6' : 'icmp', type: buf[p], code: buf[p + 1], rest: dv.getUint32(p + 4), payload: payload(p + 8) };
    }
  }
  return { kind: 'raw', proto: f.proto, payload: payload(p) };
}

// NS/NA in the form the builder makes (code 0, reserved bits 0, at most the one link-layer
// option); anything else stays a plain ICMPv6 message so that nothing is lost.
function ndp(buf: Uint8Array, f: ParsedFrame): L4Spec | null {
  const p = f.l4;
  const ns = f.icmpType === ICMP6_NS;
  if ((!ns && f.icmpType !== ICMP6_NA) || buf[p + 1] !== 0) return null;
  const length = f.l4End - p;
  const option = ns ? 1 : 2;
  if (length !== 24 && !(length === 32 && buf[p + 24] === option && buf[p + 25] === 1)) return null;
  const flags = viewFor(buf).getUint32(p + 4);
  if ((ns && flags !== 0) || (!ns && (flags & 0x1fffffff) !== 0)) return null;
  const mac = length === 32 ? macText(buf, p + 26) : null;
  const target = ipText(buf, p + 8, 16);
  if (ns) return { kind: 'ns', target, sourceMac: mac };
  return { kind: 'na', router: (flags & 0x80000000) !== 0, solicited: (flags & 0x40000000) !== 0, override: (flags & 0x20000000) !== 0, target, targetMac: mac };
}
