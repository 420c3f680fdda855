// Every node probes every other LB node the way client traffic goes: a TCP SYN to VIP:port sent
// to the node's MAC from our own address (tcp-probe.ts). SYN-ACK = pass (then our RST, since our
// kernel drops an answer whose source, the VIP, is one of its own addresses and never resets it);
// RST or no answer within the timeout = fail. Our own node passes while its own listener on the
// VIP accepts a connection. Rise/fall (node-health.ts) turns results into the up set.
import crypto from 'node:crypto';
import net from 'node:net';
import type { ClusterLink } from './cluster-link.js';
import { resolveMac } from './neighbour.js';
import { NodeHealth } from './node-health.js';
import { ACK, RST, SYN, parseTcpFrame, rstFrame, synFrame, type ProbeEnds } from './tcp-probe.js';
import { compareAddresses, ipText } from '../packet/index.js';
import { parseMac } from '../ring/mac.js';

export interface ProbedNode {
  id: string;
  /** The node's own address (family of the probe). */
  address: Uint8Array;
  /** From the config, else learned from the neighbour table. */
  mac?: string;
}

export interface NodeProberOptions {
  selfId: string;
  /** Our own address on the link (source of the probes). */
  source: Uint8Array;
  vip: Uint8Array;
  port: number;
  /** The other LB nodes. */
  nodes: ProbedNode[];
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  interface: string;
  /**
   * The node that is the scheduler now (heard in its adverts), or null. It is not probed: its own
   * forwarder takes frames to the VIP and would hand our SYN to whichever node Maglev picks (maybe
   * us), so its adverts are its health; a scheduler whose own L7 fails resigns (priority 0).
   */
  scheduler?: () => string | null;
  /** Own health; default: a TCP connect to VIP:port on this host. */
  selfCheck?: () => Promise<boolean>;
  onChange: (up: ReadonlySet<string>) => void;
}

interface Pending {
  id: string;
  seq: number;
  ends: ProbeEnds;
  timer: NodeJS.Timeout;
  /** Set for probeNow's probes: a refusal takes the node down at once, not as one of `fall` failures; called once the result is in (answered: a SYN-ACK or RST came). */
  verdict?: (answered: boolean) => void;
}

export interface ProberCounters {
  probes: number;
  passes: number;
  refused: number;
  timeouts: number;
  unresolved: number;
}

const EPHEMERAL = 49152;
/** Between the probes of probeNow(). */
const BURST_GAP_MS = 10;

/**
 * A TCP connect to host:port within `timeoutMs`. The verdict "timed out" waits for one turn of
 * the event loop's I/O phase: after a stall of this process (a loaded machine) the timer and the
 * connection's completion are due together, and the timer, run first, must not win.
 */
