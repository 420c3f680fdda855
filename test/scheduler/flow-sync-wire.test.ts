// The flow sync datagram: entries round-trip, datagrams stay under 1400 bytes, bad ones are named.
import t from 'tap';
import { decodeSync, encodeControl, SyncEncoder, SyncType, SYNC_ENTRIES_PER_DATAGRAM } from '../../engine/scheduler/flow-sync-wire.js';
import { FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';

t.test('entries round-trip, split into datagrams under 1400 bytes', async (t) => {
  const n = SYNC_ENTRIES_PER_DATAGRAM * 2 + 3;
  const words = Int32Array.from({ length: n * FLOW_KEY_WORDS }, (_, i) => (i * 2654435761) | 0);
  const enc = new SyncEncoder();
  for (let i = 0; i < n; i++) enc.add(words, i * FLOW_KEY_WORDS, i % 3);
  const dgrams = enc.take();
  t.equal(dgrams.length, 3);
  t.ok(dgrams.every((d) => d.length <= 1400), 'no datagram over 1400 bytes');
  const keys: number[] = [];
  const nodes: number[] = [];
  for (const d of dgrams) {
    const m = decodeSync(d, 3);
    if (typeof m === 'string') throw new Error(m);
    t.equal(m.type, SyncType.ENTRIES);
    keys.push(...m.keys);
    nodes.push(...m.nodes);
  }
  t.same(keys, Array.from(words), 'every key word back, negative ones included');
  t.same(nodes, Array.from({ length: n }, (_, i) => i % 3));
  t.same(enc.take(), [], 'the encoder starts afresh');
});

t.test('control datagrams, and bad datagrams named', async (t) => {
  const req = decodeSync(encodeControl(SyncType.DUMP_REQUEST), 3);
  t.match(req, { type: SyncType.DUMP_REQUEST });
  t.match(decodeSync(encodeControl(SyncType.DUMP_END), 3), { type: SyncType.DUMP_END });
  const enc = new SyncEncoder();
  enc.add(new Int32Array(FLOW_KEY_WORDS), 0, 2);
  const good = enc.take()[0]!;
  t.equal(decodeSync(good.subarray(0, 5), 3), 'short');
  t.equal(decodeSync(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 3), 'magic');
  const badType = Buffer.from(good); badType[4] = 9;
  t.equal(decodeSync(badType, 3), 'type');
  t.equal(decodeSync(good.subarray(0, good.length - 1), 3), 'length', 'truncated entry');
  const endWithCount = Buffer.from(encodeControl(SyncType.DUMP_END)); endWithCount[6] = 1;
  t.equal(decodeSync(endWithCount, 3), 'length');
  t.equal(decodeSync(good, 2), 'node', 'a node index past the configured nodes');
});
