// VRRPv3 advertisements (RFC 5798 §5): the message, and whole Ethernet frames to the VRRP
// multicast group (224.0.0.18 / ff02::12, IP protocol 112, TTL or hop limit 255). Pure: decode
// returns a reason for a packet it refuses, it never throws.
import { addressBytes, buildIpFrame, parseIpFrame, upperLayerChecksum } from './ip-frame.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_VERSION = 3;
const TYPE_ADVERTISEMENT = 1;
const HEADER = 8;
/** §5.1.1.3 / §5.1.2.3: a router accepts only adverts sent with TTL / hop limit 255. */
const TTL = 255;
/** Max Adver Int is 12 bits of centiseconds (§5.2.7). */
export const MAX_INTERVAL_CS = 0xfff;

export const VRRP_GROUP_V4 = addressBytes('224.0.0.18');
export const VRRP_GROUP_V6 = addressBytes('ff02::12');
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
  dv.setUint16(6, upperLayerChecksum(source, v6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4, VRRP_PROTOCOL, m));
  return m;
}

/** A whole frame: the advert from (srcMac, source) to the VRRP group of source's family. */
export function encodeAdvertFrame(advert: Advert, srcMac: Uint8Array, source: Uint8Array): Uint8Array {
  const v6 = source.length === 16;
  return buildIpFrame({
    dstMac: v6 ? VRRP_MAC_V6 : VRRP_MAC_V4, srcMac, src: source, dst: v6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4,
    protocol: VRRP_PROTOCOL, ttl: TTL, payload: encodeAdvert(advert, source),
  });
}

function isGroup(dst: Uint8Array, group: Uint8Array): boolean {
  return dst.length === group.length && dst.every((b, i) => b === group[i]);
}

/** Reads an advert out of a frame; checks §7.1 of RFC 5798 that need no local state. */
export function decodeAdvertFrame(frame: Uint8Array): DecodeResult {
  const parsed = parseIpFrame(frame);
  if (!parsed.ok) return { ok: false, reason: parsed.reason === 'not_ip' ? 'not_vrrp' : parsed.reason };
  const { ip } = parsed;
  if (ip.protocol !== VRRP_PROTOCOL || !isGroup(ip.dst, ip.v6 ? VRRP_GROUP_V6 : VRRP_GROUP_V4)) return { ok: false, reason: 'not_vrrp' };
  const m = ip.payload;
  if (m.length < HEADER) return { ok: false, reason: 'truncated' };
  if (m[0] >> 4 !== VRRP_VERSION) return { ok: false, reason: 'bad_version' };
  if ((m[0] & 0x0f) !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'bad_type' };
  if (ip.ttl !== TTL) return { ok: false, reason: 'bad_ttl' };
  const size = ip.src.length;
  const count = m[3];
  if (m.length < HEADER + count * size) return { ok: false, reason: 'bad_length' };
  // The checksum covers the whole VRRP message as the IP length delimits it.
  if (upperLayerChecksum(ip.src, ip.dst, VRRP_PROTOCOL, m) !== 0) return { ok: false, reason: 'bad_checksum' };
  const intervalCs = ((m[4] << 8) | m[5]) & MAX_INTERVAL_CS;
  if (intervalCs === 0) return { ok: false, reason: 'bad_interval' };
  const addresses: Uint8Array[] = [];
  for (let i = 0; i < count; i++) addresses.push(m.slice(HEADER + i * size, HEADER + (i + 1) * size));
  return {
    ok: true,
    advert: { vrid: m[1], priority: m[2], intervalCs, addresses, source: ip.src.slice(), v6: ip.v6 },
  };
}
