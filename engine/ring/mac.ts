// MAC addresses: "02:00:00:00:00:01" <-> 6 bytes.
import { invalid } from './validate.js';

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function parseMac(value: string | Uint8Array, what: string): Uint8Array {
  if (value instanceof Uint8Array && value.length === 6) return value;
  if (typeof value === 'string' && MAC_PATTERN.test(value)) {
    return Uint8Array.from(value.split(':'), (h) => parseInt(h, 16));
  }
  throw invalid('a MAC address like "02:00:00:00:00:01" or 6 bytes', what, value);
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
