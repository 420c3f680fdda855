// A VRRPv3 speaker on the cluster link: decodes adverts of our VRID into the state machine, sends
// what it says to send, keeps one timer on its next deadline, and reports role changes. Counts
// adverts sent, received, and refused (by reason).
import { performance } from 'node:perf_hooks';
import type { ClusterLink } from './cluster-link.js';
import { decodeAdvertFrame, encodeAdvertFrame, type DecodeReason } from './vrrp-packet.js';
import { VrrpMachine, type VrrpAction, type VrrpState } from './vrrp-state.js';

export interface ElectionOptions {
  vrid: number;
  priority: number;
  intervalCs: number;
  preempt: boolean;
  /** Our primary address on the link (4 or 16 bytes): the advert's source and the tie break. */
  source: Uint8Array;
  /** The virtual router's addresses we advertise (the VIP of the same family). */
  addresses: Uint8Array[];
  /** A timer of the machine ran `ms` late, more than one advert interval: this process was stalled
   *  (a master's adverts went out late; a backup may have stood for nothing). */
  onLate?: (ms: number) => void;
  /** Called after every change of state (not awaited; the speaker keeps its own timing). */
  onState: (state: VrrpState, previous: VrrpState) => void;
  /** Preempting a live master: get ready, then call prepared(). Absent: advertise at once (RFC). */
  onPrepare?: () => void;
  /** Master: another router claimed the role; announce the VIP again. */
  onReclaim?: () => void;
}

export interface ElectionCounters {
  sent: number;
  received: number;
  /** Adverts of another virtual router on the link (not bad, not ours). */
  otherVrid: number;
  /** Our VRID but the other address family (a v4 and a v6 instance are separate routers). */
  otherFamily: number;
  bad: Partial<Record<Exclude<DecodeReason, 'not_vrrp'>, number>>;
  transitions: number;
  /** Lower-priority masters heard while master (each answered with an advert and the VIP announced again). */
  reclaims: number;
  /** Timers that ran more than one advert interval late, and the latest by the most (ms). */
  lateTimers: number;
  maxLateMs: number;
}

export class Election {
  readonly machine: VrrpMachine;
  readonly counters: ElectionCounters = { sent: 0, received: 0, otherVrid: 0, otherFamily: 0, bad: {}, transitions: 0, reclaims: 0, lateTimers: 0, maxLateMs: 0 };
  #timer: NodeJS.Timeout | null = null;
  readonly #off: () => void;

  constructor(private readonly link: ClusterLink, private readonly opts: ElectionOptions) {
    this.machine = new VrrpMachine({
      priority: opts.priority, intervalCs: opts.intervalCs, preempt: opts.preempt, address: opts.source, prepareToPreempt: opts.onPrepare !== undefined,
    });
    this.#off = link.onFrame((f) => this.#frame(f));
  }

  get state(): VrrpState {
    return this.machine.state;
  }

  start(): void {
    this.#apply(this.machine.start(performance.now()));
  }

  setEligible(ok: boolean): void {
    this.#apply(this.machine.setEligible(ok, performance.now()));
  }

  /** Ready after onPrepare: become master (unless another master was accepted meanwhile). */
  prepared(): void {
    this.#apply(this.machine.prepared(performance.now()));
  }

  /** Resigns (priority 0 if master) and stops listening. */
  stop(): void {
    this.#apply(this.machine.shutdown(performance.now()));
    this.#off();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #frame(frame: Uint8Array): void {
    // Cheap filter first: the ring carries all of the interface's traffic.
    if (frame.length < 34) return;
    const r = decodeAdvertFrame(frame);
    if (!r.ok) {
      if (r.reason !== 'not_vrrp') this.counters.bad[r.reason] = (this.counters.bad[r.reason] ?? 0) + 1;
      return;
    }
    const a = r.advert;
    if (a.vrid !== this.opts.vrid) {
      this.counters.otherVrid++;
      return;
    }
    if (a.source.length !== this.opts.source.length) {
      this.counters.otherFamily++;
      return;
    }
    this.counters.received++;
    this.#apply(this.machine.receive(a, performance.now()));
  }

  #apply(actions: VrrpAction[]): void {
    for (const a of actions) {
      if (a.do === 'send') {
        const advert = { vrid: this.opts.vrid, priority: a.priority, intervalCs: this.opts.intervalCs, addresses: this.opts.addresses };
        this.link.send(encodeAdvertFrame(advert, this.link.mac, this.opts.source));
        this.counters.sent++;
      } else if (a.do === 'prepare') {
        this.opts.onPrepare?.();
      } else if (a.do === 'reclaim') {
        this.counters.reclaims++;
        this.opts.onReclaim?.();
      } else {
        this.counters.transitions++;
        this.opts.onState(a.state, this.#previous);
        this.#previous = a.state;
      }
    }
    this.#arm();
  }

  #previous: VrrpState = 'initialize';

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const at = this.machine.nextDeadline;
    if (at === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const late = performance.now() - at;
      if (late > this.opts.intervalCs * 10) {
        this.counters.lateTimers++;
        this.counters.maxLateMs = Math.max(this.counters.maxLateMs, Math.round(late));
        this.opts.onLate?.(late);
      }
      // Adverts that reached the ring since the last poll count before the deadline: a backup
      // whose skew is a few ms longer than another's must hear that one's first advert.
      this.link.poll();
      this.#apply(this.machine.tick(performance.now()));
    }, Math.max(0, at - performance.now()));
  }
}
