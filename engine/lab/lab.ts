// A lab: the namespaces of one topology, brought up under a per-run prefix and torn down by it.
// Nothing is added to the root namespace: every veth is created inside a lab namespace with its
// peer sent straight into another one.
import crypto from 'node:crypto';
import { LbError } from '../errors.js';
import { createNamespace, deleteNamespace, execIn, ipBatch, listNamespaces, runCommand, setSysctls, type CommandOptions, type CommandResult } from './netns.js';
import { spawnIn, type NsProcess, type SpawnOptions } from './process.js';
import { defaultStateDir, isAlive, listStates, readState, removeState, writeState, type LabState } from './state.js';
import { planTopology, type HostRole, type PlannedHost, type PlannedInterface, type TopologySpec } from './topology.js';

export type LabInterface = PlannedInterface;

export interface LabHost extends PlannedHost {
  /** The first interface's name, MAC and addresses (most hosts have just one). */
  iface: string;
  mac: string;
  v4?: string;
  v6?: string;
}

export interface LinkCounters {
  packets: number;
  bytes: number;
  dropped: number;
}

export interface LinkStats {
  rx: LinkCounters;
  tx: LinkCounters;
}

export interface LabOptions {
  /** Defaults to a fresh `lb<4 random>-`; must match that shape. */
  prefix?: string;
  stateDir?: string;
  /**
   * A lab that outlives the process that made it (`lbarray lab up`): no owner pid is recorded, so
   * reapStaleLabs leaves it alone; only labDown removes it.
   */
  persistent?: boolean;
}

const prefixPattern = /^lb[a-z0-9]{4}-$/;

export function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(4);
  return `lb${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}-`;
}

function checkPrefix(prefix: string): void {
  // A loose prefix ("lb") would match other people's labs; only the exact per-run shape is accepted.
  if (!prefixPattern.test(prefix)) throw new LbError('ERR_LAB_BAD_PREFIX', `Lab prefix "${prefix}" must look like lbab12- (lb, 4 letters or digits, a dash).`);
}

function describeHost(h: PlannedHost): LabHost {
  const first = h.interfaces[0];
  return { ...h, iface: first?.name ?? 'lo', mac: first?.mac ?? '00:00:00:00:00:00', v4: first?.v4, v6: first?.v6 };
}

export class Lab {
  readonly hosts: LabHost[];
  private readonly byName: Map<string, LabHost>;

  constructor(
    readonly prefix: string,
    hosts: PlannedHost[],
    readonly vip: { v4: string; v6: string } | undefined,
    readonly switchNs: string | undefined,
    readonly namespaces: string[],
    private readonly stateDir: string,
  ) {
    this.hosts = hosts.map(describeHost);
    this.byName = new Map(this.hosts.map((h) => [h.name, h]));
  }

  host(name: string): LabHost {
    const h = this.byName.get(name);
    if (!h) throw new LbError('ERR_LAB_NO_SUCH_HOST', `Lab ${this.prefix} has no host "${name}".`);
    return h;
  }

  withRole(role: HostRole): LabHost[] {
    return this.hosts.filter((h) => h.role === role);
  }

  get clients(): LabHost[] {
    return this.withRole('client');
  }

  get lbNodes(): LabHost[] {
    return this.withRole('lb');
  }

  get backends(): LabHost[] {
    return this.withRole('backend');
  }

  /** Runs a short command inside a host's namespace. */
  exec(host: string, argv: readonly string[], options?: CommandOptions): Promise<CommandResult> {
    return execIn(this.host(host).ns, argv, options);
  }

  /** Starts a long-lived process inside a host's namespace (stop it with `.stop()`; `down` kills leftovers). */
  spawn(host: string, argv: readonly string[], options?: SpawnOptions): NsProcess {
    return spawnIn(this.host(host).ns, argv, options);
  }

