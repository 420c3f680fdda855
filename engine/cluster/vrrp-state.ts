// The VRRPv3 state machine of one virtual router (RFC 5798 §6.4), as a pure class: time comes in
// as an argument (ms), and every call returns what to do (send an advert, change role). The
// caller owns the clock, the wire and the role; this class owns only the rules.
//
// Not covered: the address owner (priority 255) and Accept_Mode (the VIP is never answered by
// the scheduler's own stack here). Added: `eligible`, so a node whose L7 service is down does not
// stand: it never leaves Backup on its own timer, and a master that becomes ineligible resigns
// with a priority-0 advert, exactly as on shutdown; and `preemptReady`, which holds preemption
// back (as keepalived's preempt_delay does) until the node has the array's flow state; and
// `prepareToPreempt`, so a node taking the role from a live master is ready before it says so;
// and `reclaim`: a master that hears a lower-priority master (one that did not hear it for a
// while, and may have sent gratuitous ARP) advertises at once and announces the VIP again, as
// keepalived does, where the RFC only discards the advert. At most once per RECLAIM_MS.
import { compareAddresses } from '../packet/index.js';

export type VrrpState = 'initialize' | 'backup' | 'master';

export type VrrpAction =
  | { do: 'send'; priority: number }
  | { do: 'become'; state: VrrpState }
  /** Preempting (prepareToPreempt): get ready to serve, then call prepared(). */
  | { do: 'prepare' }
  /** Master: another router claimed the role (it may have announced the VIP): announce it again. */
  | { do: 'reclaim' };

export interface VrrpOptions {
  /** 1-254 (255, the address owner, is not used here). */
  priority: number;
  /** Advertisement_Interval in centiseconds (1-4095). */
  intervalCs: number;
  preempt: boolean;
  /** This router's primary address: the tie break between equal priorities (§6.4.3). */
  address: Uint8Array;
  /**
   * When preempting a live lower-priority master, ask for `prepare` first and advertise only on
   * prepared(): the old master keeps serving until the new one can (no gap while it starts up).
   * Not in the RFC, which makes the new master advertise at once. Default false.
   */
  prepareToPreempt?: boolean;
}

/** What the machine reads of a received advert (already checked by decode and the VRID filter). */
export interface AdvertIn {
  priority: number;
  intervalCs: number;
  source: Uint8Array;
}

const CS = 10; // ms per centisecond
/** A master reclaims at most this often (a router that keeps claiming must not flood the link). */
export const RECLAIM_MS = 1000;

export class VrrpMachine {
  state: VrrpState = 'initialize';
  /** Master_Adver_Interval (cs): learned from the master's adverts while Backup (§6.4.2). */
  masterIntervalCs: number;
  /** The current master's address as last heard; null while this router is master or none is known. */
  masterAddress: Uint8Array | null = null;
  /**
   * The master this router took over from because it fell silent (its Master_Down_Timer ran out
   * while it was heard), as of the last transition to Master; null when it resigned (priority 0),
   * was preempted, or none was heard.
   */
  silentMaster: Uint8Array | null = null;
  /** False holds preemption back (a returning node that does not yet have the flow state). */
  preemptReady = true;
  #eligible = true;
  #masterDownAt: number | null = null;
  #adverAt: number | null = null;
  /** When a lower-priority master was last ignored (preemption), or null. */
  #lowerMasterAt: number | null = null;
  #preparing = false;
  #reclaimedAt = -Infinity;

  constructor(readonly options: VrrpOptions) {
    this.masterIntervalCs = options.intervalCs;
  }

  get eligible(): boolean {
    return this.#eligible;
  }

  /** Skew_Time (ms) = ((256 − Priority) × Master_Adver_Interval) / 256. */
  get skewMs(): number {
    return ((256 - this.options.priority) * this.masterIntervalCs * CS) / 256;
  }

  /** Master_Down_Interval (ms) = 3 × Master_Adver_Interval + Skew_Time. */
  get masterDownMs(): number {
    return 3 * this.masterIntervalCs * CS + this.skewMs;
  }

  /** When tick() next has work (ms), or null. */
  get nextDeadline(): number | null {
    return this.state === 'master' ? this.#adverAt : this.state === 'backup' ? this.#masterDownAt : null;
  }

  /** §6.4.1 Startup: wait as Backup for a master for one Master_Down_Interval. */
  start(now: number): VrrpAction[] {
    if (this.state !== 'initialize') return [];
    this.masterIntervalCs = this.options.intervalCs;
    return this.#toBackup(now + this.masterDownMs);
  }

