// Scheduler counters: typed arrays the packet path bumps (no logs, no objects), optionally in a
// SharedArrayBuffer so the admin endpoint can read a worker's counters from another thread.

/** Why a frame was not forwarded. */
export const DropReason = {
  /** The parser refused the frame (truncated, bad header...). */
  MALFORMED: 0,
  /** Neither IP nor ARP. */
  NOT_IP: 1,
  /** ARP or NDP that is not a request for a VIP. */
  NOT_VIP_RESOLUTION: 2,
  /** Addressed to something that is not a VIP. */
  NOT_VIP: 3,
  /** To a VIP, but not a configured (protocol, port). */
  NOT_SERVICE: 4,
  /** ICMP to a VIP that is not a PMTU error about a service flow. */
  ICMP_NOT_STEERABLE: 5,
  /** Every node is down or draining. */
  NO_NODE: 6,
  /** Longer than its slot of the frames-mode RX ring (scheduler.ring.frameSize): only its head arrived. */
  TRUNCATED: 7,
} as const;
export const DROP_REASON_NAMES = Object.keys(DropReason) as Array<keyof typeof DropReason>;
/** Slots of SchedulerCounters.events. */
const EVENTS = 8;

export interface CountersSnapshot {
  nodes: Record<string, { packets: number; bytes: number }>;
  drops: Record<string, number>;
  consumed: number;
  pmtuSteered: number;
  flows: number;
  flowEvictions: number;
  ringDrops: number;
  txRefused: number;
  echoRequests: number;
  echoUnanswered: number;
}

/** Frames not forwarded, by the `reason` label of lbarray_scheduler_drops_total: each DropReason in
 *  lower case, and those no decision counts (ring_full, tx_refused, echo_rate: pings over the budget). */
export function dropsByReason(s: CountersSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(s.drops)) out[name.toLowerCase()] = n;
  return { ...out, ring_full: s.ringDrops, tx_refused: s.txRefused, echo_rate: s.echoUnanswered };
}

export class SchedulerCounters {
  /** Per node: frames and bytes forwarded. */
  readonly nodePackets: Float64Array;
  readonly nodeBytes: Float64Array;
  /** Per DropReason: frames. */
  readonly drops: Float64Array;
  /** [0] ARP/NDP and echo requests for a VIP handed to the responder, [1] PMTU errors steered,
   *  [2] flows tracked now (set by the forwarding loop), [3] flows evicted so far,
   *  [4] frames the kernel dropped because the RX ring was full (never decided: no DropReason),
   *  [5] frames decided for a node that the kernel refused to send (too long for the output
   *      interface, a device error): counted in nodePackets as decided, here as not sent,
   *  [6] echo requests (pings) for a VIP, of [0], [7] of those not answered: over the reply rate. */
  readonly events: Float64Array;

  constructor(readonly maxNodes: number, buffer?: SharedArrayBuffer) {
    const bytes = SchedulerCounters.bytesFor(maxNodes);
    const b = buffer ?? new ArrayBuffer(bytes);
    this.nodePackets = new Float64Array(b, 0, maxNodes);
    this.nodeBytes = new Float64Array(b, 8 * maxNodes, maxNodes);
    this.drops = new Float64Array(b, 16 * maxNodes, DROP_REASON_NAMES.length);
    this.events = new Float64Array(b, 16 * maxNodes + 8 * DROP_REASON_NAMES.length, EVENTS);
  }

  static bytesFor(maxNodes: number): number {
    return 8 * (2 * maxNodes + DROP_REASON_NAMES.length + EVENTS);
  }

  get consumed(): number { return this.events[0]; }
  get pmtuSteered(): number { return this.events[1]; }
  get ringDrops(): number { return this.events[4]; }
  get txRefused(): number { return this.events[5]; }
  get echoRequests(): number { return this.events[6]; }
  get echoUnanswered(): number { return this.events[7]; }

  /** A plain snapshot for the admin endpoint and reports. */
  snapshot(nodeIds: readonly string[]): CountersSnapshot {
    const nodes: Record<string, { packets: number; bytes: number }> = {};
    nodeIds.forEach((id, i) => { nodes[id] = { packets: this.nodePackets[i], bytes: this.nodeBytes[i] }; });
    const drops: Record<string, number> = {};
    DROP_REASON_NAMES.forEach((name, i) => { drops[name] = this.drops[i]; });
    return { nodes, drops, consumed: this.consumed, pmtuSteered: this.pmtuSteered, flows: this.events[2], flowEvictions: this.events[3],
      ringDrops: this.ringDrops, txRefused: this.txRefused, echoRequests: this.echoRequests, echoUnanswered: this.echoUnanswered };
  }
}
