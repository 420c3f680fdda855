// One node's control plane, assembled: the config store (reload), the admin endpoint, signals
// and graceful stop, around the parts that do the work (L7 proxy, cluster/election + scheduler,
// CDN cache). Each part plugs in through NodePart; the daemon answers the admin endpoint by
// asking the parts, and applies a reloaded config by handing it to each part.
import os from 'node:os';
import type { Logger } from '../log.js';
import { createMetrics, type Metrics } from '../admin/metrics.js';
import { startAdminServer, type AdminServer } from '../admin/server.js';
import type { NodeStatus, PurgeRequest, ReloadResult, StatusSource } from '../admin/status.js';
import { adminEndpoint, nodeById, vipAddresses, type Config, type NodeConfig } from '../config/index.js';
import { logger } from '../log.js';
import { setWorkerNice } from '../worker-thread.js';
import { askNode } from '../cli/admin-client.js';
import type { AdminState } from '../l7/admin-state.js';
import { ConfigStore } from './config-store.js';
import { handleSignals } from './signals.js';
import { StopRegistry } from './stop-registry.js';

/** How long a drain notice to a peer may take. */
const PEER_TIMEOUT_MS = 1000;
/** After the peers took the notice: their forwarders read the new table between batches. */
const LEAVE_SETTLE_MS = 100;

export interface PartContext {
  config: Config;
  node: NodeConfig;
  metrics: Metrics;
  log: Logger;
}

/** A piece of the running node. Only `name`, `start` and `stop` are required. */
export interface NodePart {
  readonly name: string;
  start(ctx: PartContext): Promise<void>;
  /** Called last-started first on SIGTERM; `late` aborts when the grace period is over. */
  stop(late: AbortSignal): Promise<void>;
  /** A new config was accepted (pools, routes, policies change without dropping connections). */
  apply?(next: Config, prev: Config): void | Promise<void>;
  /** Fills in what this part knows (role, scheduler, nodes, backends, counters). */
  status?(status: NodeStatus): void | Promise<void>;
  /** Unfit parts make GET /healthz answer 503. */
  health?(): { ok: boolean; reason?: string };
  purge?(req: PurgeRequest): number | Promise<number>;
  drain?(on: boolean): void | Promise<void>;
  /** The operator's state of a back-end server; false: this part has no such server. */
  setServer?(pool: string, server: string, state: AdminState): boolean;
  /** The node is going away (SIGTERM): called before any part stops. */
  leave?(): void;
  /**
   * Serves clients: on SIGTERM it keeps accepting until the peers know this node drains (so no
   * new connection meets its closed listener), while the other parts stop at once.
   */
  readonly acceptsClients?: boolean;
  /** Called after every part has stopped (host changes that must outlive the other parts' stops). */
  afterStop?(): Promise<void>;
  /** Another node drains itself (or takes flows again): keep it out of new flows. */
  drainPeer?(id: string, on: boolean): void | Promise<void>;
}

export interface NodeDaemonOptions {
  configFile: string;
  nodeId: string;
  parts: NodePart[];
  /** Grace period of a graceful stop (default 10 s). */
  graceMs?: number;
  /** Install SIGHUP/SIGTERM/SIGINT handlers (default true; tests use stop()). */
  signals?: boolean;
  /** Called with the exit code after a signal-driven stop (default process.exit). */
  exit?: (code: number) => void;
}

export interface NodeDaemon extends StatusSource {
  readonly store: ConfigStore;
  readonly admin: AdminServer;
  readonly metrics: Metrics;
  /** Stops everything (as SIGTERM does, without exiting). */
  stop(): Promise<void>;
}

