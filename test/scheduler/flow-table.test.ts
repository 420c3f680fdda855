// The flow table and the router over it: bounded, established flows keep their node through
// table changes and SYN floods, dead nodes' flows re-hash, draining nodes keep their flows.
import t from 'tap';
import { FlowTable, FlowClass, FLOW_KEY_WORDS, DEFAULT_FLOW_CAPACITY } from '../../engine/scheduler/flow-table.js';
import { FlowRouter, type TableView } from '../../engine/scheduler/flow-router.js';
import { hashFlowKey, maglevSlot } from '../../engine/scheduler/flow-hash.js';
import { buildMaglevTable, MAGLEV_MIN_SIZE } from '../../engine/scheduler/maglev.js';

const TCP = 6;
function v4Key(src: number, dst: number, sport: number, dport: number, proto = TCP): Int32Array {
  const k = new Int32Array(FLOW_KEY_WORDS);
  k[0] = src; k[4] = dst; k[8] = (sport << 16) | dport; k[9] = proto;
  return k;
}
function v6Key(src: number[], dst: number[], sport: number, dport: number): Int32Array {
  const k = new Int32Array(FLOW_KEY_WORDS);
  k.set(src, 0); k.set(dst, 4); k[8] = (sport << 16) | dport; k[9] = TCP | (1 << 8);
  return k;
}
const VIP = 0xc6120064; // 198.18.0.100
const client = (i: number): Int32Array => v4Key(0xc6130000 + (i >>> 8), VIP, 1024 + (i & 0xff) * 97, 80);

// A published view: nodes (id, weight, up) -> Maglev table over weight (0 if down) + state words.
function view(nodes: Array<{ id: string; weight: number; up: boolean; gen?: number }>): TableView {
  return {
    table: buildMaglevTable(nodes.map((n) => ({ id: n.id, weight: n.up ? n.weight : 0 })), MAGLEV_MIN_SIZE),
    nodeStates: Int32Array.from(nodes, (n) => ((n.gen ?? 0) << 1) | (n.up ? 1 : 0)),
  };
}
const nodes3 = [{ id: 'lb1', weight: 1, up: true }, { id: 'lb2', weight: 1, up: true }, { id: 'lb3', weight: 1, up: true }];
const nodes4 = [...nodes3, { id: 'lb4', weight: 1, up: true }];

t.test('capacity: rounded up to a power of two, default 1 Mi, bad values refused', async (t) => {
  const cases = [{ capacity: 1, want: 8 }, { capacity: 9, want: 16 }, { capacity: 4096, want: 4096 }];
  for (const c of cases) t.equal(new FlowTable({ capacity: c.capacity }).capacity, c.want, `capacity ${c.capacity}`);
  t.equal(new FlowTable().capacity, DEFAULT_FLOW_CAPACITY);
  t.equal(DEFAULT_FLOW_CAPACITY, 1 << 20);
  for (const bad of [0, -1, 1.5, 2 ** 27]) {
    t.throws(() => new FlowTable({ capacity: bad }), { code: 'ERR_FLOW_TABLE_CAPACITY' }, `capacity ${bad} refused`);
  }
});

t.test('keys: exact match on all words; IPv4, IPv6 and ports are distinct flows', async (t) => {
  const ft = new FlowTable({ capacity: 64 });
  const keys = [
    v4Key(1, 2, 3, 4), v4Key(1, 2, 4, 3), v4Key(2, 1, 3, 4), v4Key(1, 2, 3, 4, 17),
    v6Key([0x20010002, 0, 0, 1], [0x20010002, 0, 0, 0x64], 3, 4), v6Key([0x20010002, 0, 0, 2], [0x20010002, 0, 0, 0x64], 3, 4),
  ];
  keys.forEach((k, i) => t.ok(ft.insert(k, hashFlowKey(k), i, 1, 0, FlowClass.ESTABLISHED) >= 0));
  keys.forEach((k, i) => t.equal(ft.nodeAt(ft.find(k, hashFlowKey(k))), i, `key ${i} finds its own entry`));
  t.equal(ft.size, keys.length);
  // Same hash, other key: still a miss.
  t.equal(ft.find(v4Key(9, 9, 9, 9), hashFlowKey(keys[0])), -1, 'hash collision with a different key is a miss');
  ft.remove(ft.find(keys[0], hashFlowKey(keys[0])));
  t.equal(ft.find(keys[0], hashFlowKey(keys[0])), -1, 'removed');
  t.equal(ft.size, keys.length - 1);
  ft.clear();
  t.equal(ft.size, 0);
  t.equal(ft.find(keys[1], hashFlowKey(keys[1])), -1, 'cleared');
});

