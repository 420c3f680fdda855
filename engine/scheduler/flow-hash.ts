// The flow hash of the packet path: MurmurHash3_x86_32 (Appleby) of the key's 32-bit words,
// i.e. of their little-endian bytes, with a fixed seed. Fixed, so every scheduler (and the C++
// replay baseline) sends a flow to the same Maglev slot. Integer math only (Math.imul).
import { FLOW_KEY_WORDS, KEY_KIND, KEY_PORTS } from './flow-table.js';

export const FLOW_HASH_SEED = 0x5eed1b;
const KIND_IPV6 = 1 << 8;

function mixBlock(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, bytes: number): number {
  h ^= bytes;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The hash of a flow key (int32). IPv4 keys hash 4 words (src, dst, ports, kind), IPv6 keys
 * all 10 (src 4, dst 4, ports, kind).
 */
export function hashFlowKey(key: Int32Array): number {
  let h = FLOW_HASH_SEED;
  if ((key[KEY_KIND] & KIND_IPV6) === 0) {
    h = mixBlock(h, key[0]);
    h = mixBlock(h, key[4]);
    h = mixBlock(h, key[KEY_PORTS]);
    h = mixBlock(h, key[KEY_KIND]);
    return finish(h, 16);
  }
  for (let i = 0; i < FLOW_KEY_WORDS; i++) h = mixBlock(h, key[i]);
  return finish(h, 4 * FLOW_KEY_WORDS);
}

/** The Maglev slot of a flow hash in a table of `size` entries (31 bits keep % in int32 math). */
export function maglevSlot(hash: number, size: number): number {
  return (hash >>> 1) % size;
}
