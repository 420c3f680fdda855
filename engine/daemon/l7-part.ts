// The L7 node as a part of the daemon: proxy workers listening on the VIP (which the node holds
// on its loopback), health checks of the back-ends, and the node's CDN page cache when a route
// caches (the CDN routes of every worker share it through CdnNode; purges drop its pages). A
// reloaded config starts a second set of workers beside the running one (SO_REUSEPORT: both
// listen at once), then lets the old set finish its open exchanges: no connection is cut.
import { CdnNode } from '../cdn/index.js';
import { cdnCacheOptions, cdnRules, clusterFamily, l7Options, nodeById, type Config, type NodeConfig } from '../config/index.js';
import type { BackendHealth, NodeStatus, PurgeRequest } from '../admin/status.js';
import { ADMIN_STATES, type AdminState } from '../l7/admin-state.js';
import type { ServerState } from '../l7/messages.js';
import { L7Node } from '../l7/workers.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../admin/metrics.js';
import { applyCacheMetrics, applyRequestMetrics } from './l7-metrics.js';
import type { NodePart, PartContext } from './node-daemon.js';
import { filledGroups, registerPersistenceMetrics } from './persistence-metrics.js';
import { PersistenceSync, type PoolTable } from './persistence-sync.js';

/** How long a replaced set of workers may take to finish its exchanges after a reload. */
const RELOAD_GRACE_MS = 30_000;

/** The node's hash-group tables (pools with session-ID or client-address persistence), as persistence sync keeps them. */
function poolTables(node: L7Node | null): PoolTable[] {
  return (node?.options.pools ?? []).flatMap((p) => {
    const groups = node!.shared.groups[p.name];
    return groups === undefined ? [] : [{ pool: p.name, serverIds: p.servers.map((s) => s.id), cells: new Int32Array(groups) }];
  });
}

/**
 * Persistence sync with the other nodes' addresses of the cluster's family, when the array has
 * several nodes and the config leaves it on; the socket binds the family's wildcard address.
 */
function openPersistenceSync(config: Config, self: NodeConfig, log: Logger): Promise<PersistenceSync> | null {
  const sync = config.persistence.sync;
  const family = clusterFamily(config);
  if (!sync.enabled || config.nodes.length < 2 || family === null) return null;
  const v6 = family === 6;
  return PersistenceSync.open({
    peers: config.nodes.map((n) => (n.id === self.id ? undefined : v6 ? n.ipv6 : n.ipv4)),
    address: v6 ? '::' : '0.0.0.0', port: sync.port, v6, intervalMs: sync.interval, log,
  });
}

export class L7Part implements NodePart {
  readonly name = 'l7';
  readonly acceptsClients = true;
  private node: L7Node | null = null;
  private cdn: CdnNode | null = null;
  private sync: PersistenceSync | null = null;
  private log!: Logger;
  private metrics!: Metrics;
  private self!: NodeConfig;
  private readonly winding = new Set<Promise<void>>();
  /** Nodes a reload replaced, until their request metrics are all in. */
  private readonly retired = new Set<L7Node>();
  /** The operator's server states (`lbarray server`), kept across reloads. */
  private adminStates: ServerState[] = [];
  /** The page cache's counters at the last scrape. */
  private readonly cacheSeen: Record<string, number> = {};

  async start(ctx: PartContext): Promise<void> {
    this.log = ctx.log;
    this.metrics = ctx.metrics;
    this.self = ctx.node;
    // Requests, durations, TLS handshakes and connections, as the workers counted them since the last scrape.
    ctx.metrics.beforeScrape(async () => {
      if (this.cdn) applyCacheMetrics(this.metrics, this.cdn.cache, this.cacheSeen);
      // A reload's old workers count on until they exit; a retired node goes once it has handed over their last counts.
      const deltas = [];
      for (const node of [...this.retired, ...(this.node ? [this.node] : [])]) {
        const stopped = node.stopped;
        deltas.push(...await node.takeMetrics());
        if (stopped) this.retired.delete(node);
      }
      applyRequestMetrics(this.metrics, deltas);
    });
    registerPersistenceMetrics(ctx.metrics.registry, { sync: () => this.sync, tables: () => poolTables(this.node) });
    this.configureCdn(ctx.config);
    this.node = await this.startNode(ctx.config);
    this.publishServers(this.node);
    try {
      this.sync = await openPersistenceSync(ctx.config, this.self, this.log);
    } catch (e) {
      await this.node.stop();
      throw e;
    }
    this.sync?.track(poolTables(this.node));
    this.log.info({ ports: this.node.ports, workers: this.node.count }, 'L7 node listening on the VIP');
  }

  private startNode(config: Config, previous?: L7Node): Promise<L7Node> {
    return L7Node.start(l7Options(config, nodeById(config, this.self.id)), {
      onHealth: (pool, server, up, reason) => {
        this.metrics.backendUp.set({ pool, server }, up ? 1 : 0);
        this.log.info({ pool, server, up, reason }, up ? 'back-end up' : 'back-end down');
      },
      onWorkerReplaced: (index, code) => this.log.warn({ index, code }, 'L7 worker died and was replaced'),
    }, { reusePort: true, pageCache: this.cdn ?? undefined, adminStates: this.adminStates, previous });
  }