t.test('bounded: 10x capacity distinct flows never grow the table', async (t) => {
  const ft = new FlowTable({ capacity: 1024 });
  for (let i = 0; i < 10 * 1024; i++) {
    const k = client(i);
    ft.insert(k, hashFlowKey(k), 0, 1, i, FlowClass.ESTABLISHED);
  }
  t.ok(ft.size <= 1024, `size ${ft.size} ≤ 1024`);
  t.ok(ft.evictedEstablished > 0, 'the least recently seen entries were evicted');
});

t.test('an established flow keeps its node when the node set changes', async (t) => {
  const ft = new FlowTable({ capacity: 1 << 14 });
  const before = view(nodes3);
  const router = new FlowRouter(ft, before);
  const flows = Array.from({ length: 2000 }, (_, i) => client(i));
  const held = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 1));
  const after = view(nodes4);
  router.use(after);
  let movedByMaglev = 0;
  flows.forEach((k, i) => {
    const h = hashFlowKey(k);
    if (after.table[maglevSlot(h, after.table.length)] !== held[i]) movedByMaglev++;
  });
  const kept = flows.filter((k, i) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 2) === held[i]).length;
  t.ok(movedByMaglev > 300, `the new table moves ${movedByMaglev} of 2000 flows`);
  t.equal(kept, 2000, 'yet every tracked flow stays on its node');
  const fresh = client(99999);
  t.equal(router.route(fresh, hashFlowKey(fresh), FlowClass.EMBRYONIC, 2),
    after.table[maglevSlot(hashFlowKey(fresh), after.table.length)], 'a new flow takes the new table');
});

// The flood: 10x capacity SYNs from distinct sources while established flows keep sending.
// The case with SYNs counted as established shows what the embryonic class protects against.
t.test('SYN flood: the table stays bounded and established flows keep their node', async (t) => {
  const cases = [
    { name: 'SYNs tracked as embryonic (the design)', synClass: FlowClass.EMBRYONIC, wantLost: false },
    { name: 'SYNs tracked as established (no protection)', synClass: FlowClass.ESTABLISHED, wantLost: true },
  ];
  for (const c of cases) {
    const capacity = 4096;
    const ft = new FlowTable({ capacity });
    const router = new FlowRouter(ft, view(nodes3));
    // A quarter of capacity: an 8-way bucket then overflows with negligible probability.
    const established = Array.from({ length: capacity / 4 }, (_, i) => client(i));
    const held = established.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 0));
    t.equal(ft.size, established.length, 'every established flow is tracked');
    router.use(view(nodes4)); // the node set changes during the flood: only tracking keeps flows home
    let lost = 0;
    let now = 1;
    for (let i = 0; i < 10 * capacity; i++) {
      const syn = v4Key(0x0a000000 + i, VIP, 40000 + (i % 20000), 80);
      router.route(syn, hashFlowKey(syn), c.synClass, now);
      if (i % 2048 === 2047) {
        now++;
        established.forEach((k, j) => { if (router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, now) !== held[j]) lost++; });
      }
    }
    t.ok(ft.size <= capacity, `${c.name}: size ${ft.size} ≤ capacity ${capacity}`);
    t.equal(lost > 0, c.wantLost, `${c.name}: ${lost} established lookups changed node`);
    if (!c.wantLost) {
      t.ok(ft.evictedEmbryonic > 0, `flood SYNs recycled each other's slots (${ft.evictedEmbryonic} times)`);
      t.equal(ft.evictedEstablished, 0, 'no established entry was evicted');
    }
  }
});

t.test('a SYN makes an embryonic entry, the next packet makes it established, FIN/RST closing', async (t) => {
  const ft = new FlowTable({ capacity: 64 });
  const router = new FlowRouter(ft, view(nodes3));
  const k = client(1);
  const h = hashFlowKey(k);
  const steps = [
    { cls: FlowClass.EMBRYONIC, name: 'SYN' }, { cls: FlowClass.ESTABLISHED, name: 'ACK' },
    { cls: FlowClass.EMBRYONIC, name: 'FIN (closing: recycled first)' },
  ];
  for (const s of steps) {
    router.route(k, h, s.cls, 1);
    t.equal(ft.classAt(ft.find(k, h)), s.cls, s.name);
  }
});

