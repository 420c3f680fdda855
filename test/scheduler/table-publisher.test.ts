// Table publication across real worker threads: every batch sees one whole table, every worker
// reaches the latest generation, and the publisher never overwrites a half a worker still reads.
import t from 'tap';
import { startWorker } from '../../engine/worker-thread.js';
import { TablePublisher, TableReader } from '../../engine/scheduler/table-publisher.js';
import { maglevSlot } from '../../engine/scheduler/flow-hash.js';

const workerFile = new URL('./fixtures/table-reader-worker.ts', import.meta.url);
// Generation g: only node g % 3 is up, so the whole table points at it.
const viewOf = (g: number) => ['lb1', 'lb2', 'lb3'].map((id, i) => ({ id, weight: 1, up: i === g % 3 }));

t.test('worker threads pick up each published table atomically', async (t) => {
  const publisher = new TablePublisher({ maxReaders: 4, readerTimeoutMs: 20_000 });
  const last = 40;
  const workers = [0, 1].map(() => startWorker(workerFile, { buffer: publisher.buffer, id: publisher.addReader(), lastGeneration: last }));
  const results = workers.map((w) => new Promise<{ batches: number; torn: number; generations: number; final: number }>(
    (resolve, reject) => { w.on('message', (m) => { if (m !== 'ready') resolve(m); }); w.once('error', reject); }));
  // Start publishing once both workers are in their loop (loading TypeScript in a worker takes a while).
  await Promise.all(workers.map((w) => new Promise((resolve) => w.on('message', (m) => { if (m === 'ready') resolve(m); }))));
  for (let g = 1; g <= last; g++) await publisher.publish(viewOf(g));
  t.equal(publisher.generation, last);
  for (const r of await Promise.all(results)) {
    t.equal(r.torn, 0, `no torn table in ${r.batches} batches`);
    t.equal(r.final, last, 'reached the last generation');
    t.ok(r.generations > 1, `saw ${r.generations} generations`);
  }
});

t.test('a reader sees the published table, node states and generation', async (t) => {
  const publisher = new TablePublisher();
  const reader = new TableReader(publisher.buffer, publisher.addReader());
  t.equal(reader.generation, 0);
  t.equal(reader.table[maglevSlot(12345, reader.table.length)], -1, 'generation 0 places nothing');
  t.equal(reader.refresh(), false, 'nothing new');
  const nodes = [{ id: 'a', weight: 1, up: true }, { id: 'b', weight: 1, up: true }];
  await publisher.publish(nodes);
  t.equal(reader.refresh(), true);
  t.same([...reader.nodeStates.subarray(0, 2)], [1, 1], 'both up, generation 0');
  const counts = [0, 0];
  for (const e of reader.table) counts[e]++;
  t.ok(counts[0] > 30000 && counts[1] > 30000, 'both take flows');
  // b goes down, then comes back: its state word changes each time (tracked flows re-hash).
  const p = publisher.publish([nodes[0], { ...nodes[1], up: false }]);
  await new Promise((r) => setTimeout(r, 5));
  reader.refresh();
  await p;
  reader.refresh();
  t.equal(reader.nodeStates[1], 2, 'b down: generation 1, up bit clear');
  t.notOk(reader.table.includes(1), 'b takes no flow');
  await publisher.publish(nodes);
  reader.refresh();
  t.equal(reader.nodeStates[1], 3, 'b up again: generation 1, up bit set');
  reader.release();
});

t.test('publish waits for readers, and gives up on a stalled one', async (t) => {
  const publisher = new TablePublisher({ readerTimeoutMs: 50, maxReaders: 1 });
  const reader = new TableReader(publisher.buffer, publisher.addReader());
  t.throws(() => publisher.addReader(), { code: 'ERR_TABLE_READERS' }, 'no free reader slot');
  t.throws(() => new TableReader(publisher.buffer, 5), { code: 'ERR_TABLE_READERS' }, 'bad reader id');
  await publisher.publish([{ id: 'a', weight: 1, up: true }]); // reader is on generation 0: fine
  await t.rejects(publisher.publish([{ id: 'a', weight: 2, up: true }]), { code: 'ERR_TABLE_READER_STALLED' },
    'the reader still on generation 0 could be reading the half generation 2 would overwrite');
  reader.refresh();
  await publisher.publish([{ id: 'a', weight: 2, up: true }]);
  t.equal(publisher.generation, 2, 'published once the reader moved on');
  await t.rejects(publisher.publish(Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, weight: 1, up: true }))),
    { code: 'ERR_TABLE_NODES' });
  t.throws(() => new TablePublisher({ size: 7 }), { code: 'ERR_MAGLEV_TABLE_SIZE' });
});
