// The cluster as a NodePart: the VRRPv3 election decides whether this node is the scheduler, the
// node prober decides which LB nodes are up, and the SchedulerRole (the packet engine) is told.
//
// - Becoming master → role.activate() (the role announces the VIP); leaving master →
//   role.deactivate() at once. Role calls run one after another, in order.
// - stop() (the SIGTERM path): a master first sends a priority-0 advert, so a backup takes over
//   after its Skew_Time instead of the Master_Down_Interval, then deactivates.
// - Own L7 health bad (this node's own VIP listener does not accept) → the node does not stand:
//   it stays Backup, and a master resigns with priority 0. Its advertised priority never changes.
import type { NodeStatus } from '../admin/status.js';
import { clusterFamily, type Config, type NodeConfig } from '../config/index.js';
import type { NodePart, PartContext } from '../daemon/node-daemon.js';
import { LbError } from '../errors.js';
import type { Logger } from '../log.js';
import { ClusterLink } from './cluster-link.js';
import { Election } from './election.js';
import { compareAddresses, ipBytes, ipText } from '../packet/index.js';
import { NodeProber } from './node-prober.js';
import type { SchedulerRole } from './role.js';
import type { VrrpState } from './vrrp-state.js';

export interface ClusterPartOptions {
  /** Link poll period in ms (default 5). */
  pollMs?: number;
  /** Own L7 health instead of a connect to this node's VIP:port (e.g. the L7 part's own view). */
  selfCheck?: () => Promise<boolean>;
}

/** The address family the election and probes use: the array's (clusterFamily), the same on every node. */
function familyOf(config: Config, node: NodeConfig): { source: string; vip: string; v6: boolean } {
  const family = clusterFamily(config);
  if (family === null) {
    throw new LbError('ERR_CLUSTER_NO_FAMILY', 'The nodes share no address family with the VIP (the election needs every node to have an address of one VIP family).');
  }
  const v6 = family === 6;
  return { source: (v6 ? node.ipv6 : node.ipv4)!, vip: (v6 ? config.vip.ipv6 : config.vip.ipv4)!, v6 };
}

function nodeAddress(n: NodeConfig, v6: boolean): string | undefined {
  return v6 ? n.ipv6 : n.ipv4;
}

/** The port probed: healthChecks.nodes.port, else the first http service, else the first service. */
function probePort(config: Config): number {
  const svc = config.services.find((s) => s.protocol === 'http') ?? config.services[0];
  const port = config.healthChecks.nodes.port ?? svc?.port;
  if (port === undefined) throw new LbError('ERR_CLUSTER_NO_PORT', 'No service port to probe LB nodes on.');
  return port;
}

export class ClusterPart implements NodePart {
  readonly name = 'cluster';
  #ctx!: PartContext;
  #log!: Logger;
  #link: ClusterLink | null = null;
  #election: Election | null = null;
  #prober: NodeProber | null = null;
  #roleOps: Promise<void> = Promise.resolve();
  #v6 = false;
  #lastDrops = 0;
  #error: string | null = null;

  constructor(private readonly role: SchedulerRole, private readonly opts: ClusterPartOptions = {}) {}

  get state(): VrrpState {
    return this.#election?.state ?? 'initialize';
  }