t.test('an established flow idle longer than idleMs makes room for a new SYN', async (t) => {
  const ft = new FlowTable({ capacity: 8, idleMs: 1000 });
  for (let i = 0; i < 8; i++) { const k = client(i); ft.insert(k, hashFlowKey(k), 0, 1, 0, FlowClass.ESTABLISHED); }
  const syn = client(100);
  t.equal(ft.insert(syn, hashFlowKey(syn), 1, 1, 999, FlowClass.EMBRYONIC), -1, 'not yet idle: SYN not tracked');
  t.equal(ft.refused, 1);
  t.ok(ft.insert(syn, hashFlowKey(syn), 1, 1, 1000, FlowClass.EMBRYONIC) >= 0, 'idle 1000 ms: SYN tracked');
  t.equal(ft.size, 8);
  // Time is a wrapping uint32: "now" after the wrap is still later.
  const ft2 = new FlowTable({ capacity: 8, idleMs: 10 });
  for (let i = 0; i < 8; i++) { const k = client(i); ft2.insert(k, hashFlowKey(k), 0, 1, 0xfffffff0, FlowClass.ESTABLISHED); }
  t.ok(ft2.insert(syn, hashFlowKey(syn), 1, 1, 5, FlowClass.EMBRYONIC) >= 0, 'age computed across the uint32 wrap');
});

// scheduler.flowIdleTimeout: idleness alone forgets nothing (a quiet keep-alive connection keeps
// its node through table changes); only a new flow that needs the slot may take it.
t.test('an idle established flow keeps its node until a new flow needs its slot', async (t) => {
  const ft = new FlowTable({ capacity: 8, idleMs: 1000 });
  const router = new FlowRouter(ft, view(nodes3));
  const k = client(7);
  const h = hashFlowKey(k);
  const node = router.route(k, h, FlowClass.ESTABLISHED, 0);
  // Its node drains: Maglev gives it no slot, so only the flow table can still send the flow there.
  router.use(view(nodes3.map((n, i) => (i === node ? { ...n, weight: 0 } : n))));
  t.equal(router.route(k, h, FlowClass.ESTABLISHED, 100_000), node, 'idle 100 x idleMs, the flow still goes to its node');
  for (let i = 0; i < 7; i++) { const o = client(100 + i); ft.insert(o, hashFlowKey(o), 0, 1, 300_000, FlowClass.ESTABLISHED); }
  const syn = client(200);
  t.ok(ft.insert(syn, hashFlowKey(syn), 1, 1, 300_000, FlowClass.EMBRYONIC) >= 0, 'a SYN takes the idle flow\'s slot in the full bucket');
  t.equal(ft.find(k, h), -1, 'then the idle flow is forgotten');
});

t.test('a dead node\'s flows are re-hashed, the others keep their node', async (t) => {
  const ft = new FlowTable({ capacity: 1 << 14 });
  const router = new FlowRouter(ft, view(nodes3));
  const flows = Array.from({ length: 3000 }, (_, i) => client(i));
  const held = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 0));
  const down = view([nodes3[0], { ...nodes3[1], up: false, gen: 1 }, nodes3[2]]);
  router.use(down);
  const now = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 1));
  const onDead = held.filter((n) => n === 1).length;
  t.ok(onDead > 800, `${onDead} flows were on lb2`);
  t.equal(now.filter((n) => n === 1).length, 0, 'no flow goes to the dead node');
  t.equal(now.filter((n, i) => held[i] !== 1 && n !== held[i]).length, 0, 'flows of live nodes did not move');
  t.equal(router.rehashed, onDead, 'exactly the dead node\'s flows were re-hashed');
  // lb2 comes back (new generation): its old flows stay where they were re-hashed to.
  router.use(view([nodes3[0], { ...nodes3[1], up: true, gen: 1 }, nodes3[2]]));
  const back = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 2));
  t.same(back, now, 'after lb2 returns, re-hashed flows stay put');
});

t.test('draining: weight 0 gets no new flows, its tracked flows continue', async (t) => {
  const ft = new FlowTable({ capacity: 1 << 14 });
  const router = new FlowRouter(ft, view(nodes3));
  const flows = Array.from({ length: 3000 }, (_, i) => client(i));
  const held = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 0));
  router.use(view([nodes3[0], nodes3[1], { ...nodes3[2], weight: 0 }]));
  const again = flows.map((k) => router.route(k, hashFlowKey(k), FlowClass.ESTABLISHED, 1));
  t.same(again, held, 'every tracked flow continues, including those on the draining lb3');
  t.ok(held.filter((n) => n === 2).length > 800, 'lb3 held flows');
  const fresh = Array.from({ length: 3000 }, (_, i) => client(100000 + i));
  t.equal(fresh.filter((k) => router.route(k, hashFlowKey(k), FlowClass.EMBRYONIC, 1) === 2).length, 0, 'no new flow goes to lb3');
});