export async function startNodeDaemon(opts: NodeDaemonOptions): Promise<NodeDaemon> {
  const store = ConfigStore.load(opts.configFile, opts.nodeId);
  const node = nodeById(store.current, opts.nodeId);
  const log = logger('daemon');
  const metrics = createMetrics({ processMetrics: true, defaultLabels: { array: store.current.name, node: node.id } });
  const stops = new StopRegistry();
  const graceMs = opts.graceMs ?? 10_000;
  const started = Date.now();
  let draining = node.weight === 0;
  const parts: NodePart[] = [];

  const source: StatusSource = {
    async status() {
      const s: NodeStatus = {
        node: node.id, role: 'node', scheduler: null, draining, uptimeSeconds: (Date.now() - started) / 1000,
        nodes: store.current.nodes.map((n) => ({ id: n.id, up: n.id === node.id, weight: n.weight, draining: n.id === node.id && draining })),
        backends: [], counters: {},
      };
      for (const p of parts) await p.status?.(s);
      return s;
    },
    health() {
      for (const p of parts) {
        const h = p.health?.();
        if (h && !h.ok) return { ok: false, reason: `${p.name}: ${h.reason ?? 'unhealthy'}` };
      }
      return { ok: true };
    },
    async purge(req) {
      let n = 0;
      for (const p of parts) n += (await p.purge?.(req)) ?? 0;
      return n;
    },
    async drain(on, peer) {
      if (peer !== undefined && peer !== node.id) {
        if (!store.current.nodes.some((n) => n.id === peer)) return false;
        for (const p of parts) await p.drainPeer?.(peer, on);
        log.info({ peer, draining: on }, on ? `node ${peer} drains: no new flows to it` : `node ${peer} takes new flows again`);
        return true;
      }
      draining = on;
      for (const p of parts) await p.drain?.(on);
      await tellPeers(on);
      log.info({ draining: on }, on ? 'draining: no new flows' : 'taking new flows again');
      return true;
    },
    server(pool, server, state) {
      return parts.some((p) => p.setServer?.(pool, server, state) === true);
    },
    // Answers once every part has applied the new config (or refused the file).
    async reload(): Promise<ReloadResult> {
      const r = await store.reload();
      await applying;
      return r;
    },
  };

  // Whichever node is (or becomes) the scheduler must know who drains: every peer is told.
  const tellPeers = async (on: boolean) => {
    const peers = store.current.nodes.filter((n) => n.id !== node.id);
    await Promise.all(peers.map(async (peer) => {
      try {
        const r = await askNode(store.current, peer, 'POST', '/drain', { drain: on, node: node.id }, PEER_TIMEOUT_MS);
        if (r.status !== 200) log.warn({ peer: peer.id, status: r.status }, 'a peer refused our drain notice');
      } catch (e) {
        log.warn({ peer: peer.id, err: (e as Error).message }, 'a peer did not take our drain notice');
      }
    }));
  };

  let applying: Promise<unknown> = Promise.resolve();
  store.on('config', (next, prev) => {
    if (next.election.nice !== prev.election.nice) raiseMainThread(next.election.nice, log);
    applying = Promise.all(parts.map((p) => Promise.resolve().then(() => p.apply?.(next, prev)).catch((e: unknown) => {
      log.error({ part: p.name, err: e }, 'applying the new config failed');
    })));
  });

  let peersKnow: Promise<unknown> = Promise.resolve();
  const stopAll = async () => {
    const results = await stops.stopAll(graceMs);
    return results.every((r) => r.ok || r.timedOut);
  };

  try {
    const ctx: PartContext = { config: store.current, node, metrics, log };
    // Registered first, so run last.
    stops.add('after-stop', () => Promise.all(parts.map((p) => p.afterStop?.())).then(() => undefined));
    for (const p of opts.parts) {
      await p.start({ ...ctx, log: logger(p.name) });
      parts.push(p);
      stops.add(p.name, async (late) => {
        if (p.acceptsClients) await peersKnow;
        return p.stop(late);
      });
    }
    const endpoint = adminEndpoint(store.current, node);
    const admin = await startAdminServer({
      address: endpoint.address, port: endpoint.port, token: store.current.admin.token, vips: vipAddresses(store.current), source, metrics,
    });
    // Registered last, so stopped first: no admin actions while the parts wind down.
    stops.add('admin', () => admin.close());
    // Stopped before everything else: the peers are told this node drains (they keep it out of
    // new flows), then the election part resigns. In that order, the node that takes the role
    // already keeps this one out of new flows; resigning first, a loaded machine let the new
    // scheduler send new flows here until the notice arrived. A peer that does not answer
    // holds the resignation for at most PEER_TIMEOUT_MS. The parts that accept clients stop a
    // moment later, so no new connection meets a closed listener while the peers catch up.
    stops.add('leave', async () => {
      draining = true;
      await tellPeers(true);
      for (const p of parts) p.leave?.();
      peersKnow = new Promise((r) => setTimeout(r, LEAVE_SETTLE_MS));
    });
    // A restarted node takes new flows again (or, drained by its config, tells so).
    void tellPeers(draining);
    const uninstall = opts.signals === false ? () => {} : handleSignals({ reload: source.reload, stops, graceMs, exit: opts.exit });
    raiseMainThread(store.current.election.nice, log);
    log.info({ node: node.id, parts: parts.map((p) => p.name), admin: admin.url }, 'node started');
    return {
      ...source, store, admin, metrics,
      async stop() {
        uninstall();
        await stopAll();
      },
    };
  } catch (e) {
    // A part that cannot start stops the ones already running.
    await stopAll();
    throw e;
  }
}

/** The niceness the process started with, read before the main thread's is first set. */
let ownNice: number | undefined;

/**
 * Gives this thread (the main one: VRRP timers, node health, the admin endpoint) niceness `nice`.
 * Linux sets it per thread, so the worker threads started before keep theirs, and those started
 * later set the process's own first. A daemon without the privilege to raise it says so and runs on.
 */
function raiseMainThread(nice: number, log: Logger): void {
  if (nice === 0 && ownNice === undefined) return; // 0: the niceness the daemon was started with
  try {
    if (ownNice === undefined) {
      ownNice = os.getPriority();
      setWorkerNice(ownNice);
    }
    os.setPriority(nice === 0 ? ownNice : nice);
  } catch (e) {
    log.warn({ nice, err: (e as Error).message }, `could not set the main thread's niceness to ${nice}: VRRP adverts may go out late on a busy machine`);
  }
}
