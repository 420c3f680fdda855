// The flow hash of the packet path: MurmurHash3_x86_32 (Appleby) of the key's 32-bit words,
// i.e. of their little-endian bytes, with a fixed seed. Fixed, so every scheduler (and the C++
// replay baseline) sends a flow to the same Maglev slot. Integer math only (Math.imul).
import { FLOW_KEY_WORDS, KEY_KIND, KEY_PORTS, type Same } from './flow-table.js';
import { KIND_IPV6 } from './flow-key.js';

export const FLOW_HASH_SEED = 0x5eed1b;
// The constants the hash reads, as values in the code (see flow-table.ts's Same).
const enum Key { SEED = 0x5eed1b, WORDS = 10, PORTS = 8, KIND = 9, V6 = 0x100 }
type KeyChecked = [Same<typeof FLOW_HASH_SEED, Key.SEED>, Same<typeof FLOW_KEY_WORDS, Key.WORDS>, Same<typeof KEY_PORTS, Key.PORTS>,
  Same<typeof KEY_KIND, Key.KIND>, Same<typeof KIND_IPV6, Key.V6>];

/**
 * The hash of the flow key in key[at, +FLOW_KEY_WORDS) (int32). IPv4 keys hash 4 words (src,
 * dst, ports, kind), IPv6 keys all 10 (src 4, dst 4, ports, kind).
 */
export function hashFlowKey(key: Int32Array, at = 0): number {
  // An IPv4 key's address words 1-3 and 5-7 are padding: its four words in a row, no loop.
  if ((key[at + Key.KIND] & Key.V6) === 0) {
    return finish(mix(mix(mix(mix(Key.SEED, key[at]), key[at + 4]), key[at + Key.PORTS]), key[at + Key.KIND]), 16);
  }
  let h: number = Key.SEED;
  for (let i = 0; i < Key.WORDS; i++) h = mix(h, key[at + i]);
  return finish(h, 4 * Key.WORDS);
}

// MurmurHash3_x86_32's step for one 32-bit word k of the input.
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// Its finalization mix, after `bytes` bytes of input.
function finish(h: number, bytes: number): number {
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
