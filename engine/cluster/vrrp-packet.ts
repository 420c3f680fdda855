// VRRPv3 advertisements (RFC 5798 §5): the message, and whole Ethernet frames to the VRRP
// multicast group (224.0.0.18 / ff02::12, IP protocol 112, TTL or hop limit 255), built and parsed
// by engine/packet. Pure: decode returns a reason for a packet it refuses, it never throws.
import {
  buildFrame, compareAddresses, ether, ETH_IPV4, ETH_IPV6, ipBytes, ipv4, ipv6, parseFrame, ParsedFrame, pseudoHeaderChecksum, Reason,
} from '../packet/index.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_VERSION = 3;
const TYPE_ADVERTISEMENT = 1;
const HEADER = 8;
/** §5.1.1.3 / §5.1.2.3: a router accepts only adverts sent with TTL / hop limit 255. */
const TTL = 255;
/** Max Adver Int is 12 bits of centiseconds (§5.2.7). */
export const MAX_INTERVAL_CS = 0xfff;

export const VRRP_GROUP_V4 = ipBytes('224.0.0.18');
export const VRRP_GROUP_V6 = ipBytes('ff02::12');
// RFC 1112 §6.4 and RFC 2464 §7: multicast MACs from the low bits of the group.
export const VRRP_MAC_V4 = Uint8Array.from([0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);
export const VRRP_MAC_V6 = Uint8Array.from([0x33, 0x33, 0x00, 0x00, 0x00, 0x12]);

export interface Advert {
  vrid: number;
  /** 0: the master resigns; 1-254 backups; 255 the address owner. */
  priority: number;
  /** Max Adver Int in centiseconds (1-4095). */
  intervalCs: number;
  /** IPvX addresses of the virtual router (4 or 16 bytes each, the family of the packet). */
  addresses: Uint8Array[];
}

export interface ReceivedAdvert extends Advert {
  /** The sender's address (the IP source): the tie break between equal priorities. */
  source: Uint8Array;
  v6: boolean;
}

export type DecodeReason =
  | 'not_vrrp' // not IP protocol 112 to the VRRP group: someone else's traffic, not counted as bad
  | 'truncated'
  | 'bad_ip' // an IP header that does not hold together (version, header or datagram length, IPv6 extensions)
  | 'fragment'
  | 'bad_version'
  | 'bad_type'
  | 'bad_ttl'
  | 'bad_length'
  | 'bad_checksum'
  | 'bad_interval';

export type DecodeResult = { ok: true; advert: ReceivedAdvert } | { ok: false; reason: DecodeReason };

/** The VRRP message of an advert from `source` (its checksum computed over the pseudo-header). */
export function encodeAdvert(advert: Advert, source: Uint8Array): Uint8Array {
  const v6 = source.length === 16;
  const m = new Uint8Array(HEADER + advert.addresses.length * source.length);
  const dv = new DataView(m.buffer);
  m[0] = (VRRP_VERSION << 4) | TYPE_ADVERTISEMENT;
  m[1] = advert.vrid;
  m[2] = advert.priority;
  m[3] = advert.addresses.length;
  dv.setUint16(4, advert.intervalCs & MAX_INTERVAL_CS);
  advert.addresses.forEach((a, i) => m.set(a, HEADER + i * source.length));
  dv.setUint16(6, pseudoHeaderChecksum(source, v6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4, VRRP_PROTOCOL, m));
  return m;
}

/** A whole frame: the advert from (srcMac, source) to the VRRP group of source's family. */
export function encodeAdvertFrame(advert: Advert, srcMac: Uint8Array, source: Uint8Array): Uint8Array {
  const v6 = source.length === 16;
  const l4 = { kind: 'raw', proto: VRRP_PROTOCOL, payload: encodeAdvert(advert, source) } as const;
  const ip = v6 ? ipv6(source, VRRP_GROUP_V6, l4, { hopLimit: TTL }) : ipv4(source, VRRP_GROUP_V4, l4, { ttl: TTL });
  return buildFrame(ether(ip, { dst: v6 ? VRRP_MAC_V6 : VRRP_MAC_V4, src: srcMac }));
}

// One parse result reused for every frame: the link hands frames one at a time.
const parsed = new ParsedFrame();

// Why the codec's parse rules out an advert, or null for a whole unfragmented VRRP datagram.
function refusal(f: ParsedFrame): DecodeReason | null {
  if (f.etherType !== ETH_IPV4 && f.etherType !== ETH_IPV6) return 'not_vrrp';
  if (f.proto !== -1 && f.proto !== VRRP_PROTOCOL) return 'not_vrrp'; // someone else's datagram, whole or not
  if (f.reason === Reason.TRUNCATED) return 'truncated';
  if (f.reason === Reason.BAD_FRAGMENT || f.fragment) return 'fragment';
  return f.reason === Reason.OK ? null : 'bad_ip';
}

/** Reads an advert out of a frame; checks §7.1 of RFC 5798 that need no local state. */
export function decodeAdvertFrame(frame: Uint8Array): DecodeResult {
  const f = parsed;
  parseFrame(frame, 0, frame.length, f);
  const refused = refusal(f);
  if (refused) return { ok: false, reason: refused };
  const v6 = f.ipVersion === 6;
  const size = f.addressLength;
  const src = f.srcBytes(frame);
  const dst = f.dstBytes(frame);
  if (compareAddresses(dst, v6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4) !== 0) return { ok: false, reason: 'not_vrrp' };
  const m = frame.subarray(f.l4, f.l4End);
  if (m.length < HEADER) return { ok: false, reason: 'truncated' };
  if (m[0] >> 4 !== VRRP_VERSION) return { ok: false, reason: 'bad_version' };
  if ((m[0] & 0x0f) !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'bad_type' };
  const ttl = frame[f.l3 + (v6 ? 7 : 8)]; // IPv4 TTL / IPv6 hop limit
  if (ttl !== TTL) return { ok: false, reason: 'bad_ttl' };
  const count = m[3];
  if (m.length < HEADER + count * size) return { ok: false, reason: 'bad_length' };
  // The checksum covers the whole VRRP message as the IP length delimits it.
  if (pseudoHeaderChecksum(src, dst, VRRP_PROTOCOL, m) !== 0) return { ok: false, reason: 'bad_checksum' };
  const intervalCs = ((m[4] << 8) | m[5]) & MAX_INTERVAL_CS;
  if (intervalCs === 0) return { ok: false, reason: 'bad_interval' };
  const addresses: Uint8Array[] = [];
  for (let i = 0; i < count; i++) addresses.push(m.slice(HEADER + i * size, HEADER + (i + 1) * size));
  return {
    ok: true,
    advert: { vrid: m[1], priority: m[2], intervalCs, addresses, source: src.slice(), v6 },
  };
}
