// The L7 node's control plane: starts one proxy worker thread per core (each with its own
// SO_REUSEPORT listening socket, so the kernel spreads connections), runs health checks, and
// pushes server state to the workers by message. A worker that dies is replaced; the others
// keep their connections, since nothing they hold is shared with it.
import os from 'node:os';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { LbError } from '../errors.js';
import { siblingEntry, startWorker } from '../worker-thread.js';
import type { AdminState } from './admin-state.js';
import { HealthMonitor } from './health.js';
import type { FromWorker, ServerState, ToWorker, WorkerData, WorkerStats } from './messages.js';
import type { RequestMetricsDelta } from './request-metrics.js';
import { createSharedState, type SharedL7State } from './proxy.js';
import { Router } from './routing.js';
import { tlsServerSetup } from './tls.js';
import type { L7Options } from './types.js';

const workerUrl = siblingEntry(import.meta.url, 'worker-main');

/** The node's page cache host (CdnNode): every worker gets a port to it. */
export interface PageCacheHostApi { attachWorker(port: MessagePort): void }

export interface L7NodeEvents {
  /** A server went up or down (health checks), with the reason. */
  onHealth?(pool: string, server: string, up: boolean, reason: string): void;
  /** A worker died and was replaced. */
  onWorkerReplaced?(index: number, exitCode: number): void;
}

/** Checks what can be checked before any thread starts: a bad certificate stops start-up here. */
/** One worker's share of the node's connection limits (rounded up: a limit never drops to 0). */
export function shareAmongWorkers(options: L7Options, workers: number): L7Options {
  const share = (n: number | undefined) => (n === undefined ? undefined : Math.ceil(n / workers));
  return {
    ...options,
    ...(options.maxConnections === undefined ? {} : { maxConnections: share(options.maxConnections) }),
    pools: options.pools.map((p) => ({ ...p, servers: p.servers.map((s) => (s.maxConnections === undefined ? s : { ...s, maxConnections: share(s.maxConnections) })) })),
  };
}

export function validateL7Options(options: L7Options): void {
  const pools = new Set(options.pools.map((p) => p.name));
  for (const s of options.services) {
    new Router(s.routes ?? [], s.defaultPool, pools);
    if (s.tls !== undefined) tlsServerSetup(s.tls);
  }
  for (const p of options.pools) {
    if (p.servers.length === 0) throw new LbError('ERR_L7_EMPTY_POOL', `Pool ${p.name} has no servers.`);
  }
}

export class L7Node {
  readonly shared: SharedL7State;
  readonly health: HealthMonitor;
  ports: Record<string, number> = {};
  /** Workers replaced after a crash since start. */
  replaced = 0;
  private readonly workers: Array<Worker | null>;
  private readonly states = new Map<string, ServerState>();
  private stopping = false;
  private statsId = 0;
  private readonly pendingStats = new Map<number, (s: WorkerStats) => void>();
  /** The last request metrics of workers that exited after a stop, until takeMetrics() hands them over. */
  private readonly unclaimed: RequestMetricsDelta[] = [];

  private constructor(readonly options: L7Options, readonly count: number, private readonly events: L7NodeEvents,
    private readonly reusePort: boolean, private readonly pageCache: PageCacheHostApi | undefined, adminStates: readonly ServerState[],
    previous: L7Node | undefined) {
    this.shared = createSharedState(options, previous, count);
    for (const s of adminStates) if (this.hasServer(s.pool, s.server)) this.states.set(`${s.pool}\0${s.server}`, { pool: s.pool, server: s.server, admin: s.admin });
    this.workers = new Array<Worker | null>(count).fill(null);
    this.health = new HealthMonitor(options.pools, (pool, server, up, reason) => {
      this.setServerState({ pool, server, up });
      events.onHealth?.(pool, server, up, reason);
    });
  }

  /**
   * `reusePort`: listen on SO_REUSEPORT sockets even with one worker, so that a second node (a
   * reloaded config) can listen beside this one while this one winds down. `pageCache`: the
   * host whose cache the CDN routes of every worker share. `adminStates`: the operator's server
   * states to start with (a reload keeps them for the servers the new config still has).
   * `previous`: the node a reload replaces, whose persistence tables, rate counts and keys carry over.
   */
  static async start(options: L7Options, events: L7NodeEvents = {},
    start: { reusePort?: boolean; pageCache?: PageCacheHostApi; adminStates?: readonly ServerState[]; previous?: L7Node } = {}): Promise<L7Node> {
    validateL7Options(options);
    const count = options.workers ?? os.availableParallelism();
    if (!Number.isInteger(count) || count < 1) throw new LbError('ERR_L7_WORKERS', `Expected a worker count of at least 1, but received ${count}.`);
    const node = new L7Node(options, count, events, start.reusePort === true || count > 1, start.pageCache, start.adminStates ?? [], start.previous);
    node.ports = Object.fromEntries(options.services.map((s) => [s.name, s.port]));
    try {
      // The first worker binds (possibly port 0); the others join the port it got.
      node.ports = await node.spawn(0);
      await Promise.all(Array.from({ length: count - 1 }, (_, i) => node.spawn(i + 1)));
    } catch (e) {
      await node.stop();
      throw e;
    }
    node.health.start();
    return node;
  }

