// Just enough Ethernet + IPv4/IPv6 for the cluster's control frames (VRRP adverts, TCP health
// probes): build a whole frame around an upper-layer message, find the message in a received
// frame, and the upper-layer checksum over the pseudo-header (RFC 768/793 for IPv4, RFC 8200
// §8.1 for IPv6). Slow path: frames are new buffers.
import { ipBytes, ipText } from '../packet/address.js';
import { pseudoHeaderChecksum } from '../packet/checksums.js';
import { ipv4HeaderChecksum } from '../ring/checksum.js';

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
const ETH_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;

/** 4 or 16 bytes of an IPv4 or IPv6 address in text (engine/packet's). */
export const addressBytes = ipBytes;

/** Text of 4 or 16 address bytes (IPv6 in RFC 5952 form). */
export function addressText(b: Uint8Array): string {
  return ipText(b, 0, b.length);
}

/** Unsigned comparison of two addresses of one family (the RFC 5798 primary-address tie break). */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The checksum an upper-layer message carries, over the pseudo-header and the message; 0 when
 *  verifying a message whose checksum field is set and right. */
export const upperLayerChecksum = pseudoHeaderChecksum;

export interface IpFrameSpec {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  /** 4 bytes each (IPv4) or 16 bytes each (IPv6). */
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** TTL or hop limit. */
  ttl: number;
  /** The upper-layer message, checksum already set. */
  payload: Uint8Array;
  /** IPv4 DF bit (default false). */
  dontFragment?: boolean;
}

/** A whole Ethernet frame carrying `payload` in an IPv4 or IPv6 packet (no options, no extension headers). */
export function buildIpFrame(spec: IpFrameSpec): Uint8Array {
  const v6 = spec.src.length === 16;
  const l3 = v6 ? IPV6_HEADER : IPV4_HEADER;
  const f = new Uint8Array(ETH_HEADER + l3 + spec.payload.length);
  const dv = new DataView(f.buffer);
  f.set(spec.dstMac, 0);
  f.set(spec.srcMac, 6);
  dv.setUint16(12, v6 ? ETH_IPV6 : ETH_IPV4);
  const ip = ETH_HEADER;
  if (v6) {
    dv.setUint32(ip, 0x60000000);
    dv.setUint16(ip + 4, spec.payload.length);
    f[ip + 6] = spec.protocol;
    f[ip + 7] = spec.ttl;
    f.set(spec.src, ip + 8);
    f.set(spec.dst, ip + 24);
  } else {
    f[ip] = 0x45;
    dv.setUint16(ip + 2, IPV4_HEADER + spec.payload.length);
    if (spec.dontFragment) dv.setUint16(ip + 6, 0x4000);
    f[ip + 8] = spec.ttl;
    f[ip + 9] = spec.protocol;
    f.set(spec.src, ip + 12);
    f.set(spec.dst, ip + 16);
    dv.setUint16(ip + 10, ipv4HeaderChecksum(f, ip));
  }
  f.set(spec.payload, ip + l3);
  return f;
}

/** Where an IP packet sits in a frame, and the fields the cluster reads. */
export interface IpView {
  v6: boolean;
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl: number;
  /** The upper-layer message (a view into the frame, as long as the IP header says). */
  payload: Uint8Array;
}

export type IpParse = { ok: true; ip: IpView } | { ok: false; reason: 'not_ip' | 'truncated' | 'fragment' };

/** Finds the IP packet of a frame (802.1Q/802.1ad tags skipped). IPv6 extension headers are not
 *  followed: the protocol is the first next-header value. Never throws. */
export function parseIpFrame(frame: Uint8Array): IpParse {
  let p = 12;
  while (p + 4 <= frame.length && (frame[p] === 0x81 || frame[p] === 0x88) && (frame[p + 1] === 0x00 || frame[p + 1] === 0xa8)) p += 4;
  if (p + 2 > frame.length) return { ok: false, reason: 'not_ip' };
  const type = (frame[p] << 8) | frame[p + 1];
  const ip = p + 2;
  if (type === ETH_IPV4) {
    if (ip + IPV4_HEADER > frame.length || frame[ip] >> 4 !== 4) return { ok: false, reason: 'truncated' };
    const ihl = (frame[ip] & 0x0f) * 4;
    const total = (frame[ip + 2] << 8) | frame[ip + 3];
    if (ihl < IPV4_HEADER || total < ihl || ip + total > frame.length) return { ok: false, reason: 'truncated' };
    if (((frame[ip + 6] & 0x3f) << 8 | frame[ip + 7]) !== 0) return { ok: false, reason: 'fragment' };
    return {
      ok: true,
      ip: {
        v6: false, src: frame.subarray(ip + 12, ip + 16), dst: frame.subarray(ip + 16, ip + 20),
        protocol: frame[ip + 9], ttl: frame[ip + 8], payload: frame.subarray(ip + ihl, ip + total),
      },
    };
  }
  if (type === ETH_IPV6) {
    if (ip + IPV6_HEADER > frame.length || frame[ip] >> 4 !== 6) return { ok: false, reason: 'truncated' };
    const length = (frame[ip + 4] << 8) | frame[ip + 5];
    if (ip + IPV6_HEADER + length > frame.length) return { ok: false, reason: 'truncated' };
    return {
      ok: true,
      ip: {
        v6: true, src: frame.subarray(ip + 8, ip + 24), dst: frame.subarray(ip + 24, ip + 40),
        protocol: frame[ip + 6], ttl: frame[ip + 7], payload: frame.subarray(ip + IPV6_HEADER, ip + IPV6_HEADER + length),
      },
    };
  }
  return { ok: false, reason: 'not_ip' };
}
