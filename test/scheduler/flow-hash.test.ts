// The flow hash is MurmurHash3_x86_32 of the key's little-endian words: checked against a
// byte-wise reference that reproduces the published SMHasher vectors.
import t from 'tap';
import { hashFlowKey, maglevSlot, FLOW_HASH_SEED } from '../../engine/scheduler/flow-hash.js';
import { FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';

// Byte-wise MurmurHash3_x86_32, written from the algorithm's description (blocks, tail, fmix).
function murmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51; const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < blocks; i++) {
    let k = dv.getUint32(4 * i, true);
    k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = blocks * 4;
  switch (bytes.length & 3) {
    case 3: k ^= bytes[tail + 2] << 16; // falls through
    case 2: k ^= bytes[tail + 1] << 8; // falls through
    case 1: k ^= bytes[tail]; k = Math.imul(k, c1); k = (k << 15) | (k >>> 17); k = Math.imul(k, c2); h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h | 0;
}

t.test('the reference reproduces published MurmurHash3_x86_32 vectors', async (t) => {
  const cases: Array<[string, number, number]> = [
    ['', 0, 0], ['', 1, 0x514e28b7], ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ];
  for (const [s, seed, want] of cases) t.equal(murmur3(new TextEncoder().encode(s), seed) >>> 0, want, JSON.stringify(s));
});

t.test('hashFlowKey = MurmurHash3 of the key words (4 for IPv4, 10 for IPv6)', async (t) => {
  const cases = [
    { name: 'IPv4 TCP', key: [0xc6130001, 0, 0, 0, 0xc6120064, 0, 0, 0, (40000 << 16 | 80) >>> 0, 6], words: [0, 4, 8, 9] },
    { name: 'IPv4 fragment (3-tuple)', key: [0xc6130001, 0, 0, 0, 0xc6120064, 0, 0, 0, 0, 17 | 1 << 9], words: [0, 4, 8, 9] },
    { name: 'IPv6 TCP', key: [0x20010002, 0, 0, 1, 0x20010002, 0, 0, 0x64, (40000 << 16 | 443) >>> 0, 6 | 1 << 8], words: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  ];
  for (const c of cases) {
    const key = Int32Array.from(c.key);
    t.equal(key.length, FLOW_KEY_WORDS);
    const bytes = new Uint8Array(4 * c.words.length);
    const dv = new DataView(bytes.buffer);
    c.words.forEach((w, i) => dv.setUint32(4 * i, key[w], true));
    t.equal(hashFlowKey(key), murmur3(bytes, FLOW_HASH_SEED), c.name);
  }
});

t.test('maglevSlot stays in range for every hash sign', async (t) => {
  for (const h of [0, 1, -1, 0x7fffffff, -0x80000000, 123456789]) {
    const s = maglevSlot(h, 65537);
    t.ok(Number.isInteger(s) && s >= 0 && s < 65537, `hash ${h} → ${s}`);
  }
});