  async start(ctx: PartContext): Promise<void> {
    this.#ctx = ctx;
    this.#log = ctx.log;
    const { config, node } = ctx;
    const fam = familyOf(config, node);
    this.#v6 = fam.v6;
    const source = ipBytes(fam.source);
    const vip = ipBytes(fam.vip);
    const link = new ClusterLink({ interface: node.interface, pollMs: this.opts.pollMs, probePort: probePort(config) });
    this.#link = link;
    const el = config.election;
    this.#election = new Election(link, {
      vrid: el.vrid, priority: node.priority, intervalCs: Math.round(el.advertInterval / 10), preempt: el.preempt,
      source, addresses: [vip], onState: (s, prev) => this.#onState(s, prev),
      onPrepare: () => this.#prepare(),
      onLate: (ms) => this.#log.warn({ ms: Math.round(ms) }, 'the VRRP timer ran late: this process was stalled (adverts late, or a backup stood for nothing)'),
      onReclaim: () => {
        this.#log.warn('a lower-priority node claimed the scheduler role: announcing the VIP again');
        this.role.reannounce?.();
      },
    });
    const checks = config.healthChecks.nodes;
    const others = config.nodes.filter((n) => n.id !== node.id && nodeAddress(n, fam.v6) !== undefined);
    this.#prober = new NodeProber(link, {
      selfId: node.id, source, vip, port: probePort(config), interface: node.interface,
      nodes: others.map((n) => ({ id: n.id, address: ipBytes(nodeAddress(n, fam.v6)!), mac: n.mac })),
      intervalMs: checks.interval, timeoutMs: checks.timeout, rise: checks.rise, fall: checks.fall,
      selfCheck: this.opts.selfCheck,
      scheduler: () => this.#otherScheduler(),
      onChange: (up) => this.#onHealth(up),
    });
    for (const n of config.nodes) ctx.metrics.nodeUp.set({ peer: n.id }, 1);
    ctx.metrics.role.set(0);
    this.role.setNodesUp(this.#prober.health.upSet());
    const election = this.#election;
    if (this.role.whenSynced) {
      election.machine.preemptReady = false;
      void this.role.whenSynced().then(() => { election.machine.preemptReady = true; });
    }
    this.#election.start();
    this.#log.info({ vrid: el.vrid, priority: node.priority, interval: el.advertInterval, preempt: el.preempt, family: fam.v6 ? 6 : 4 },
      'election started (backup until a master is heard or the master-down interval passes)');
  }

  #onState(s: VrrpState, prev: VrrpState): void {
    this.#log.info({ state: s, previous: prev }, `VRRP ${prev} → ${s}`);
    this.#ctx.metrics.role.set(s === 'master' ? 1 : 0);
    if (s === 'master') {
      this.#ctx.metrics.failovers.inc();
      // The scheduler we took over from went silent: its health is settled now (node-prober.ts
      // says why). Until then it takes no new flows: its kernel refuses them if only its daemon
      // died, and nothing answers if its host died. Its established flows stay with it meanwhile
      // (it may only have stalled), and forwarding starts without waiting.
      const silent = this.#election?.machine.silentMaster;
      if (silent && this.#prober) {
        const id = this.#nodeOf(silent);
        const prober = this.#prober;
        const since = Date.now();
        this.#log.info({ peer: id }, 'the scheduler we took over from fell silent: no new flows to it until our probes settle its state');
        this.role.holdNewFlows?.(id);
        void prober.probeNow(id).then(() => {
          this.role.holdNewFlows?.(null);
          this.#log.info({ peer: id, up: prober.health.isUp(id), ms: Date.now() - since }, 'the silent scheduler\'s state is settled');
        });
      }
      this.#queue(() => this.role.activate(), 'activate');
    } else if (prev === 'master') {
      this.#queue(() => this.role.deactivate(), 'deactivate');
    }
  }

  // Taking the role from a live, lower-priority scheduler: forward and announce the VIP first,
  // advertise after. The old scheduler keeps forwarding (with the same flows) until it hears us,
  // by which time the clients' ARP/ND entries already point here: no window in which client frames
  // reach a host that no longer forwards them.
  #prepare(): void {
    this.#log.info('preempting: activating before the first advert');
    this.#queue(async () => {
      await this.role.activate();
      this.#election?.prepared();
      if (this.#election?.state !== 'master') await this.role.deactivate();
    }, 'activate');
  }

  #queue(op: () => Promise<void>, what: string): void {
    this.#roleOps = this.#roleOps.then(op).catch((e: unknown) => {
      this.#error = `${what} failed: ${String((e as Error)?.message ?? e)}`;
      this.#log.error({ err: e }, `scheduler role ${what} failed`);
      // A node that cannot forward must not hold the role.
      if (what === 'activate') this.#election?.setEligible(false);
    });
  }

  #onHealth(up: ReadonlySet<string>): void {
    const { node, config, metrics } = this.#ctx;
    for (const n of config.nodes) metrics.nodeUp.set({ peer: n.id }, up.has(n.id) ? 1 : 0);
    this.#log.info({ up: [...up] }, 'LB node health changed');
    this.role.setNodesUp(up);
    if (this.#error === null) this.#election?.setEligible(up.has(node.id));
  }

  /** The node that is the scheduler while this one is a backup (null when this one is, or none is heard). */
  #otherScheduler(): string | null {
    const m = this.#election?.machine;
    return m && m.state === 'backup' && m.masterAddress ? this.#nodeOf(m.masterAddress) : null;
  }

  /** The node id of an address heard in adverts (its text if no node has it, e.g. another VRRP router). */
  #nodeOf(address: Uint8Array): string {
    for (const n of this.#ctx.config.nodes) {
      const a = nodeAddress(n, this.#v6);
      if (a && compareAddresses(ipBytes(a), address) === 0) return n.id;
    }
    return ipText(address);
  }

  status(s: NodeStatus): void {
    if (!this.#election || !this.#prober) return;
    const m = this.#election.machine;
    s.role = m.state === 'master' ? 'scheduler' : s.role;
    s.scheduler = m.state === 'master' ? this.#ctx.node.id : m.masterAddress ? this.#nodeOf(m.masterAddress) : null;
    for (const n of s.nodes) n.up = this.#prober.health.isUp(n.id);
    const c = this.#election.counters;
    s.counters.vrrp_adverts_sent = c.sent;
    s.counters.vrrp_adverts_received = c.received;
    s.counters.vrrp_adverts_other_vrid = c.otherVrid;
    s.counters.vrrp_adverts_other_family = c.otherFamily;
    for (const [reason, n] of Object.entries(c.bad)) s.counters[`vrrp_adverts_bad_${reason}`] = n;
    s.counters.vrrp_transitions = c.transitions;
    s.counters.vrrp_reclaims = c.reclaims;
    s.counters.vrrp_late_timers = c.lateTimers;
    s.counters.vrrp_max_late_ms = c.maxLateMs;
    const p = this.#prober.counters;
    s.counters.node_probes = p.probes;
    s.counters.node_probe_passes = p.passes;
    s.counters.node_probe_refused = p.refused;
    s.counters.node_probe_timeouts = p.timeouts;
    s.counters.node_probe_unresolved = p.unresolved;
    s.counters.cluster_ring_drops = this.#lastDrops = this.#link?.stats().rxDrops ?? this.#lastDrops;
  }

  health(): { ok: boolean; reason?: string } {
    return this.#error === null ? { ok: true } : { ok: false, reason: this.#error };
  }

  async stop(_late: AbortSignal): Promise<void> {
    // Resign first (priority-0 advert goes out now), then stop forwarding.
    this.#election?.stop();
    this.#prober?.stop();
    await this.#roleOps;
    this.#link?.close();
    this.#election = null;
    this.#prober = null;
    this.#link = null;
  }
}
