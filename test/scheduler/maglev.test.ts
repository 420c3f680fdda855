// The Maglev table against the paper (NSDI 2016, section 3.4): golden tables slot by slot,
// balance, weights, minimal disruption, determinism; and the SipHash it is built on.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  buildMaglevTable, checkTableSize, isPrime, maglevPermutation, populateMaglev, MAGLEV_MIN_SIZE,
  type MaglevBackend,
} from '../../engine/scheduler/maglev.js';
import { siphash24, sipKeyFromBytes } from '../../engine/scheduler/siphash.js';

const M = MAGLEV_MIN_SIZE;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const KEY_0_15 = sipKeyFromBytes(hex('000102030405060708090a0b0c0d0e0f'));
const bytes0toN = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

// SipHash through OpenSSL (an independent implementation), as an unsigned 64-bit BigInt.
function opensslSiphash(keyHex: string, msg: Uint8Array): bigint {
  const out = execFileSync('openssl', ['mac', '-macopt', `hexkey:${keyHex}`, '-macopt', 'size:8', 'SIPHASH'],
    { input: msg }).toString().trim();
  return Buffer.from(out, 'hex').readBigUInt64LE(0);
}

t.test('SipHash-2-4 matches the reference vectors and OpenSSL', async (t) => {
  const cases = [
    { name: 'paper appendix A: 15 bytes 00..0e', msg: bytes0toN(15), want: 0xa129ca6149be45e5n },
    { name: 'reference vectors.h[0]: empty message', msg: bytes0toN(0), want: 0x726fdb47dd0e0e31n },
  ];
  for (const c of cases) t.equal(siphash24(KEY_0_15, c.msg), c.want, c.name);
  for (const len of [1, 7, 8, 9, 16, 23]) {
    const msg = bytes0toN(len);
    t.equal(siphash24(KEY_0_15, msg), opensslSiphash('000102030405060708090a0b0c0d0e0f', msg),
      `length ${len} agrees with openssl`);
  }
});

t.test('isPrime and the production table size', async (t) => {
  const cases: Array<[number, boolean]> = [
    [0, false], [1, false], [2, true], [3, true], [4, false], [7, true], [9, false], [65537, true],
    [65539, true], [65541, false], [2147483647, true], [7.5, false], [-7, false],
  ];
  for (const [n, want] of cases) t.equal(isPrime(n), want, `isPrime(${n})`);
  for (const bad of [7, 65536, 65541, 2 ** 31 + 11]) {
    t.throws(() => checkTableSize(bad), { code: 'ERR_MAGLEV_TABLE_SIZE' }, `size ${bad} refused`);
  }
  t.doesNotThrow(() => checkTableSize(65537));
  t.throws(() => populateMaglev([0], [1], [1], 8), { code: 'ERR_MAGLEV_TABLE_SIZE' }, 'non-prime refused');
});

t.test('bad backend lists are refused with ERR_MAGLEV_BACKEND', async (t) => {
  const cases: Array<{ name: string; backends: MaglevBackend[] }> = [
    { name: 'empty id', backends: [{ id: '', weight: 1 }] },
    { name: 'duplicate id', backends: [{ id: 'a', weight: 1 }, { id: 'a', weight: 1 }] },
    { name: 'negative weight', backends: [{ id: 'a', weight: -1 }] },
    { name: 'fractional weight', backends: [{ id: 'a', weight: 0.5 }] },
    { name: 'weight too large', backends: [{ id: 'a', weight: 1e9 }] },
    { name: 'too many backends', backends: Array.from({ length: 65536 }, (_, i) => ({ id: `n${i}`, weight: 1 })) },
  ];
  for (const c of cases) t.throws(() => buildMaglevTable(c.backends, M), { code: 'ERR_MAGLEV_BACKEND' }, c.name);
});

// The paper's Table 1: B0 (offset 3, skip 4), B1 (offset 0, skip 2), B2 (offset 3, skip 1), M = 7.
// Worked by hand from the pseudo-code: round 1 B0→3, B1→0, B2→(3 taken)→4; round 2 B0→(0,4 taken)→1,
// B1→2, B2→5; round 3 B0→(5,2 taken)→6. Without B1: B0→3, B2→4, B0→0, B2→5, B0→1, B2→6, B0→2.
t.test('golden: the paper\'s Table 1, slot by slot', async (t) => {
  const cases = [
    { name: 'B0, B1, B2', weights: [1, 1, 1], want: [1, 0, 1, 0, 2, 2, 0] },
    { name: 'B1 removed (weight 0)', weights: [1, 0, 1], want: [0, 0, 0, 0, 2, 2, 2] },
    { name: 'all weights 0: empty table', weights: [0, 0, 0], want: [-1, -1, -1, -1, -1, -1, -1] },
  ];
  for (const c of cases) t.same([...populateMaglev([3, 0, 3], [4, 2, 1], c.weights, 7)], c.want, c.name);
});

// An independent population, written the way the paper states it (materialized permutation
// matrix, next[] counters), over offsets/skips from OpenSSL's SipHash of the ids.
function referenceTable(ids: string[], size: number): number[] {
  const key = (s: string): string => Buffer.from(s).toString('hex');
  const perm = ids.map((id) => {
    const msg = new TextEncoder().encode(id);
    const offset = Number(opensslSiphash(key('lbarray-maglev-o'), msg) % BigInt(size));
    const skip = Number(opensslSiphash(key('lbarray-maglev-s'), msg) % BigInt(size - 1)) + 1;
    return Array.from({ length: size }, (_, j) => (offset + j * skip) % size);
  });
  const next = ids.map(() => 0);
  const entry: number[] = new Array(size).fill(-1);
  let n = 0;
  for (;;) {
    for (let i = 0; i < ids.length; i++) {
      let c = perm[i][next[i]];
      while (entry[c] >= 0) { next[i]++; c = perm[i][next[i]]; }
      entry[c] = i; next[i]++; n++;
      if (n === size) return entry;
    }
  }
}