  // A series for every server of the config, none for a server a reload removed.
  private publishServers(node: L7Node): void {
    this.metrics.backendUp.reset();
    this.metrics.backendState.reset();
    for (const pool of node.options.pools) {
      for (const s of pool.servers) {
        this.metrics.backendUp.set({ pool: pool.name, server: s.id }, node.health.isUp(pool.name, s.id) ? 1 : 0);
        this.setStateSeries(pool.name, s.id, node.adminState(pool.name, s.id));
      }
    }
  }

  private setStateSeries(pool: string, server: string, state: AdminState): void {
    for (const st of ADMIN_STATES) this.metrics.backendState.set({ pool, server, state: st }, st === state ? 1 : 0);
  }

  setServer(pool: string, server: string, state: AdminState): boolean {
    if (this.node?.setAdminState(pool, server, state) !== true) return false;
    this.adminStates = this.node.adminStates();
    this.setStateSeries(pool, server, state);
    this.log.info({ pool, server, state }, `back-end ${state === 'ready' ? 'ready' : state === 'drain' ? 'draining: no new clients' : 'in maintenance: no requests'}`);
    return true;
  }

  // The page cache lives as long as the node; a change of the CDN rules flushes it.
  private configureCdn(config: Config): void {
    const caching = config.routes.map(cdnCacheOptions).filter((o) => o !== undefined);
    if (caching.length === 0) return;
    const maxBytes = Math.max(...caching.map((o) => o.maxBytes ?? 0));
    this.cdn ??= new CdnNode({ maxBytes });
    this.cdn.configure(config.routes.map(cdnRules), maxBytes);
  }

  async apply(next: Config): Promise<void> {
    const old = this.node;
    // Rules first: the new workers tag pages with the new rules' hash, which the cache then expects.
    this.configureCdn(next);
    this.node = await this.startNode(next, old ?? undefined);
    this.publishServers(this.node);
    // A pool whose servers changed has a new (empty) table: the sync asks the peers for theirs.
    this.sync?.track(poolTables(this.node));
    if (old) {
      this.retired.add(old);
      const done = old.stop({ graceful: true, drain: false, graceMs: RELOAD_GRACE_MS }).finally(() => this.winding.delete(done));
      this.winding.add(done);
    }
    this.log.info('new config applied: new workers listen, the old ones finish their connections');
  }

  async stop(late: AbortSignal): Promise<void> {
    const node = this.node;
    this.node = null;
    this.sync?.close();
    this.sync = null;
    // In-flight exchanges finish until the daemon's grace period runs out.
    const stopping = node?.stop({ graceful: !late.aborted, graceMs: late.aborted ? 0 : RELOAD_GRACE_MS });
    const cut = () => { void node?.stop(); };
    late.addEventListener('abort', cut, { once: true });
    await Promise.all([stopping, ...this.winding]);
    late.removeEventListener('abort', cut);
  }

  async status(s: NodeStatus): Promise<void> {
    const node = this.node;
    if (!node) return;
    const byServer = new Map(node.health.snapshot().map((h) => [`${h.pool}\0${h.server}`, h.up]));
    for (const pool of node.options.pools) {
      for (const server of pool.servers) {
        const up = byServer.get(`${pool.name}\0${server.id}`) ?? true;
        s.backends.push({ pool: pool.name, address: server.host, port: server.port, up, state: node.adminState(pool.name, server.id) } satisfies BackendHealth);
      }
    }
    const stats = await node.stats();
    const sum = (pick: (w: (typeof stats)[number]) => number) => stats.reduce((n, w) => n + pick(w), 0);
    s.counters['l7.connections'] = sum((w) => w.connections);
    s.counters['l7.accepted'] = sum((w) => w.accepted);
    s.counters['l7.dropped'] = sum((w) => w.dropped);
    s.counters['l7.requests'] = sum((w) => w.requests);
    s.counters['l7.responses'] = sum((w) => w.responses);
    s.counters['l7.workersReplaced'] = node.replaced;
    if (this.cdn) s.counters['cdn.cacheBytes'] = this.cdn.cache.store.bytes;
    for (const t of poolTables(node)) s.counters[`persistence.groups.${t.pool}`] = filledGroups(t.cells);
    if (this.sync) for (const [k, v] of Object.entries(this.sync.counters)) s.counters[`persistenceSync.${k}`] = v;
  }

  health(): { ok: boolean; reason?: string } {
    const node = this.node;
    if (!node) return { ok: false, reason: 'not running' };
    const live = node.threads().length;
    return live > 0 ? { ok: true } : { ok: false, reason: `no live proxy worker (of ${node.count})` };
  }

  purge(req: PurgeRequest): Promise<number> | number {
    return this.cdn ? this.cdn.purge(req) : 0;
  }
}