  private spawn(index: number): Promise<Record<string, number>> {
    const data: WorkerData = { index, options: shareAmongWorkers(this.options, this.workers.length), shared: this.shared, ports: this.ports, states: [...this.states.values()], reusePort: this.reusePort };
    let worker: Worker;
    if (this.pageCache === undefined) worker = startWorker(workerUrl, data);
    else {
      const { port1, port2 } = new MessageChannel();
      this.pageCache.attachWorker(port1);
      worker = startWorker(workerUrl, { ...data, pageCache: port2 }, [port2]);
    }
    this.workers[index] = worker;
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') { ready = true; resolve(m.ports); } else if (m.type === 'failed') reject(new LbError(m.code, m.message));
        else if (m.type === 'passive') this.health.passive(m.pool, m.server, m.kind);
        else if (m.type === 'stats') { this.pendingStats.get(m.id)?.(m.stats); this.pendingStats.delete(m.id); }
        else if (m.type === 'final') this.unclaimed.push(m.metrics);
      });
      worker.on('error', (e) => { if (!ready) reject(e); });
      worker.on('exit', (code) => {
        if (this.workers[index] === worker) this.workers[index] = null;
        if (!ready) { reject(new LbError('ERR_L7_WORKER', `L7 worker ${index} exited during start-up (code ${code}).`)); return; }
        if (this.stopping) return;
        // A crash: start a replacement on a fresh socket; the other workers are untouched.
        this.replaced++;
        this.events.onWorkerReplaced?.(index, code);
        setTimeout(() => { if (!this.stopping) this.spawn(index).catch(() => {}); }, 50);
      });
    });
  }

  /** Applies a server state change in every worker (and in workers started later). */
  setServerState(s: ServerState): void {
    const key = `${s.pool}\0${s.server}`;
    this.states.set(key, { ...this.states.get(key), ...s });
    this.broadcast({ type: 'server', state: s });
  }

  /** The operator's state of a server, in every worker; false when the pool has no such server. */
  setAdminState(pool: string, server: string, admin: AdminState): boolean {
    if (!this.hasServer(pool, server)) return false;
    this.setServerState({ pool, server, admin });
    return true;
  }

  /** The operator's state of every server that is not ready. */
  adminStates(): ServerState[] {
    return [...this.states.values()].filter((s) => s.admin !== undefined && s.admin !== 'ready').map((s) => ({ pool: s.pool, server: s.server, admin: s.admin }));
  }

  adminState(pool: string, server: string): AdminState { return this.states.get(`${pool}\0${server}`)?.admin ?? 'ready'; }

  private hasServer(pool: string, server: string): boolean {
    return this.options.pools.some((p) => p.name === pool && p.servers.some((s) => s.id === server));
  }

  private broadcast(m: ToWorker): void {
    for (const w of this.workers) w?.postMessage(m);
  }

  /** The live worker threads (tests use this to kill one). */
  threads(): Worker[] { return this.workers.filter((w): w is Worker => w !== null); }

  /** The request metrics counted since the last call (one caller: the scrape), those of stopped workers included. */
  async takeMetrics(): Promise<RequestMetricsDelta[]> {
    const live = (await this.ask(true)).map((w) => w.metrics!);
    return [...live, ...this.unclaimed.splice(0)];
  }

  /** Stopped, and every worker has exited (so takeMetrics() has had their last counts). */
  get stopped(): boolean { return this.stopping && this.threads().length === 0; }

  /** Each worker's counters. */
  stats(): Promise<WorkerStats[]> { return this.ask(false); }

  /** Each worker's counters; `metrics`: also its request metrics since the last such ask. */
  private async ask(metrics: boolean): Promise<WorkerStats[]> {
    const answers = await Promise.all(this.threads().map((w) => new Promise<WorkerStats | undefined>((resolve) => {
      const id = ++this.statsId;
      // A worker that exits first (a stop, a crash) answers nothing; a stopped one has sent its 'final' counts.
      const gone = () => { this.pendingStats.delete(id); resolve(undefined); };
      w.once('exit', gone);
      this.pendingStats.set(id, (s) => { w.off('exit', gone); resolve(s); });
      w.postMessage({ type: 'stats', id, metrics } satisfies ToWorker);
    })));
    return answers.filter((a): a is WorkerStats => a !== undefined);
  }

  /**
   * Stops the workers. By default open connections are closed at once; `graceful` lets them
   * finish their exchanges (idle keep-alive ones close) for up to `graceMs` before the threads go.
   * `drain: false` (a reload) keeps serving kept-alive connections on the old workers until they
   * end or `graceMs` passes, so a reload drops nothing.
   */
  async stop(opts: { graceful?: boolean; graceMs?: number; drain?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.health.stop();
    const graceMs = opts.graceMs ?? 2000;
    await Promise.all(this.threads().map((w) => new Promise<void>((resolve) => {
      const t = setTimeout(() => { void w.terminate().then(() => resolve()); }, graceMs);
      w.once('exit', () => { clearTimeout(t); resolve(); });
      w.postMessage({ type: 'stop', graceful: opts.graceful === true, drain: opts.drain !== false } satisfies ToWorker);
    })));
  }
}
