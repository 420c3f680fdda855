// Flow sync over real UDP sockets on loopback (three "nodes" on 127.0.0.1-3): the scheduler's
// exported flows reach the others' replicas, a starting node gets the scheduler's whole table as
// a dump, every flow received is handed on (to the parked forwarding threads), and strangers' or
// malformed datagrams are counted and ignored.
import dgram from 'node:dgram';
import t from 'tap';
import { FlowSync, type FlowSyncOptions } from '../../engine/daemon/flow-sync.js';
import { configureLogging, logger } from '../../engine/log.js';
import { FlowExport } from '../../engine/scheduler/flow-export.js';
import { hashFlowKey } from '../../engine/scheduler/flow-hash.js';
import { FlowClass, FLOW_KEY_WORDS, FlowTable } from '../../engine/scheduler/flow-table.js';
import { freePort, until } from './fixtures/udp.js';

configureLogging({ level: 'silent' });
const ADDRESSES = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

const key = (i: number): Int32Array => {
  const k = new Int32Array(FLOW_KEY_WORDS);
  k[0] = 0xc6130000 + i; k[4] = 0xc6130001; k[8] = ((1024 + i) << 16) | 80; k[9] = 6;
  return k;
};

t.test('scheduler → replicas, a dump for a starting node, each flow handed on', async (t) => {
  const port = await freePort();
  const open = (i: number, active: () => boolean, waitMs = 5000, more: Partial<FlowSyncOptions> = {}) => FlowSync.open({
    peers: ADDRESSES.map((a, j) => (j === i ? undefined : a)), address: ADDRESSES[i]!, port, v6: false,
    capacity: 1024, idleMs: 60_000, intervalMs: 10, waitMs, active, log: logger('flow-sync'), ...more,
  });
  const a = await open(0, () => true);
  t.teardown(() => a.close());
  const b = await open(1, () => false);
  t.teardown(() => b.close());

  // A forwarding thread's table, exporting into a ring the scheduler (a) drains.
  const ring = new FlowExport(256);
  const table = new FlowTable({ capacity: 1024 });
  table.exporter = ring;
  a.startSending([ring]);
  for (let i = 0; i < 100; i++) {
    table.insert(key(i), hashFlowKey(key(i)), i % 3, 1, 0, FlowClass.EMBRYONIC); // SYN: not synced
  }
  t.equal(ring.drain(() => {}), 0, 'nothing exported for SYNs');
  const states = Int32Array.of(1, 1, 1);
  for (let i = 0; i < 100; i++) table.lookup(key(i), hashFlowKey(key(i)), 1, FlowClass.ESTABLISHED, states);
  await until('b has the 100 flows', () => b.replica.size === 100);
  t.equal(a.replica.size, 100, 'the scheduler keeps what it sent in its own replica');
  const held = (r: FlowTable, i: number) => r.nodeAt(r.find(key(i), hashFlowKey(key(i))));
  t.same([held(b.replica, 0), held(b.replica, 1), held(b.replica, 2)], [0, 1, 2], 'each flow with its node');

  // c starts: asks for a dump; only the scheduler (a) answers.
  const learnedByC: Array<{ key: number[]; hash: number; node: number }> = [];
  const c = await open(2, () => false, 5000, { learned: (k, hash, node) => learnedByC.push({ key: Array.from(k), hash, node }) });
  t.teardown(() => c.close());
  await c.synced;
  t.equal(c.replica.size, 100, 'the starting node has the whole table before it may preempt');
  t.equal(a.counters.dumpsServed, 2, 'the scheduler answered both starting nodes (b, then c)');
  t.equal(b.counters.dumpsServed, 0, 'a backup did not');

  t.equal(learnedByC.length, 100, 'c handed every flow of the dump to its daemon (its parked threads\' tables)');
  t.same(learnedByC.find((l) => l.key[0] === key(2)[0]), { key: Array.from(key(2)), hash: hashFlowKey(key(2)), node: 2 },
    'with its key, hash and node');
});

t.test('strangers and malformed datagrams are counted, not taken; no dump: synced after the wait', async (t) => {
  const port = await freePort();
  const s = await FlowSync.open({
    peers: [undefined, '127.0.0.2'], address: '127.0.0.1', port, v6: false,
    capacity: 64, idleMs: 1000, intervalMs: 10, waitMs: 200, active: () => false, log: logger('flow-sync'),
  });
  t.teardown(() => s.close());
  const started = Date.now();
  await s.synced;
  t.ok(Date.now() - started >= 150, 'waited for a dump that nobody sent');
  const send = async (from: string, payload: Buffer) => {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, from, r));
    await new Promise((r) => u.send(payload, port, '127.0.0.1', r));
    u.close();
  };
  await send('127.0.0.9', Buffer.from('LBF1 from a stranger'));
  await send('127.0.0.2', Buffer.from('not a flow sync datagram'));
  await until('both counted', () => s.counters.foreign === 1 && s.counters.rejected === 1);
  t.equal(s.replica.size, 0, 'nothing taken');
  await t.rejects(FlowSync.open({
    peers: [], address: '127.0.0.1', port, v6: false, capacity: 64, idleMs: 1000, intervalMs: 10, waitMs: 0, active: () => false, log: logger('x'),
  }), { code: 'ERR_FLOW_SYNC_BIND', message: /scheduler\.flowSync\.port/ }, 'a port in use is named');
});

t.test('a dump of a large table goes out in slices and arrives whole', async (t) => {
  const port = await freePort();
  const open = (i: number, active: boolean) => FlowSync.open({
    peers: ADDRESSES.slice(0, 2).map((a, j) => (j === i ? undefined : a)), address: ADDRESSES[i]!, port, v6: false,
    capacity: 1 << 16, idleMs: 60_000, intervalMs: 10, waitMs: 5000, active: () => active, log: logger('flow-sync'),
  });
  const a = await open(0, true);
  t.teardown(() => a.close());
  for (let i = 0; i < 3000; i++) a.replica.upsert(key(i), hashFlowKey(key(i)), i % 2, 0, 0);
  const b = await open(1, false);
  t.teardown(() => b.close());
  await b.synced;
  t.equal(b.replica.size, 3000, 'every flow of a 65536-slot table (4 slices) arrived');
});