t.test('peek: ICMP errors find the flow\'s node without tracking anything', async (t) => {
  const ft = new FlowTable({ capacity: 64 });
  const v = view(nodes3);
  const router = new FlowRouter(ft, v);
  const k = client(7);
  const h = hashFlowKey(k);
  t.equal(router.peek(k, h), v.table[maglevSlot(h, v.table.length)], 'untracked: the Maglev pick');
  t.equal(ft.size, 0, 'peek tracks nothing');
  const slot = ft.insert(k, h, 2, v.nodeStates[2], 0, FlowClass.ESTABLISHED);
  t.ok(slot >= 0);
  t.equal(router.peek(k, h), 2, 'tracked: the node holding it');
  const none = { table: new Int32Array(MAGLEV_MIN_SIZE).fill(-1), nodeStates: new Int32Array(3) };
  router.use(none);
  t.equal(router.route(k, h, FlowClass.ESTABLISHED, 1), -1, 'all nodes down: no node');
  t.equal(ft.size, 0, 'and the stale entry is gone');
  const k2 = client(8);
  t.equal(router.route(k2, hashFlowKey(k2), FlowClass.EMBRYONIC, 1), -1, 'an empty table places nothing');
});

t.test('flow sync export: each flow once, when first established; bare SYNs never', async (t) => {
  const ft = new FlowTable({ capacity: 1 << 10 });
  const got: Array<{ key: number[]; node: number; hash: number }> = [];
  ft.exporter = { push: (e, at, hash) => got.push({ key: Array.from(e.subarray(at, at + FLOW_KEY_WORDS)), node: e[at + FLOW_KEY_WORDS], hash }) };
  const r = new FlowRouter(ft, view(nodes3));
  const syn = client(1);
  const h = hashFlowKey(syn);
  const node = r.route(syn, h, FlowClass.EMBRYONIC, 0);
  t.equal(got.length, 0, 'a SYN alone is not exported (a flood stays local)');
  for (let i = 0; i < 5; i++) r.route(syn, h, FlowClass.ESTABLISHED, i + 1);
  t.same(got, [{ key: Array.from(syn), node, hash: h }], 'exported once, with its node, at its first established packet');
  r.route(syn, h, FlowClass.EMBRYONIC, 9); // FIN
  r.route(syn, h, FlowClass.ESTABLISHED, 10); // its last ACK
  t.equal(got.length, 1, 'a closing flow is not exported again');
  const mid = client(2);
  r.route(mid, hashFlowKey(mid), FlowClass.ESTABLISHED, 0);
  t.equal(got.length, 2, 'a flow first seen mid-stream is exported at once');
  // Its node goes down: re-homed, exported again with the new node.
  const held = ft.nodeAt(ft.find(mid, hashFlowKey(mid)));
  r.use(view(nodes3.map((n, i) => (i === held ? { ...n, up: false, gen: 1 } : n))));
  const moved = r.route(mid, hashFlowKey(mid), FlowClass.ESTABLISHED, 1);
  t.not(moved, held);
  t.same(got.at(-1)!.node, moved, 're-homed flow exported with its new node');
});

t.test('shared memory, upsert and forEachEstablished: what the control plane seeds a thread with', async (t) => {
  const buffer = new SharedArrayBuffer(FlowTable.bytesFor(100));
  const a = new FlowTable({ capacity: 100, buffer });
  t.equal(a.capacity, 128);
  const k1 = client(1);
  const k2 = client(2);
  a.upsert(k1, hashFlowKey(k1), 2, 1, 0);
  a.upsert(k2, hashFlowKey(k2), 0, 1, 0);
  a.upsert(k1, hashFlowKey(k1), 1, 1, 5);
  a.insert(client(3), hashFlowKey(client(3)), 0, 1, 0, FlowClass.EMBRYONIC);
  const b = new FlowTable({ capacity: 128, buffer });
  t.equal(b.size, 3, 'a second view of the memory counts its entries');
  t.equal(b.nodeAt(b.find(k1, hashFlowKey(k1))), 1, 'upsert re-homed the flow; the other view sees it');
  const seen: Array<[number, number]> = [];
  b.forEachEstablished((e, at, hash) => seen.push([e[at + FLOW_KEY_WORDS], hash]));
  t.same(seen.sort(), [[0, hashFlowKey(k2)], [1, hashFlowKey(k1)]].sort(), 'only established flows are listed, with node and hash');
  t.throws(() => new FlowTable({ capacity: 256, buffer }), { code: 'ERR_FLOW_TABLE_BUFFER' }, 'a buffer of the wrong size is refused');
});
