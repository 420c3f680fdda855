// The active scheduler's forwarding threads: one per configured worker, each with its own ring in
// one PACKET_FANOUT hash group, all reading the one published table. The control plane talks to a
// running thread only through its control word (the loop blocks; it reads no messages).
import type { Worker } from 'node:worker_threads';
import { LbError } from '../errors.js';
import type { TablePublisher } from '../scheduler/table-publisher.js';
import { TableReader } from '../scheduler/table-publisher.js';
import { siblingEntry, startWorker } from '../worker-thread.js';
import { Control, type ForwarderData, type ForwarderMessage } from './forwarder-protocol.js';

const entry = siblingEntry(import.meta.url, 'scheduler-worker');

export type ForwardersSetup = Omit<ForwarderData, 'readerId' | 'counters' | 'control'> & {
  /** One SchedulerCounters buffer per thread (kept by the caller across activations). */
  counters: readonly SharedArrayBuffer[];
};

interface Thread {
  worker: Worker;
  control: Int32Array;
  readerId: number;
  exited: Promise<boolean>;
}

export class Forwarders {
  private stopping = false;

  private constructor(private readonly threads: Thread[], private readonly table: SharedArrayBuffer) {}

  /** Starts the threads; resolves once every ring is open. `onLost` hears of a thread that died while running. */
  static async start(setup: ForwardersSetup, publisher: TablePublisher, onLost: (index: number, why: string) => void): Promise<Forwarders> {
    const threads: Thread[] = [];
    const self = new Forwarders(threads, publisher.buffer);
    const ready = setup.counters.map((counters, index) => {
      const control = new Int32Array(new SharedArrayBuffer(4));
      const readerId = publisher.addReader();
      const { counters: _all, ...common } = setup;
      const data: ForwarderData = { ...common, counters, readerId, control: control.buffer as SharedArrayBuffer };
      const worker = startWorker(entry, data);
      let cleanExit = false;
      const exited = new Promise<boolean>((resolve) => worker.once('exit', () => resolve(cleanExit)));
      threads.push({ worker, control, readerId, exited });
      return new Promise<void>((resolve, reject) => {
        worker.on('message', (m: ForwarderMessage) => {
          if (m.type === 'ready') resolve();
          else if (m.type === 'stopped') cleanExit = true;
          else reject(new LbError(m.code, m.message));
        });
        worker.once('error', (e) => reject(new LbError('ERR_SCHEDULER_WORKER', `Forwarding thread ${index} failed: ${e.message}`)));
        void exited.then((clean) => {
          reject(new LbError('ERR_SCHEDULER_WORKER', `Forwarding thread ${index} exited during start-up.`));
          if (!self.stopping && !clean) onLost(index, 'exited');
        });
      });
    });
    try {
      await Promise.all(ready);
    } catch (e) {
      await self.stop();
      throw e;
    }
    return self;
  }

  /** The next-hop MACs changed: every thread installs them again between two batches. */
  reloadHops(): void {
    for (const t of this.threads) Atomics.compareExchange(t.control, 0, Control.RUN, Control.RELOAD_HOPS);
  }

  /** Stops every thread (each leaves its loop within one receive wait); a stuck one is terminated. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.threads) Atomics.store(t.control, 0, Control.STOP);
    await Promise.all(this.threads.map(async (t) => {
      const timer = setTimeout(() => void t.worker.terminate(), 1000);
      const clean = await t.exited;
      clearTimeout(timer);
      // A thread that could not release its table slot would stall every later publish.
      if (!clean) new TableReader(this.table, t.readerId).release();
    }));
  }
}
