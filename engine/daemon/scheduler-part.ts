// The scheduler role of a node (engine/cluster/role.ts), as a part of the daemon. Every node keeps
// the Maglev table current (configured node order, weights, the health view the cluster part
// reports), so the node that is elected forwards each flow where the last scheduler did. Only the
// active node forwards and announces the VIP. What a takeover would otherwise wait for is ready on
// every node from the start: the threads (parked) with their rings standing by, the VIP guard
// (vip-guard.ts: the same rule whatever the role), the self-delivery veth, the other nodes' MACs
// (refreshed every 2 s), the flow tables.
// Flow sync (flow-sync.ts): while this node is not the scheduler, every flow the scheduler reports
// goes straight into the parked threads' flow tables, so established flows keep their nodes
// across schedulers and an activation loads nothing.
import fs from 'node:fs';
import type { NodeStatus } from '../admin/status.js';
import type { Metrics } from '../admin/metrics.js';
import { resolveMac } from '../cluster/neighbour.js';
import type { SchedulerRole } from '../cluster/role.js';
import { requireInterface } from '../cli/preflight.js';
import { clusterFamily, schedulerServices, vipAddresses, type Config, type NodeConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { formatMac, parseMac } from '../ring/mac.js';
import { dropsByReason, SchedulerCounters } from '../scheduler/counters.js';
import { FlowExport } from '../scheduler/flow-export.js';
import { FlowTable } from '../scheduler/flow-table.js';
import { TablePublisher, type NodeHealth } from '../scheduler/table-publisher.js';
import { announceVip } from './announce.js';
import { FlowSync } from './flow-sync.js';
import { Forwarders } from './forwarders.js';
import type { NodePart, PartContext } from './node-daemon.js';
import { closeSelfPath, openSelfPath, SELF_PATH, type SelfPath } from './self-delivery.js';
import { guardDrops, guardVip, unguardVip } from './vip-guard.js';

/** How often an active scheduler re-reads the other nodes' MACs (and retries unresolved ones). */
const NEIGHBOUR_REFRESH_MS = 2000;
/** How long status reuses the VIP guard's drop count. */
const GUARD_COUNT_MS = 5000;
/** Flows a forwarding thread can queue for flow sync between two sends. */
const EXPORT_RING_RECORDS = 1 << 16;

interface Active {
  cancelAnnounce: () => void;
}

export class SchedulerPart implements NodePart, SchedulerRole {
  readonly name = 'scheduler';
  private config!: Config;
  private self!: NodeConfig;
  private log!: Logger;
  private metrics!: Metrics;
  private publisher!: TablePublisher;
  private counters: SchedulerCounters[] = [];
  /** Per forwarding thread: its flow table (shared memory, written here while the thread is parked) and its export ring. */
  private flowTables: FlowTable[] = [];
  /** The threads are parked (not reading their tables): flow sync may write them. */
  private parked = true;
  private exports: FlowExport[] = [];
  private sync: FlowSync | null = null;
  private macs!: Uint8Array;
  private up = new Set<string>();
  /** A node that takes no new flows for now (SchedulerRole.holdNewFlows). */
  private held: string | null = null;
  private draining = false;
  /** Guard installs, one at a time (each with the MACs known when it runs); null: none installed. */
  private guarding: Promise<void> | null = null;
  private stopped = false;
  private guardCount = { at: -Infinity, drops: 0 };
  /** Peers that said they drain (lbarray drain, or a SIGTERM): weight 0 in our table. */
  private readonly drainedPeers = new Set<string>();
  private running: Active | null = null;
  private selfPath: SelfPath | null = null;
  private refresh: NodeJS.Timeout | null = null;
  private refreshing = false;
  /** The forwarding threads, parked until activation (started with the part: they load slowly). */
  private threads!: Promise<Forwarders>;
  private transition: Promise<void> = Promise.resolve();
  private lost: string | null = null;

  get active(): boolean {
    return this.running !== null;
  }

  async start(ctx: PartContext): Promise<void> {
    this.config = ctx.config;
    this.self = ctx.node;
    this.log = ctx.log;
    this.metrics = ctx.metrics;
    const { workers, maglevTableSize } = ctx.config.scheduler;
    const n = ctx.config.nodes.length;
    this.publisher = new TablePublisher({ size: maglevTableSize, maxNodes: n, maxReaders: workers });
    this.counters = Array.from({ length: workers }, () => new SchedulerCounters(n, new SharedArrayBuffer(SchedulerCounters.bytesFor(n))));
    this.macs = new Uint8Array(new SharedArrayBuffer(6 * n));
    // Until the cluster part reports health, every configured node counts as up.
    this.up = new Set(ctx.config.nodes.map((x) => x.id));
    this.draining = ctx.node.weight === 0;
    const perThread = Math.ceil(ctx.config.scheduler.flowTableCapacity / workers);
    this.flowTables = this.counters.map(() => new FlowTable({
      capacity: perThread, idleMs: ctx.config.scheduler.flowIdleTimeout,
      buffer: new SharedArrayBuffer(FlowTable.bytesFor(perThread)),
    }));
    this.exports = this.counters.map(() => new FlowExport(EXPORT_RING_RECORDS));
    ctx.metrics.beforeScrape(() => this.copyMetrics());
    await this.publish();
    this.sync = await this.openSync();
    this.threads = this.spawnThreads();
    this.threads.then((f) => {
      if (f.standbyError) this.log.warn({ why: f.standbyError }, 'forwarding rings not standing by: a takeover opens them');
    }, (e: unknown) => { this.lost = `forwarding threads did not start: ${(e as Error).message}`; });
    // Without the interface (a misconfigured node) nothing is made: activation will say why.
    if (fs.existsSync(`/sys/class/net/${this.self.interface}`)) {
      await this.openSelf();
      // The MACs before the guard: a guard that knew none would drop what the scheduler forwards
      // here (and its probes) until the next refresh. It replaces a guard left by a killed run.
      if (!(await this.resolveAll())) await this.guard();
      // Not in the serial queue: a takeover must not wait behind `ip neigh` lookups.
      this.refresh = setInterval(() => void this.refreshNeighbours(), NEIGHBOUR_REFRESH_MS);
    }
  }

  private async openSelf(): Promise<void> {
    this.selfPath = await openSelfPath();
    const selfIndex = this.config.nodes.findIndex((x) => x.id === this.self.id);
    this.macs.set(parseMac(this.selfPath.peerMac, 'self-delivery MAC'), 6 * selfIndex);
  }

  private spawnThreads(): Promise<Forwarders> {
    const c = this.config;
    const s = c.scheduler;
    const nodeIds = c.nodes.map((x) => x.id);
    return Forwarders.spawn({
      iface: this.self.interface, fanoutGroup: process.pid & 0xffff, ring: s.ring, table: this.publisher.buffer,
      services: schedulerServices(c), flowCapacity: this.flowTables[0]!.capacity, flowIdleMs: s.flowIdleTimeout,
      nodeCount: nodeIds.length, selfIndex: nodeIds.indexOf(this.self.id), selfIface: SELF_PATH.iface,
      macs: this.macs.buffer as SharedArrayBuffer,
      perThread: this.counters.map((x, i) => ({
        counters: x.drops.buffer as SharedArrayBuffer, flowTable: this.flowTables[i]!.buffer as SharedArrayBuffer, flowExport: this.exports[i]!.buffer,
      })),
    }, (index, why) => {
      this.lost = `forwarding thread ${index}: ${why}`;
      this.log.error({ index, why }, 'a forwarding thread was lost');
    });
  }

  // ---- SchedulerRole ----

  activate(): Promise<void> {
    return this.serially(async () => {
      if (this.running) return;
      const since = Date.now();
      this.lost = null;
      const iface = this.self.interface;
      requireInterface(iface, this.self.id);
      const vips = vipAddresses(this.config);
      try {
        if (!this.selfPath) await this.openSelf();
        const known = this.flowTables[0]!.size;
        this.parked = false;
        // The rings stand by and the guard is in place: letting frames in is all. The VIP is
        // announced at once: client frames wait in the rings while the threads wake.
        const missing = this.config.nodes.some((n, i) => n.id !== this.self.id && this.macs.subarray(6 * i, 6 * i + 6).every((b) => b === 0));
        const threads = await this.threads;
        const started = threads.activate(this.publisher, this.flowTables.map((t) => t.size));
        this.running = { cancelAnnounce: announceVip(iface, vips) };
        await Promise.all([started, missing ? this.resolveAll() : undefined]);
        if (missing) threads.reloadHops();
        this.sync?.startSending(this.exports);
        if (known > 0) this.log.info({ flows: known }, 'forwarding with the flows the array knows of (flow sync)');
      } catch (e) {
        this.running?.cancelAnnounce();
        this.running = null;
        await this.threads.then((f) => f.deactivate(), () => undefined);
        this.parked = true;
        throw e;
      }
      this.log.info({ iface, vips, workers: this.config.scheduler.workers, ms: Date.now() - since }, 'scheduler active: forwarding and announcing the VIP');
    });
  }

  deactivate(): Promise<void> {
    return this.serially(async () => {
      const r = this.running;
      if (!r) return;
      this.running = null;
      r.cancelAnnounce();
      await (await this.threads).deactivate();
      this.sync?.stopSending();
      // Off the takeover path: without flow sync the next session starts empty, as the tables
      // would go stale; with it they stay the array's flows, kept current by the next scheduler.
      for (const t of this.flowTables) {
        if (this.sync) t.recount();
        else t.clear();
      }
      this.parked = true;
      this.log.info('scheduler inactive');
    });
  }

  reannounce(): void {
    if (!this.running) return;
    this.running.cancelAnnounce();
    this.running = { cancelAnnounce: announceVip(this.self.interface, vipAddresses(this.config)) };
  }

  setNodesUp(up: ReadonlySet<string>): void {
    this.up = new Set(up);
    void this.serially(() => this.publish());
  }

  holdNewFlows(id: string | null): void {
    this.held = id;
    void this.serially(() => this.publish());
  }

  // ---- NodePart ----

  // After every part: while the L7 service closes, clients whose ARP entry still names this node
  // keep being dropped (they retransmit) rather than reset by the closing listener.
  async afterStop(): Promise<void> {
    const g = this.guarding;
    this.guarding = null;
    if (g) await g.then(unguardVip);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.deactivate();
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = null;
    if (this.selfPath) await closeSelfPath();
    this.selfPath = null;
    this.sync?.close();
    await this.threads.then((f) => f.close(), () => undefined);
  }

  whenSynced(): Promise<void> {
    return this.sync?.synced ?? Promise.resolve();
  }

  apply(next: Config): Promise<void> {
    // Weights may change on reload; the node list, services and rings need a restart (ConfigStore says so).
    this.config = next;
    return this.serially(() => this.publish());
  }

  drain(on: boolean): Promise<void> {
    this.draining = on;
    return this.serially(() => this.publish());
  }

  drainPeer(id: string, on: boolean): Promise<void> {
    if (on) this.drainedPeers.add(id);
    else this.drainedPeers.delete(id);
    return this.serially(() => this.publish());
  }

  async status(s: NodeStatus): Promise<void> {
    if (this.running) {
      s.role = 'scheduler';
      s.scheduler = this.self.id;
    }
    const snap = this.snapshot();
    for (const [id, c] of Object.entries(snap.nodes)) {
      s.counters[`scheduler.packets.${id}`] = c.packets;
      s.counters[`scheduler.bytes.${id}`] = c.bytes;
    }
    for (const [reason, n] of Object.entries(snap.drops)) s.counters[`scheduler.drops.${reason}`] = n;
    s.counters['scheduler.drops.RING_FULL'] = snap.ringDrops;
    s.counters['scheduler.drops.TX_REFUSED'] = snap.txRefused;
    s.counters['scheduler.responderRequests'] = snap.consumed;
    s.counters['scheduler.echoRequests'] = snap.echoRequests;
    s.counters['scheduler.echoUnanswered'] = snap.echoUnanswered;
    s.counters['scheduler.pmtuSteered'] = snap.pmtuSteered;
    s.counters['scheduler.flows'] = snap.flows;
    s.counters['scheduler.flowEvictions'] = snap.flowEvictions;
    // Only on the scheduler, read at most every GUARD_COUNT_MS and in the background (the figure
    // may lag by that much): it spawns nft, which stalls this event loop (the fork), and status
    // is polled often.
    if (this.running) {
      if (Date.now() - this.guardCount.at >= GUARD_COUNT_MS) {
        this.guardCount.at = Date.now();
        void guardDrops().then((drops) => { this.guardCount.drops = drops; });
      }
      s.counters['scheduler.vipGuardDrops'] = this.guardCount.drops;
    }
    if (this.sync) {
      const c = this.sync.counters;
      s.counters['flowSync.sent'] = c.sent;
      s.counters['flowSync.received'] = c.received;
      s.counters['flowSync.rejected'] = c.rejected;
      s.counters['flowSync.foreign'] = c.foreign;
      s.counters['flowSync.dumpsServed'] = c.dumpsServed;
      s.counters['flowSync.replicaFlows'] = this.sync.replica.size;
      s.counters['flowSync.exportDropped'] = this.exports.reduce((n, x) => n + x.dropped, 0);
    }
    for (const n of s.nodes) {
      n.up = this.up.has(n.id);
      if (this.drainedPeers.has(n.id)) n.draining = true;
    }
  }

  health(): { ok: boolean; reason?: string } {
    return this.lost ? { ok: false, reason: this.lost } : { ok: true };
  }

  // ---- inside ----

  // Role changes, publishes and neighbour refreshes run one at a time, in call order.
  private serially(fn: () => Promise<void>): Promise<void> {
    const run = this.transition.then(fn);
    this.transition = run.catch(() => undefined);
    return run;
  }

  /** The table of the current view: a node takes new flows if it is up, has a weight (not drained, not held) and a known MAC. */
  private async publish(): Promise<void> {
    const nodes: NodeHealth[] = this.config.nodes.map((n, i) => {
      const self = n.id === this.self.id;
      const reachable = self || this.macs.subarray(6 * i, 6 * i + 6).some((b) => b !== 0);
      const weight = (self && this.draining) || this.drainedPeers.has(n.id) || n.id === this.held ? 0 : n.weight;
      return { id: n.id, weight: reachable ? weight : 0, up: this.up.has(n.id) };
    });
    await this.publisher.publish(nodes);
    this.metrics.maglevRebuilds.inc();
  }

  /**
   * Flow sync with the nodes' addresses of the VIP's family (the cluster link's). The socket binds
   * the wildcard address (this host's own address may come later than the daemon); only datagrams
   * from the nodes' addresses are taken.
   */
  private async openSync(): Promise<FlowSync | null> {
    const c = this.config;
    const fs = c.scheduler.flowSync;
    if (!fs.enabled) return null;
    const v6 = clusterFamily(c) === 6;
    const addressOf = (n: NodeConfig) => (v6 ? n.ipv6 : n.ipv4);
    return FlowSync.open({
      peers: c.nodes.map((n) => (n.id === this.self.id ? undefined : addressOf(n))),
      address: v6 ? '::' : '0.0.0.0', port: fs.port, v6, capacity: c.scheduler.flowTableCapacity, idleMs: c.scheduler.flowIdleTimeout,
      intervalMs: fs.interval, waitMs: fs.wait, active: () => this.running !== null, log: this.log,
      learned: (key, hash, node) => this.learned(key, hash, node),
    });
  }

  // A flow the scheduler reported: into every parked thread's table (the fanout decides which
  // thread will see it). Its node is up by the scheduler's word, whatever this node's view says
  // now: kept with the "up" state word of the node's current generation, so it stays with that
  // node unless this node sees it go down after this (then the flow is re-hashed, as any other).
  private learned(key: Int32Array, hash: number, node: number): void {
    if (!this.parked) return;
    const state = (this.publisher.nodeStates[node] ?? 0) | 1;
    const now = Date.now() | 0;
    for (const t of this.flowTables) t.upsert(key, hash, node, state, now);
  }

  private async resolveAll(): Promise<boolean> {
    const iface = this.self.interface;
    let changed = false;
    await Promise.all(this.config.nodes.map(async (n, i) => {
      if (n.id === this.self.id) return;
      const address = n.ipv4 ?? n.ipv6;
      const mac = n.mac ?? (address ? await resolveMac(address, iface) : null);
      const slot = this.macs.subarray(6 * i, 6 * i + 6);
      // A MAC once known is kept when a lookup fails (a node that is down, an entry being
      // revalidated): forgetting it would take the node out of new flows and out of the VIP guard,
      // which then drops what it forwards here. Node health decides whether it is up.
      if (mac === null) {
        if (slot.every((b) => b === 0)) this.log.warn({ node: n.id, address }, 'no MAC for this node yet: it takes no new flows');
        return;
      }
      const bytes = parseMac(mac, `node ${n.id} MAC`);
      if (slot.some((b, k) => b !== bytes[k])) {
        slot.set(bytes);
        changed = true;
      }
    }));
    if (changed) await Promise.all([this.publish(), this.guard()]);
    return changed;
  }

  /** (Re)installs the VIP guard with the other nodes' MACs known now; after stop, nothing. */
  private guard(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const macs = this.config.nodes.flatMap((n, i) => {
      const mac = this.macs.subarray(6 * i, 6 * i + 6);
      return n.id === this.self.id || mac.every((b) => b === 0) ? [] : [formatMac(mac)];
    });
    const next = (this.guarding ?? Promise.resolve()).catch(() => undefined)
      .then(() => guardVip(this.self.interface, vipAddresses(this.config), macs));
    this.guarding = next.catch(() => undefined);
    return next;
  }

  // On every node, not only the scheduler: a takeover then finds the MACs known.
  private async refreshNeighbours(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      if (await this.resolveAll() && this.running) (await this.threads).reloadHops();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'refreshing the other nodes\' MACs failed');
    } finally {
      this.refreshing = false;
    }
  }

  private snapshot() {
    const ids = this.config.nodes.map((n) => n.id);
    const total = new SchedulerCounters(ids.length);
    for (const c of this.counters) {
      c.nodePackets.forEach((v, i) => { total.nodePackets[i] += v; });
      c.nodeBytes.forEach((v, i) => { total.nodeBytes[i] += v; });
      c.drops.forEach((v, i) => { total.drops[i] += v; });
      c.events.forEach((v, i) => { total.events[i] += v; });
    }
    return total.snapshot(ids);
  }

  // Prometheus counters only go up: add what happened since the last scrape.
  private scraped = new Map<string, number>();
  private copyMetrics(): void {
    const snap = this.snapshot();
    const bump = (key: string, now: number, inc: (d: number) => void) => {
      const d = now - (this.scraped.get(key) ?? 0);
      if (d > 0) inc(d);
      this.scraped.set(key, now);
    };
    for (const [id, c] of Object.entries(snap.nodes)) bump(`p.${id}`, c.packets, (d) => this.metrics.packets.inc({ target: id }, d));
    for (const [reason, n] of Object.entries(dropsByReason(snap))) bump(`d.${reason}`, n, (d) => this.metrics.drops.inc({ reason }, d));
    this.metrics.flows.set(snap.flows);
    bump('evictions', snap.flowEvictions, (d) => this.metrics.flowEvictions.inc(d));
  }
}
