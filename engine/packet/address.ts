// Addresses as text or bytes, for the builders, describeFrame and the cluster (slow path).
import { canonicalAddress } from '../config/address.js';
import { formatMac, parseMac } from '../ring/mac.js';
import { addressWords } from '../scheduler/service-set.js';
import type { Address } from './spec.js';

/** "198.19.0.1" -> 4 bytes, "2001:2::1" -> 16 bytes (ERR_SERVICE_ADDRESS if neither); bytes pass as they are. */
export function ipBytes(address: Address): Uint8Array {
  if (typeof address !== 'string') return address;
  const w = addressWords(address);
  const v6 = address.includes(':');
  const out = new Uint8Array(v6 ? 16 : 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < (v6 ? 4 : 1); i++) dv.setUint32(4 * i, w[i]);
  return out;
}

/** The address at buf[off, off + length) (length 4 or 16; default: the rest of buf) as text; IPv6 in RFC 5952 form. */
export function ipText(buf: Uint8Array, off = 0, length = buf.length - off): string {
  if (length === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[off + i] << 8) | buf[off + i + 1]).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** Unsigned comparison of two address byte strings (RFC 5798's primary-address tie break); 0: the same. */
export function compareAddresses(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** "02:00:…" or 6 bytes -> 6 bytes (ERR_INVALID_ARG naming the MAC otherwise). */
export function macBytes(mac: Address): Uint8Array {
  return parseMac(mac, 'MAC address');
}

export function macText(buf: Uint8Array, off: number): string {
  return formatMac(buf.subarray(off, off + 6));
}
