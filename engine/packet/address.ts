// Address text <-> bytes for the builders and describeFrame (slow path).
import { canonicalAddress } from '../config/address.js';
import { formatMac, parseMac } from '../ring/mac.js';
import { addressWords } from '../scheduler/service-set.js';

/** "198.19.0.1" -> 4 bytes, "2001:2::1" -> 16 bytes (ERR_SERVICE_ADDRESS if neither). */
export function ipBytes(address: string): Uint8Array {
  const w = addressWords(address);
  const v6 = address.includes(':');
  const out = new Uint8Array(v6 ? 16 : 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < (v6 ? 4 : 1); i++) dv.setUint32(4 * i, w[i]);
  return out;
}

/** The address at buf[off, off + length) (length 4 or 16) as text; IPv6 in RFC 5952 form. */
export function ipText(buf: Uint8Array, off: number, length: number): string {
  if (length === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[off + i] << 8) | buf[off + i + 1]).toString(16));
  return canonicalAddress(groups.join(':'));
}

export function macBytes(mac: string): Uint8Array {
  return parseMac(mac, 'MAC address');
}

export function macText(buf: Uint8Array, off: number): string {
  return formatMac(buf.subarray(off, off + 6));
}