  /** Kernel counters of a host's interface (default its first): what crossed it, what it dropped. */
  async linkStats(host: string, iface?: string): Promise<LinkStats> {
    const h = this.host(host);
    const { stdout } = await runCommand(['ip', '-n', h.ns, '-s', '-j', 'link', 'show', 'dev', iface ?? h.iface]);
    const { rx, tx } = (JSON.parse(stdout) as { stats64: { rx: Record<string, number>; tx: Record<string, number> } }[])[0]!.stats64;
    const pick = (c: Record<string, number>): LinkCounters => ({ packets: c.packets ?? 0, bytes: c.bytes ?? 0, dropped: c.dropped ?? 0 });
    return { rx: pick(rx), tx: pick(tx) };
  }

  /** Sets (or replaces) a permanent neighbour entry on a host's interface. */
  async setNeighbour(host: string, address: string, mac: string, iface?: string): Promise<void> {
    const h = this.host(host);
    await runCommand(['ip', '-n', h.ns, 'neigh', 'replace', address, 'lladdr', mac, 'dev', iface ?? h.iface, 'nud', 'permanent']);
  }

  /**
   * Until a scheduler answers ARP/NDP for the VIP, points the VIP (v4 and v6) at `mac` with static
   * neighbour entries on every client (or router, when clients are routed). Call again to move it.
   */
  async pinVip(mac: string): Promise<void> {
    const vip = this.requireVip();
    const routers = this.withRole('router');
    const askers = routers.length > 0 ? routers : this.clients;
    await Promise.all(askers.map(async (h) => {
      await this.setNeighbour(h.name, vip.v4, mac);
      await this.setNeighbour(h.name, vip.v6, mac);
    }));
  }

  requireVip(): { v4: string; v6: string } {
    if (!this.vip) throw new LbError('ERR_LAB_NO_VIP', `Lab ${this.prefix} has no VIP.`);
    return this.vip;
  }

  /** What `lbarray lab up` prints and a daemon or demo reads: prefix, VIP, switch, hosts. */
  toJSON(): { prefix: string; vip?: { v4: string; v6: string }; switchNs?: string; hosts: LabHost[] } {
    return { prefix: this.prefix, vip: this.vip, switchNs: this.switchNs, hosts: this.hosts };
  }

  /** Removes every namespace of this lab and everything running in them. */
  down(): Promise<string[]> {
    return labDown(this.prefix, { stateDir: this.stateDir });
  }
}

/** Brings a topology up under a fresh prefix; on any failure removes what it made and rethrows. */
export async function labUp(spec: TopologySpec, options: LabOptions = {}): Promise<Lab> {
  const prefix = options.prefix ?? newPrefix();
  checkPrefix(prefix);
  const stateDir = options.stateDir ?? defaultStateDir;
  const plan = planTopology(spec, prefix);
  // Never adopt (and, on failure, tear down) someone else's lab that happens to share the prefix.
  if ((await readState(stateDir, prefix)) || (await listNamespaces()).some((n) => n.startsWith(prefix))) {
    throw new LbError('ERR_LAB_PREFIX_IN_USE', `Lab prefix ${prefix} is already in use; pick another or run lab down first.`);
  }
  const state: LabState = {
    prefix,
    ownerPid: options.persistent ? 0 : process.pid,
    createdAt: new Date().toISOString(),
    namespaces: plan.namespaces,
    switchNs: plan.switchNs,
    hosts: plan.hosts,
    vip: plan.vip,
  };
  await writeState(stateDir, state);
  try {
    for (const ns of plan.namespaces) await createNamespace(ns);
    await Promise.all([...plan.sysctls].map(([ns, values]) => setSysctls(ns, values)));
    await Promise.all([...plan.optionalSysctls].map(([ns, values]) => setSysctls(ns, values, { ifPresent: true })));
    for (const argv of plan.links) await runCommand(argv);
    await Promise.all([...plan.batches].map(([ns, lines]) => ipBatch(ns, lines)));
    for (const { ns, argv } of plan.extras) {
      try {
        await execIn(ns, argv);
      } catch (e) {
        if (argv[0] === 'tc' && /netem|qdisc kind is unknown/i.test(String((e as Error).message))) {
          throw new LbError('ERR_LAB_NETEM_UNAVAILABLE', 'This kernel has no netem qdisc (sch_netem), so link delay/loss cannot be emulated.', { cause: e });
        }
        throw e;
      }
    }
  } catch (e) {
    await labDown(prefix, { stateDir }).catch(() => undefined);
    throw e;
  }
  return new Lab(prefix, plan.hosts, plan.vip, plan.switchNs, plan.namespaces, stateDir);
}

