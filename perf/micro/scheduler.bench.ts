// Micro benchmarks of the scheduler (benchmark.js), each beside its baseline in the same run:
//   node --import tsx perf/micro/scheduler.bench.ts
// - Maglev rebuild (65537 slots, 100 nodes) against the paper's pseudo-code run literally
//   (materialized permutation matrix); target < 5 ms per rebuild. Quality printed beside speed:
//   balance (max-min share) and the percent of slots remapped when 1 of 100 nodes is removed.
// - Flow routing of established flows (flow table hit) against a stateless Maglev pick.
import Benchmark from 'benchmark';
import { buildMaglevTable, maglevPermutation, populateMaglev, MAGLEV_MIN_SIZE } from '../../engine/scheduler/maglev.js';
import { FlowTable, FlowClass, FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';
import { FlowRouter } from '../../engine/scheduler/flow-router.js';
import { hashFlowKey, maglevSlot } from '../../engine/scheduler/flow-hash.js';

const M = MAGLEV_MIN_SIZE;
const NODES = 100;
const nodes = Array.from({ length: NODES }, (_, i) => ({ id: `node-${i}`, weight: 1 }));
const perms = nodes.map((n) => maglevPermutation(n.id, M));

// The paper's pseudo-code, literally: permutation[i][j] materialized, next[] counters.
function paperLiteral(): Int32Array {
  const permutation = perms.map((p) => { const row = new Int32Array(M); for (let j = 0; j < M; j++) row[j] = (p.offset + j * p.skip) % M; return row; });
  const next = new Int32Array(NODES);
  const entry = new Int32Array(M).fill(-1);
  let n = 0;
  for (;;) {
    for (let i = 0; i < NODES; i++) {
      let c = permutation[i][next[i]];
      while (entry[c] >= 0) { next[i]++; c = permutation[i][next[i]]; }
      entry[c] = i; next[i]++;
      if (++n === M) return entry;
    }
  }
}

function quality(): string {
  const table = buildMaglevTable(nodes, M);
  const counts = new Array(NODES).fill(0);
  for (const e of table) counts[e]++;
  const without = buildMaglevTable(nodes.map((n, i) => (i === 42 ? { ...n, weight: 0 } : n)), M);
  let moved = 0;
  for (let s = 0; s < M; s++) if (table[s] !== without[s]) moved++;
  return `balance: shares ${Math.min(...counts)}..${Math.max(...counts)} (max-min ${Math.max(...counts) - Math.min(...counts)}); ` +
    `1 of ${NODES} removed: ${((100 * moved) / M).toFixed(2)} % of slots remapped (ideal ${(100 / NODES).toFixed(2)} %)`;
}

// Established flows: 64 Ki distinct IPv4 flows, all tracked.
const FLOWS = 1 << 16;
const keys = new Int32Array(FLOWS * FLOW_KEY_WORDS);
const hashes = new Int32Array(FLOWS);
const key = new Int32Array(FLOW_KEY_WORDS);
for (let i = 0; i < FLOWS; i++) {
  const k = keys.subarray(i * FLOW_KEY_WORDS, (i + 1) * FLOW_KEY_WORDS);
  k[0] = 0xc6130000 + (i >>> 6); k[4] = 0xc6120064; k[8] = ((1024 + (i & 63)) << 16 | 80) >>> 0; k[9] = 6;
  hashes[i] = hashFlowKey(k);
}
const view = { table: buildMaglevTable(nodes, M), nodeStates: new Int32Array(NODES).fill(1) };
const router = new FlowRouter(new FlowTable(), view);
for (let i = 0; i < FLOWS; i++) router.route(keys.subarray(i * FLOW_KEY_WORDS, (i + 1) * FLOW_KEY_WORDS), hashes[i], FlowClass.ESTABLISHED, 0);
const BATCH = 1024;
let cursor = 0;
let sink = 0;
function routeBatch(): void {
  for (let b = 0; b < BATCH; b++) {
    const i = cursor++ & (FLOWS - 1);
    for (let w = 0; w < FLOW_KEY_WORDS; w++) key[w] = keys[i * FLOW_KEY_WORDS + w];
    sink += router.route(key, hashFlowKey(key), FlowClass.ESTABLISHED, 1);
  }
}
function maglevBatch(): void {
  const table = view.table;
  for (let b = 0; b < BATCH; b++) {
    const i = cursor++ & (FLOWS - 1);
    for (let w = 0; w < FLOW_KEY_WORDS; w++) key[w] = keys[i * FLOW_KEY_WORDS + w];
    sink += table[maglevSlot(hashFlowKey(key), M)];
  }
}

const results: Record<string, number> = {};
const opts = { minSamples: 5, maxTime: 1 };
new Benchmark.Suite('scheduler')
  .add('maglev rebuild 65537 x 100 (lbarray)', () => { buildMaglevTable(nodes, M); }, opts)
  .add('maglev populate only (lbarray)', () => { populateMaglev(perms.map((p) => p.offset), perms.map((p) => p.skip), nodes.map(() => 1), M); }, opts)
  .add('maglev rebuild 65537 x 100 (paper pseudo-code, baseline)', () => { paperLiteral(); }, opts)
  .add(`flow route, ${BATCH} established packets (flow table)`, routeBatch, opts)
  .add(`maglev pick only, ${BATCH} packets (stateless baseline)`, maglevBatch, opts)
  .on('cycle', (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    results[b.name!] = b.stats.mean * 1000;
    console.log(`${String(b)}  (mean ${(b.stats.mean * 1000).toFixed(3)} ms)`);
  })
  .on('complete', () => {
    const rebuild = results['maglev rebuild 65537 x 100 (lbarray)'];
    const paper = results['maglev rebuild 65537 x 100 (paper pseudo-code, baseline)'];
    const route = results[`flow route, ${BATCH} established packets (flow table)`];
    const pick = results[`maglev pick only, ${BATCH} packets (stateless baseline)`];
    console.log(`maglev rebuild: ${rebuild.toFixed(2)} ms (target < 5 ms), ${(paper / rebuild).toFixed(2)} x faster than the literal pseudo-code`);
    console.log(quality());
    console.log(`flow route: ${((route * 1e6) / BATCH).toFixed(1)} ns/packet, ${(route / pick).toFixed(2)} x the stateless pick ` +
      `(${((pick * 1e6) / BATCH).toFixed(1)} ns/packet)${sink === 0.5 ? '' : ''}`);
  })
  .run();