t.test('golden: size 7, three named backends, against an independent population', async (t) => {
  const ids = ['lb-a', 'lb-b', 'lb-c'];
  const perms = ids.map((id) => maglevPermutation(id, 7));
  const ours = [...populateMaglev(perms.map((p) => p.offset), perms.map((p) => p.skip), [1, 1, 1], 7)];
  t.same(perms, [{ offset: 6, skip: 1 }, { offset: 1, skip: 2 }, { offset: 2, skip: 4 }], 'recorded permutations');
  t.same(ours, referenceTable(ids, 7), 'same slots as the paper\'s pseudo-code over OpenSSL SipHash');
  t.same(ours, GOLDEN_7, 'and the recorded golden table');
});
// By hand: lb-a (offset 6, skip 1), lb-b (1, 2), lb-c (2, 4). Round 1: a→6, b→1, c→2.
// Round 2: a→0, b→3, c→(6, 3, 0 taken)→4. Round 3: a→(1, 2, 3, 4 taken)→5. Full.
const GOLDEN_7 = [0, 1, 2, 1, 2, 0, 0];

const share = (table: Int32Array, n: number): number[] => {
  const counts = new Array(n).fill(0);
  for (const e of table) counts[e]++;
  return counts;
};
const equalNodes = (n: number): MaglevBackend[] => Array.from({ length: n }, (_, i) => ({ id: `node-${i}`, weight: 1 }));

t.test('balance: equal weights give max-min ≤ 1 entry, within 1 % of the ideal share', async (t) => {
  for (const n of [2, 3, 7, 10, 100]) {
    const counts = share(buildMaglevTable(equalNodes(n), M), n);
    const ideal = M / n;
    t.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${n} nodes: max-min = ${Math.max(...counts) - Math.min(...counts)}`);
    const worst = Math.max(...counts.map((c) => Math.abs(c - ideal) / ideal));
    t.ok(worst < 0.01, `${n} nodes: worst deviation ${(worst * 100).toFixed(4)} %`);
  }
});

t.test('weights: shares proportional to weight; weight 0 gets no entry', async (t) => {
  const cases = [
    { name: '1:2:3:4', weights: [1, 2, 3, 4] },
    { name: '10:1', weights: [10, 1] },
    { name: '100:100:0:50 (one drained)', weights: [100, 100, 0, 50] },
  ];
  for (const c of cases) {
    const backends = c.weights.map((weight, i) => ({ id: `w-${i}`, weight }));
    const counts = share(buildMaglevTable(backends, M), backends.length);
    const total = c.weights.reduce((a, b) => a + b, 0);
    c.weights.forEach((w, i) => {
      const ideal = (M * w) / total;
      if (w === 0) t.equal(counts[i], 0, `${c.name}: weight 0 holds no slot`);
      else t.ok(Math.abs(counts[i] - ideal) / ideal < 0.01, `${c.name}: backend ${i} holds ${counts[i]}, ideal ${ideal.toFixed(0)}`);
    });
  }
});

t.test('disruption: removing 1 of N remaps about 1/N of the table', async (t) => {
  for (const n of [5, 10, 50]) {
    const nodes = equalNodes(n);
    const before = buildMaglevTable(nodes, M);
    const victim = Math.floor(n / 2);
    const drained = buildMaglevTable(nodes.map((b, i) => (i === victim ? { ...b, weight: 0 } : b)), M);
    const without = buildMaglevTable(nodes.filter((_, i) => i !== victim), M);
    let moved = 0;
    let sameAsRemoved = true;
    for (let s = 0; s < M; s++) {
      if (drained[s] !== before[s]) moved++;
      // Weight 0 and removal from the list give the same backend (by id) in every slot.
      if (nodes[drained[s]].id !== nodes.filter((_, i) => i !== victim)[without[s]].id) sameAsRemoved = false;
    }
    const pct = (100 * moved) / M;
    t.comment(`N=${n}: ${pct.toFixed(2)} % of entries remapped (ideal ${(100 / n).toFixed(2)} %)`);
    t.ok(pct >= 100 / n - 0.5 && pct <= (100 / n) * 1.5, `N=${n}: ${pct.toFixed(2)} % remapped ≈ 1/N`);
    t.ok(sameAsRemoved, `N=${n}: weight 0 equals removal from the list`);
  }
});

t.test('determinism: same ordered view, same table, on every build', async (t) => {
  const nodes = [{ id: 'lb-1', weight: 1 }, { id: 'lb-2', weight: 2 }, { id: 'lb-3', weight: 1 }];
  const a = buildMaglevTable(nodes, M);
  const b = buildMaglevTable(nodes.map((x) => ({ ...x })), M);
  t.same(Buffer.from(a.buffer), Buffer.from(b.buffer), 'two builds agree');
  const digest = createHash('sha256').update(a).digest('hex');
  t.equal(digest, GOLDEN_DIGEST, 'and match the recorded digest (a scheduler of another version builds the same table)');
});
const GOLDEN_DIGEST = '8722b679155f559de3f2330d542e014c0ec5d0a7c96d2c3a54ec417fcf58a660';