/** The Lab of a running lab, from its state file (e.g. one made by `lbarray lab up`). */
export async function attachLab(prefix: string, options: { stateDir?: string } = {}): Promise<Lab> {
  checkPrefix(prefix);
  const stateDir = options.stateDir ?? defaultStateDir;
  const state = await readState(stateDir, prefix);
  if (!state) throw new LbError('ERR_LAB_NOT_FOUND', `No lab with prefix ${prefix} (no state file in ${stateDir}).`);
  return new Lab(state.prefix, state.hosts, state.vip, state.switchNs, state.namespaces, stateDir);
}

/**
 * Removes every namespace whose name starts with `prefix` or that the lab's state file lists
 * (killing the processes inside first), then the state file. Works after a crash of the owner.
 * Returns the namespaces removed.
 */
export async function labDown(prefix: string, options: { stateDir?: string } = {}): Promise<string[]> {
  checkPrefix(prefix);
  const stateDir = options.stateDir ?? defaultStateDir;
  const state = await readState(stateDir, prefix);
  const existing = await listNamespaces();
  const targets = new Set(existing.filter((n) => n.startsWith(prefix)));
  for (const n of state?.namespaces ?? []) if (existing.includes(n)) targets.add(n);
  // Hosts first, the switch last: killing a host's processes never needs the bridge.
  const ordered = [...targets].sort((x, y) => Number(x.endsWith('switch')) - Number(y.endsWith('switch')));
  await Promise.all(ordered.filter((n) => !n.endsWith('switch')).map((n) => deleteNamespace(n)));
  for (const n of ordered.filter((n) => n.endsWith('switch'))) await deleteNamespace(n);
  await removeState(stateDir, prefix);
  return ordered;
}

export interface LabSummary {
  prefix: string;
  /** Absent for a lab known only by its namespaces, 0 for a persistent lab. */
  ownerPid?: number;
  ownerAlive: boolean;
  namespaces: string[];
}

/** Labs known by state file or seen as namespaces with a lab-shaped prefix. */
export async function listLabs(options: { stateDir?: string } = {}): Promise<LabSummary[]> {
  const stateDir = options.stateDir ?? defaultStateDir;
  const existing = await listNamespaces();
  const byPrefix = new Map<string, LabSummary>();
  for (const s of await listStates(stateDir)) {
    byPrefix.set(s.prefix, { prefix: s.prefix, ownerPid: s.ownerPid, ownerAlive: s.ownerPid > 0 && isAlive(s.ownerPid), namespaces: [] });
  }
  for (const n of existing) {
    const m = /^(lb[a-z0-9]{4}-)/.exec(n);
    if (!m) continue;
    const summary = byPrefix.get(m[1]!) ?? { prefix: m[1]!, ownerAlive: false, namespaces: [] };
    summary.namespaces.push(n);
    byPrefix.set(m[1]!, summary);
  }
  for (const summary of byPrefix.values()) summary.namespaces.sort();
  return [...byPrefix.values()];
}

/**
 * Removes the labs whose owner process is dead (per state file). Persistent labs and labs without
 * a state file (someone may be creating one right now) are left alone.
 */
export async function reapStaleLabs(options: { stateDir?: string } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const lab of await listLabs(options)) {
    if (lab.ownerPid !== undefined && lab.ownerPid > 0 && !lab.ownerAlive) {
      await labDown(lab.prefix, options);
      removed.push(lab.prefix);
    }
  }
  return removed;
}
