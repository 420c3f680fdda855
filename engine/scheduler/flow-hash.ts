// The flow hash of the packet path: MurmurHash3_x86_32 (Appleby) of the key's 32-bit words,
// i.e. of their little-endian bytes, with a fixed seed. Fixed, so every scheduler (and the C++
// replay baseline) sends a flow to the same Maglev slot. Integer math only (Math.imul).
import { FLOW_KEY_WORDS, KEY_KIND, KEY_PORTS } from './flow-table.js';

export const FLOW_HASH_SEED = 0x5eed1b;
const KIND_IPV6 = 1 << 8;
// Local consts for the loop: V8 reads an exported or imported binding through a Cell, with a TDZ
// check, at every use, and folds a local const into the optimized code.
const SEED = FLOW_HASH_SEED;
const KEY_WORDS = FLOW_KEY_WORDS;
const PORTS = KEY_PORTS;
const KIND = KEY_KIND;

/**
 * The hash of the flow key in key[at, +FLOW_KEY_WORDS) (int32). IPv4 keys hash 4 words (src,
 * dst, ports, kind), IPv6 keys all 10 (src 4, dst 4, ports, kind).
 */
export function hashFlowKey(key: Int32Array, at = 0): number {
  // One loop for both: words 0, 4, 8, 9 of an IPv4 key (its address words 1-3 and 5-7 are
  // padding), every word of an IPv6 one. Written once and small, so that the packet path
  // inlines it whole (TurboFan's inlining budget is counted in bytecode).
  const step = (key[at + KIND] & KIND_IPV6) === 0 ? 4 : 1;
  let h = SEED;
  let bytes = 0;
  for (let i = 0; i < KEY_WORDS; i = i < PORTS ? i + step : i + 1, bytes += 4) {
    let k = Math.imul(key[at + i], 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Finalization mix.
  h ^= bytes;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The Maglev slot of a flow hash in a table of `size` entries (31 bits keep % in int32 math). */
export function maglevSlot(hash: number, size: number): number {
  return (hash >>> 1) % size;
}
