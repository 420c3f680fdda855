// Builders: a FrameSpec to the bytes of a valid frame (lengths and checksums computed).
// Slow path (tests, the capture generator, the responder, the cluster's adverts and probes):
// each frame is a new buffer.
import { ipBytes, macBytes } from './address.js';
import { buildL4, specError } from './build-l4.js';
import { checksum } from './checksums.js';
import { ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_FRAGMENT } from './parsed.js';
import type { Address, ArpSpec, FrameSpec, Ipv4Spec, Ipv6Spec } from './spec.js';

export function buildFrame(spec: FrameSpec<Address>): Uint8Array {
  const body = buildBody(spec.body);
  const head = 14 + 4 * spec.vlans.length;
  const f = new Uint8Array(head + body.length + spec.trailer.length);
  const dv = new DataView(f.buffer);
  f.set(macBytes(spec.dst), 0);
  f.set(macBytes(spec.src), 6);
  spec.vlans.forEach((v, i) => {
    dv.setUint16(12 + 4 * i, v.tpid);
    dv.setUint16(14 + 4 * i, (v.pcp << 13) | (v.dei ? 0x1000 : 0) | v.vid);
  });
  const type = spec.body.kind === 'arp' ? ETH_ARP : spec.body.kind === 'ipv4' ? ETH_IPV4 : ETH_IPV6;
  dv.setUint16(head - 2, type);
  f.set(body, head);
  f.set(spec.trailer, head + body.length);
  return f;
}

/** The ARP body or the IP datagram. */
export function buildBody(body: FrameSpec<Address>['body']): Uint8Array {
  if (body.kind === 'arp') return buildArp(body);
  return body.kind === 'ipv4' ? buildIpv4(body) : buildIpv6(body);
}

function buildArp(s: ArpSpec): Uint8Array {
  const b = Uint8Array.from([0, 1, 8, 0, 6, 4, 0, s.op, ...new Array<number>(20).fill(0)]);
  b.set(macBytes(s.senderMac), 8);
  b.set(ipBytes(s.senderIp), 14);
  b.set(macBytes(s.targetMac), 18);
  b.set(ipBytes(s.targetIp), 24);
  return b;
}

// An IPv4 header holds only IPv4 addresses (and IPv6 only IPv6): anything else is refused by name.
function ipOfFamily(address: Address, length: 4 | 16, field: string): Uint8Array {
  const b = ipBytes(address);
  if (b.length !== length) throw specError(`The ${field} must be ${length} bytes, not ${b.length}.`);
  return b;
}

function buildIpv4(s: Ipv4Spec<Address>): Uint8Array {
  if (s.options.length % 4 !== 0 || s.options.length > 40) throw specError(`IPv4 options must be a multiple of 4 bytes up to 40, not ${s.options.length}.`);
  const src = ipOfFamily(s.src, 4, 'IPv4 source');
  const dst = ipOfFamily(s.dst, 4, 'IPv4 destination');
  const l4 = buildL4(s.l4, src, dst);
  const ihl = 20 + s.options.length;
  const total = ihl + l4.bytes.length;
  if (total > 0xffff) throw specError(`An IPv4 datagram holds at most 65535 bytes, not ${total}.`);
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b[0] = 0x40 | (ihl / 4);
  b[1] = s.tos;
  dv.setUint16(2, total);
  dv.setUint16(4, s.id);
  dv.setUint16(6, (s.dontFragment ? 0x4000 : 0) | (s.moreFragments ? 0x2000 : 0) | (s.fragmentOffset / 8));
  b[8] = s.ttl;
  b[9] = l4.proto;
  b.set(src, 12);
  b.set(dst, 16);
  b.set(s.options, 20);
  dv.setUint16(10, checksum(b.subarray(0, ihl)));
  b.set(l4.bytes, ihl);
  return b;
}

function buildIpv6(s: Ipv6Spec<Address>): Uint8Array {
  const src = ipOfFamily(s.src, 16, 'IPv6 source');
  const dst = ipOfFamily(s.dst, 16, 'IPv6 destination');
  const l4 = buildL4(s.l4, src, dst);
  const extLength = s.extensions.reduce((n, e) => n + (e.type === PROTO_FRAGMENT ? 8 : 2 + e.data.length), 0);
  const payload = extLength + l4.bytes.length;
  if (payload > 0xffff) throw specError(`An IPv6 payload holds at most 65535 bytes, not ${payload}.`);
  const b = new Uint8Array(40 + payload);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, (6 << 28) | (s.trafficClass << 20) | s.flowLabel);
  dv.setUint16(4, payload);
  b[7] = s.hopLimit;
  b.set(src, 8);
  b.set(dst, 24);
  let nextField = 6; // where the previous header names the next one
  let p = 40;
  for (const e of s.extensions) {
    b[nextField] = e.type;
    nextField = p;
    if (e.type === PROTO_FRAGMENT) {
      dv.setUint16(p + 2, e.offset | (e.more ? 1 : 0));
      dv.setUint32(p + 4, e.id >>> 0);
      p += 8;
    } else {
      if ((e.data.length + 2) % 8 !== 0) throw specError(`An IPv6 extension header is 8n bytes: its data must be 6 + 8k bytes, not ${e.data.length}.`);
      b[p + 1] = (e.data.length + 2) / 8 - 1;
      b.set(e.data, p + 2);
      p += 2 + e.data.length;
    }
  }
  b[nextField] = l4.proto;
  b.set(l4.bytes, p);
  return b;
}
