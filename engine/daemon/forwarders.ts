// The scheduler's forwarding threads: one per configured worker, started with the daemon, each
// with its own ring in one PACKET_FANOUT hash group standing by (refusing every frame), parked; on
// activation each lets frames in and reads the one published table. The control plane talks to a running thread only through its control words
// (the loop blocks; it reads no messages); the thread answers by message.
import type { Worker } from 'node:worker_threads';
import { LbError } from '../errors.js';
import type { TablePublisher } from '../scheduler/table-publisher.js';
import { TableReader } from '../scheduler/table-publisher.js';
import { DROP_ALL, setSocketFilter } from '../ring/port.js';
import { siblingEntry, startWorker } from '../worker-thread.js';
import { Control, CONTROL_FLOWS, CONTROL_READER, CONTROL_RING_FD, CONTROL_WORDS, type ForwarderData, type ForwarderMessage } from './forwarder-protocol.js';

const entry = siblingEntry(import.meta.url, 'scheduler-worker');
/** How long a thread may take to leave its loop (one receive wait) or to exit. */
const STOP_WAIT_MS = 2000;

/** What is the same for every thread, and one of each per-thread buffer (counters, flow table, export ring). */
export type ForwardersSetup = Omit<ForwarderData, 'index' | 'control' | PerThread> & {
  perThread: ReadonlyArray<Pick<ForwarderData, PerThread>>;
};
type PerThread = 'counters' | 'flowTable' | 'flowExport';

class Thread {
  readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  readonly worker: Worker;
  readonly exited: Promise<void>;
  running = false;
  private readonly inbox: ForwarderMessage[] = [];
  private waiter: (() => void) | null = null;

  constructor(data: Omit<ForwarderData, 'control'>, onLost: (why: string) => void) {
    Atomics.store(this.control, 0, Control.PARKED);
    this.worker = startWorker(entry, { ...data, control: this.control.buffer });
    this.worker.on('message', (m: ForwarderMessage) => { this.inbox.push(m); this.waiter?.(); });
    this.worker.on('error', (e) => onLost(e.message));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => { this.waiter?.(); resolve(); }));
  }

  set(value: number): void {
    Atomics.store(this.control, 0, value);
    Atomics.notify(this.control, 0);
  }

  /** The next message of one of `types`; LbError if the thread exits or stays silent. */
  async next(types: ReadonlyArray<ForwarderMessage['type']>, timeoutMs: number): Promise<ForwarderMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => types.includes(m.type));
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new LbError('ERR_SCHEDULER_WORKER', `A forwarding thread did not answer (${types.join('/')}) within ${timeoutMs} ms.`);
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        new Promise<false>((resolve) => { this.waiter = () => resolve(false); timer = setTimeout(resolve, left, false); }),
        this.exited.then(() => true),
      ]);
      clearTimeout(timer);
      this.waiter = null;
      if (exited && !this.inbox.some((m) => types.includes(m.type))) throw new LbError('ERR_SCHEDULER_WORKER', 'A forwarding thread exited.');
    }
  }
}

export class Forwarders {
  private closing = false;
  /** Why a thread's ring could not stand by from the start (the interface missing...): activation opens it then, or fails with the reason. */
  standbyError: string | null = null;

  private constructor(private readonly threads: Thread[], private readonly table: SharedArrayBuffer) {}

  /** Starts the threads, parked; `onLost` hears of one that died. Threads load slowly: do this early. */
  static async spawn(setup: ForwardersSetup, onLost: (index: number, why: string) => void, startMs = 60_000): Promise<Forwarders> {
    const { perThread, ...common } = setup;
    let self: Forwarders | null = null;
    const threads = perThread.map((own, index) => new Thread({ ...common, ...own, index }, (why) => {
      if (!self?.closing) onLost(index, why);
    }));
    self = new Forwarders(threads, setup.table);
    try {
      const parked = await Promise.all(threads.map((t) => t.next(['parked'], startMs)));
      self.standbyError = parked.map((m) => (m.type === 'parked' ? m.standbyError : null)).find((e) => e) ?? null;
    } catch (e) {
      await self.close();
      throw e;
    }
    return self;
  }

  /**
   * Lets frames into every standing-by ring now (they wait there until the thread reads them) and
   * wakes the threads; the promise resolves once all forward (else stops them and throws), so the
   * VIP can be announced before that. flows[i]: the entries in thread i's flow table.
   */
  activate(publisher: TablePublisher, flows: readonly number[]): Promise<void> {
    const fds = this.threads.map((t) => Atomics.load(t.control, CONTROL_RING_FD)).filter((fd) => fd >= 0);
    try {
      for (const fd of fds) setSocketFilter(fd, null);
    } catch (e) {
      for (const fd of fds) try { setSocketFilter(fd, DROP_ALL); } catch { /* the thread reopens it */ }
      return Promise.reject(e);
    }
    return this.whenStarted(publisher, flows);
  }

  private async whenStarted(publisher: TablePublisher, flows: readonly number[]): Promise<void> {
    const started = this.threads.map(async (t, i) => {
      Atomics.store(t.control, CONTROL_READER, publisher.addReader());
      Atomics.store(t.control, CONTROL_FLOWS, flows[i] ?? 0);
      t.running = true;
      t.set(Control.RUN);
      const m = await t.next(['ready', 'failed'], STOP_WAIT_MS * 5);
      if (m.type === 'failed') {
        t.running = false;
        throw new LbError(m.code, m.message);
      }
    });
    const results = await Promise.allSettled(started);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      await this.deactivate();
      throw failed.reason;
    }
  }

  /** The next-hop MACs changed: every running thread installs them again between two batches. */
  reloadHops(): void {
    for (const t of this.threads) if (t.running) Atomics.compareExchange(t.control, 0, Control.RUN, Control.RELOAD_HOPS);
  }

  /** Stops forwarding (each thread leaves its loop within one receive wait); rings refuse frames again, threads parked. */
  async deactivate(): Promise<void> {
    await Promise.all(this.threads.filter((t) => t.running).map(async (t) => {
      t.running = false;
      t.set(Control.STOP);
      try {
        await t.next(['stopped', 'failed'], STOP_WAIT_MS);
      } catch {
        // Stuck: end it, and give back the table slot it cannot release (it would stall every publish).
        await t.worker.terminate();
        new TableReader(this.table, Atomics.load(t.control, CONTROL_READER)).release();
      }
    }));
  }

  /** Stops and ends every thread. */
  async close(): Promise<void> {
    this.closing = true;
    await this.deactivate();
    await Promise.all(this.threads.map(async (t) => {
      t.set(Control.EXIT);
      const timer = setTimeout(() => void t.worker.terminate(), STOP_WAIT_MS);
      await t.exited;
      clearTimeout(timer);
    }));
  }
}
