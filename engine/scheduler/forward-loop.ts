// The forwarding loop of one worker: RX batch → decide (TypeScript) → forward (the addon rewrites
// MACs, completes partial checksums, sends; one N-API crossing each way per batch). Several
// workers each run one loop on their own socket of a PACKET_FANOUT hash group, so a flow stays on
// one worker; they all read the one published table (TableReader.refresh between batches).
import type { PacketPort, NextHop } from '../ring/port.js';
import { DESCRIPTOR_STRIDE } from '../ring/constants.js';
import { DECISION_CONSUMED, type Decider } from './decide.js';
import type { TableReader } from './table-publisher.js';

export interface ForwardLoopOptions {
  port: PacketPort;
  reader: TableReader;
  decider: Decider;
  /** Next hop of each node index (the node's MAC; the port it is reached through). */
  hops: readonly NextHop[];
  /** Set stop[0] to non-zero (Atomics.store) to end the loop after the current batch. */
  stop: Int32Array;
  /** Receive wait per batch in ms (bounds how late a stop or a new table is seen). Default 10. */
  timeoutMs?: number;
  /** ARP/NDP requests for a VIP, for the responder (a copy: the ring slot is reused). */
  onConsumed?: (frame: Uint8Array) => void;
  /** The port's ring drops (cumulative since it opened) an earlier loop on it counted already. Default 0. */
  ringDropsCounted?: number;
}

export interface ForwardLoopStats {
  batches: number;
  received: number;
  forwarded: number;
  /** The port's ring drops counted so far: the next loop on this port takes it as `ringDropsCounted`. */
  ringDrops: number;
}

/** How often the loop reads the kernel's ring statistics (a getsockopt) into the counters. */
const RING_STATS_MS = 100;

/** Runs until `stop[0]` is set; returns what it did. */
export function runForwardLoop(o: ForwardLoopOptions): ForwardLoopStats {
  const { port, reader, decider, stop } = o;
  port.setNextHops(o.hops);
  const ring = new Uint8Array(port.ring);
  const desc = port.descriptors;
  const decisions = new Int32Array(port.batchSize);
  const timeoutMs = o.timeoutMs ?? 10;
  const stats: ForwardLoopStats = { batches: 0, received: 0, forwarded: 0, ringDrops: o.ringDropsCounted ?? 0 };
  // Frames the kernel dropped for a full ring never reach decide, and frames it refused to send
  // left after their decision: the ports' statistics count both. TX errors from this loop's start.
  const txPorts = [...new Set([port, ...o.hops.map((h) => h.port)])];
  const txSeen = txPorts.map((p) => p.stats().txErrors);
  const countRingDrops = () => {
    const total = port.stats().rxDrops;
    decider.counters.events[4] += total - stats.ringDrops;
    stats.ringDrops = total;
    for (let k = 0; k < txPorts.length; k++) {
      const errors = txPorts[k].stats().txErrors;
      decider.counters.events[5] += errors - txSeen[k];
      txSeen[k] = errors;
    }
  };
  let ringStatsAt = 0;
  decider.router.use(reader);
  while (Atomics.load(stop, 0) === 0) {
    if (reader.refresh()) decider.router.use(reader);
    const n = port.receive(port.batchSize, timeoutMs);
    const now = Date.now();
    if (now - ringStatsAt >= RING_STATS_MS) {
      countRingDrops();
      ringStatsAt = now;
    }
    if (n === 0) continue;
    decider.decideDescriptors(ring, desc, DESCRIPTOR_STRIDE, n, decisions, now | 0);
    if (o.onConsumed !== undefined) {
      for (let i = 0; i < n; i++) if (decisions[i] === DECISION_CONSUMED) o.onConsumed(port.frame(i).slice());
    }
    stats.forwarded += port.forward(decisions, n);
    // The flow table's occupancy for the admin endpoint: two stores per batch.
    const flows = decider.router.flows;
    decider.counters.events[2] = flows.size;
    decider.counters.events[3] = flows.evictedEmbryonic + flows.evictedEstablished;
    stats.batches++;
    stats.received += n;
  }
  port.release();
  countRingDrops();
  return stats;
}
