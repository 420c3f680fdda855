// The flow export ring between a forwarding thread and the control plane: records arrive whole and
// in order, a full ring drops and counts (the packet path never waits), and it works across threads.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { FlowExport, EXPORT_RECORD_WORDS } from '../../engine/scheduler/flow-export.js';
import { FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';

const entry = (i: number): Int32Array => Int32Array.from({ length: EXPORT_RECORD_WORDS }, (_, k) => i * 100 + k);

t.test('in order, whole, and a full ring drops and counts', async (t) => {
  const x = new FlowExport(5);
  t.equal(x.capacity, 8, 'rounded up to a power of two');
  for (let i = 0; i < 10; i++) x.push(entry(i), 0, 0);
  t.equal(x.dropped, 2, 'two records did not fit');
  const out: number[][] = [];
  t.equal(x.drain((w, b) => out.push(Array.from(w.subarray(b, b + EXPORT_RECORD_WORDS)))), 8);
  t.same(out, Array.from({ length: 8 }, (_, i) => Array.from(entry(i))), 'the first 8, key words then node');
  x.push(entry(42), 0, 0);
  const again: number[] = [];
  x.drain((w, b) => again.push(w[b + FLOW_KEY_WORDS]));
  t.same(again, [4200 + FLOW_KEY_WORDS], 'room again after a drain');
  t.throws(() => new FlowExport(0), { code: 'ERR_FLOW_EXPORT_CAPACITY' });
});

t.test('a producer thread and this consumer lose nothing while the ring has room', async (t) => {
  const x = new FlowExport(1 << 10);
  const total = 20_000;
  const src = `
    const { workerData } = require('node:worker_threads');
    const w = new Int32Array(workerData.buffer);
    const HEADER = 4, WORDS = ${EXPORT_RECORD_WORDS}, cap = (w.length - HEADER) / WORDS;
    for (let i = 0; i < ${total};) {
      const write = Atomics.load(w, 0);
      if (((write - Atomics.load(w, 1)) | 0) >= cap) continue; // wait for room (the test only)
      const base = HEADER + (write & (cap - 1)) * WORDS;
      for (let k = 0; k < WORDS; k++) w[base + k] = i;
      Atomics.store(w, 0, (write + 1) | 0);
      i++;
    }`;
  const worker = new Worker(src, { eval: true, workerData: { buffer: x.buffer } });
  let next = 0;
  let torn = 0;
  const done = new Promise((r) => worker.once('exit', r));
  while (next < total) {
    x.drain((w, b) => {
      for (let k = 0; k < EXPORT_RECORD_WORDS; k++) if (w[b + k] !== next) torn++;
      next++;
    });
    await new Promise((r) => setImmediate(r));
  }
  await done;
  t.equal(next, total, 'every record arrived');
  t.equal(torn, 0, 'no record was read before it was whole');
});