export function connectCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => setImmediate(() => done(false)), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class NodeProber {
  readonly health: NodeHealth;
  readonly counters: ProberCounters = { probes: 0, passes: 0, refused: 0, timeouts: 0, unresolved: 0 };
  readonly #pending = new Map<number, Pending>();
  readonly #macs = new Map<string, Uint8Array>();
  readonly #timer: NodeJS.Timeout;
  readonly #off: () => void;
  #selfBusy = false;
  #stopped = false;

  constructor(private readonly link: ClusterLink, private readonly o: NodeProberOptions) {
    this.health = new NodeHealth([o.selfId, ...o.nodes.map((n) => n.id)], o);
    for (const n of o.nodes) if (n.mac) this.#macs.set(n.id, parseMac(n.mac, `node ${n.id} mac`));
    this.#off = link.onFrame((f) => this.#frame(f));
    this.#timer = setInterval(() => this.#round(), o.intervalMs);
  }

  /** Results of a node: true if it changed the up set. */
  #record(id: string, pass: boolean): void {
    if (this.#stopped) return;
    if (this.health.record(id, pass)) this.o.onChange(this.health.upSet());
  }

  /**
   * Probes node `id` `fall` times now, a few ms apart, outside the rounds: its results settle its
   * health at once. For the scheduler this node took over from because it fell silent: while it
   * was heard it was not probed (its adverts were its health), so it is still up here, and Maglev
   * would keep giving it new flows until `fall` rounds had failed. Its kernel refuses them when only
   * its daemon died, so the first refusal takes it down (as HAProxy's `on-error mark-down`): no
   * listener is there, and every new flow sent it until a third refusal would be refused too. A
   * node whose daemon only stalled still completes handshakes (its listener's backlog): it answers
   * and stays up; a silence is one failure of `fall`, as in the rounds.
   * Resolves once the node's state is settled: at its first answer (SYN-ACK: up; RST: down), or,
   * if it answers none, once every probe went unanswered (it is down then). Answers are read from
   * the link every millisecond meanwhile. Until then the takeover gives the node no new flows
   * (cluster-part.ts): a host that died whole does not answer, and is given none either.
   */
  probeNow(id: string): Promise<void> {
    const n = this.o.nodes.find((x) => x.id === id);
    if (n === undefined || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const poll = setInterval(() => this.link.poll(), 1);
      let unanswered = 0;
      const verdict = (answered: boolean) => {
        if (answered || ++unanswered === this.o.fall) {
          clearInterval(poll);
          resolve();
        }
      };
      const probe = () => { if (this.#stopped) verdict(true); else void this.#probe(n, verdict); };
      probe();
      for (let k = 1; k < this.o.fall; k++) setTimeout(probe, k * BURST_GAP_MS).unref();
    });
  }

  #round(): void {
    const scheduler = this.o.scheduler?.() ?? null;
    for (const n of this.o.nodes) {
      if (n.id !== scheduler) void this.#probe(n);
      else {
        this.#record(n.id, true);
        // Its MAC ready for the probes of a takeover (probeNow), which then wait for no lookup.
        if (!this.#macs.has(n.id)) void this.#macOf(n);
      }
    }
    void this.#probeSelf();
  }

  async #probeSelf(): Promise<void> {
    if (this.#selfBusy) return;
    this.#selfBusy = true;
    try {
      const ok = await (this.o.selfCheck?.() ?? connectCheck(ipText(this.o.vip), this.o.port, this.o.timeoutMs));
      this.#record(this.o.selfId, ok);
    } finally {
      this.#selfBusy = false;
    }
  }

  /** The node's MAC, looked up in the neighbour table (and kept) when the config does not give it; null if it does not resolve. */
  async #macOf(n: ProbedNode): Promise<Uint8Array | null> {
    const known = this.#macs.get(n.id);
    if (known) return known;
    const found = await resolveMac(ipText(n.address), this.o.interface, this.o.timeoutMs);
    if (!found) return null;
    const mac = parseMac(found, `node ${n.id} mac`);
    this.#macs.set(n.id, mac);
    return mac;
  }

  async #probe(n: ProbedNode, verdict?: (answered: boolean) => void): Promise<void> {
    const mac = this.#macs.get(n.id) ?? await this.#macOf(n); // known: sent in this turn, not after an await
    if (this.#stopped) return verdict?.(true);
    if (!mac) {
      this.counters.unresolved++;
      this.#record(n.id, false);
      return verdict?.(false);
    }
    const sport = this.#freePort();
    const seq = crypto.randomBytes(4).readUInt32BE(0);
    const ends: ProbeEnds = { srcMac: this.link.mac, dstMac: mac, src: this.o.source, dst: this.o.vip, sport, dport: this.o.port };
    const timer = setTimeout(() => {
      // Answers already in the ring count: after a stall the timer and the answer are due together.
      this.link.poll();
      if (!this.#pending.has(sport)) return;
      this.#pending.delete(sport);
      this.counters.timeouts++;
      // A node whose MAC moved (replaced box) is looked up again.
      if (!n.mac) this.#macs.delete(n.id);
      this.#record(n.id, false);
      verdict?.(false);
    }, this.o.timeoutMs);
    this.#pending.set(sport, { id: n.id, seq, ends, timer, verdict });
    this.counters.probes++;
    this.link.send(synFrame(ends, seq));
  }

  #freePort(): number {
    for (;;) {
      const p = EPHEMERAL + crypto.randomInt(65536 - EPHEMERAL);
      if (!this.#pending.has(p)) return p;
    }
  }

  #frame(frame: Uint8Array): void {
    if (this.#pending.size === 0) return;
    const t = parseTcpFrame(frame);
    if (!t || t.sport !== this.o.port) return;
    const p = this.#pending.get(t.dport);
    if (!p || compareAddresses(t.src, this.o.vip) !== 0 || compareAddresses(t.dst, this.o.source) !== 0) return;
    const synAck = (t.flags & (SYN | ACK)) === (SYN | ACK) && t.ack === ((p.seq + 1) >>> 0);
    const reset = (t.flags & RST) !== 0;
    if (!synAck && !reset) return;
    clearTimeout(p.timer);
    this.#pending.delete(t.dport);
    if (synAck) {
      this.counters.passes++;
      this.link.send(rstFrame(p.ends, t.ack));
      this.#record(p.id, true);
    } else {
      this.counters.refused++;
      if (!p.verdict) this.#record(p.id, false);
      else if (!this.#stopped && this.health.markDown(p.id)) this.o.onChange(this.health.upSet());
    }
    p.verdict?.(true);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#off();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.verdict?.(true);
    }
    this.#pending.clear();
  }
}