  /** §6.4.2/§6.4.3 Shutdown: a master resigns with a priority-0 advert so a backup takes over at once. */
  shutdown(_now: number): VrrpAction[] {
    const out: VrrpAction[] = this.state === 'master' ? [{ do: 'send', priority: 0 }] : [];
    if (this.state === 'initialize') return out;
    this.state = 'initialize';
    this.#preparing = false;
    this.#masterDownAt = this.#adverAt = null;
    this.masterAddress = null;
    return [...out, { do: 'become', state: 'initialize' }];
  }

  /** Fires the timers that are due. */
  tick(now: number): VrrpAction[] {
    if (this.state === 'master' && this.#adverAt !== null && now >= this.#adverAt) {
      this.#adverAt = now + this.options.intervalCs * CS;
      return [{ do: 'send', priority: this.options.priority }];
    }
    if (this.state === 'backup' && this.#masterDownAt !== null && now >= this.#masterDownAt) {
      // An ineligible node does not stand: it keeps waiting (and keeps checking).
      if (!this.#eligible) {
        this.#masterDownAt = now + this.masterDownMs;
        return [];
      }
      const preempting = this.#lowerMasterAt !== null && now - this.#lowerMasterAt <= this.masterDownMs;
      if (preempting && this.options.prepareToPreempt) {
        this.#masterDownAt = null;
        this.#preparing = true;
        return [{ do: 'prepare' }];
      }
      return this.#toMaster(now, preempting ? null : this.masterAddress);
    }
    return [];
  }

  /** Ready after a `prepare`: become master now, unless another master was accepted meanwhile. */
  prepared(now: number): VrrpAction[] {
    if (!this.#preparing || this.state !== 'backup') return [];
    this.#preparing = false;
    return this.#toMaster(now, null);
  }

  /** True between a `prepare` and prepared() (or its cancellation by a master heard meanwhile). */
  get preparing(): boolean {
    return this.#preparing;
  }

  receive(advert: AdvertIn, now: number): VrrpAction[] {
    if (this.state === 'backup') return this.#backupReceives(advert, now);
    if (this.state === 'master') return this.#masterReceives(advert, now);
    return [];
  }

  /** Own L7 health: ineligible → a master resigns (priority 0, then Backup), a backup stays put. */
  setEligible(ok: boolean, now: number): VrrpAction[] {
    if (ok === this.#eligible) return [];
    this.#eligible = ok;
    if (!ok) this.#preparing = false;
    if (ok || this.state !== 'master') return [];
    return [{ do: 'send', priority: 0 }, ...this.#toBackup(now + this.masterDownMs)];
  }

  // §6.4.2, Backup receiving an advert.
  #backupReceives(a: AdvertIn, now: number): VrrpAction[] {
    if (a.priority === 0) {
      // The master resigns: take over after Skew_Time, so the highest priority goes first.
      this.#masterDownAt = now + this.skewMs;
      this.masterAddress = null;
      this.#lowerMasterAt = null;
      this.#preparing = false;
      return [];
    }
    if (!this.options.preempt || !this.preemptReady || a.priority >= this.options.priority || !this.#eligible) {
      this.masterIntervalCs = a.intervalCs;
      this.#masterDownAt = now + this.masterDownMs;
      this.masterAddress = a.source;
      this.#preparing = false;
      return [];
    }
    // Preempt: a lower-priority master is ignored, so our Master_Down_Timer runs out.
    this.#lowerMasterAt = now;
    return [];
  }

  // §6.4.3, Master receiving an advert.
  #masterReceives(a: AdvertIn, now: number): VrrpAction[] {
    if (a.priority === 0) {
      // Another master resigned: tell the backups at once that we are here.
      this.#adverAt = now + this.options.intervalCs * CS;
      return [{ do: 'send', priority: this.options.priority }];
    }
    const higher = a.priority > this.options.priority
      || (a.priority === this.options.priority && compareAddresses(a.source, this.options.address) > 0);
    if (!higher) {
      if (now - this.#reclaimedAt < RECLAIM_MS) return [];
      this.#reclaimedAt = now;
      this.#adverAt = now + this.options.intervalCs * CS;
      return [{ do: 'send', priority: this.options.priority }, { do: 'reclaim' }];
    }
    this.masterIntervalCs = a.intervalCs;
    this.masterAddress = a.source;
    return this.#toBackup(now + this.masterDownMs);
  }

  #toBackup(masterDownAt: number): VrrpAction[] {
    this.state = 'backup';
    this.#adverAt = null;
    this.#masterDownAt = masterDownAt;
    return [{ do: 'become', state: 'backup' }];
  }

  #toMaster(now: number, silentMaster: Uint8Array | null): VrrpAction[] {
    this.state = 'master';
    this.silentMaster = silentMaster;
    this.#lowerMasterAt = null;
    this.masterAddress = null;
    this.#masterDownAt = null;
    this.#adverAt = now + this.options.intervalCs * CS;
    return [{ do: 'send', priority: this.options.priority }, { do: 'become', state: 'master' }];
  }
}
