// Offline replay (`lbarray replay CAPTURE.pcap`): the scheduler's decide + rewrite path over
// every frame of a capture, many times, on one core. The same Decider as the live loop (the
// "one core, several I/O backends" idea); the rewrite is the addon's buffer backend, one N-API
// call per batch. Prints packets per second and the decision histogram of one pass.
import { Decider } from './decide.js';
import { DROP_REASON_NAMES, SchedulerCounters } from './counters.js';
import { FlowTable } from './flow-table.js';
import { FlowRouter } from './flow-router.js';
import { buildMaglevTable, MAGLEV_MIN_SIZE } from './maglev.js';
import { ServiceSet, type ServiceSpec } from './service-set.js';
import { LbError } from '../errors.js';

/** Frames of a capture in one buffer: frame i = buf[offsets[i], +lengths[i]). */
export interface FrameSet {
  buf: Uint8Array;
  offsets: Int32Array;
  lengths: Int32Array;
  count: number;
}

/** Applies decisions to a batch (the addon's rewriteBuffer has this shape). */
export type RewriteFn = (buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, decisions: Int32Array,
  count: number, macTable: Uint8Array) => number;

export interface ReplayOptions {
  services: ServiceSpec[];
  /** Ordered LB node ids (all up, weight 1) and their MAC entries (dst MAC, src MAC; 12 bytes each). */
  nodes: string[];
  macTable: Uint8Array;
  /** Keep replaying until this many seconds have passed (at least one timed pass). Default 1. */
  minSeconds?: number;
  /** Exactly this many timed passes instead (the same work every run: for instruction counts). */
  passes?: number;
  /** Frames per decide + rewrite batch (the live ring batch). Default 256. */
  batch?: number;
  tableSize?: number;
  flowCapacity?: number;
}

export interface ReplayResult {
  frames: number;
  iterations: number;
  seconds: number;
  /** Frames per second on this one core. */
  pps: number;
  /** Decisions of one pass: per node id, per drop reason, consumed. */
  nodes: Record<string, number>;
  drops: Record<string, number>;
  consumed: number;
}

/** What a replay needs, built once: the same inputs feed the C++ baseline. */
export function replaySetup(options: ReplayOptions) {
  if (options.macTable.length !== 12 * options.nodes.length) {
    throw new LbError('ERR_REPLAY_MACS', `Expected ${12 * options.nodes.length} bytes of MAC entries for ${options.nodes.length} nodes, but received ${options.macTable.length}.`);
  }
  const services = new ServiceSet(options.services);
  const table = buildMaglevTable(options.nodes.map((id) => ({ id, weight: 1 })), options.tableSize ?? MAGLEV_MIN_SIZE);
  const nodeStates = new Int32Array(options.nodes.length).fill(1);
  return { services, table, nodeStates, flowCapacity: options.flowCapacity ?? 1 << 20, batch: options.batch ?? 256 };
}

export function replay(frames: FrameSet, options: ReplayOptions, rewrite: RewriteFn): ReplayResult {
  const setup = replaySetup(options);
  const counters = new SchedulerCounters(options.nodes.length);
  const router = new FlowRouter(new FlowTable({ capacity: setup.flowCapacity }), setup);
  const decider = new Decider(setup.services, router, counters);
  const batch = setup.batch;
  // Batch views made up front: the timed loop allocates nothing.
  const views: Array<{ offsets: Int32Array; lengths: Int32Array; decisions: Int32Array; n: number }> = [];
  const decisions = new Int32Array(frames.count);
  for (let b = 0; b < frames.count; b += batch) {
    const n = Math.min(batch, frames.count - b);
    views.push({ offsets: frames.offsets.subarray(b, b + n), lengths: frames.lengths.subarray(b, b + n), decisions: decisions.subarray(b, b + n), n });
  }
  const pass = (now: number): void => {
    for (let v = 0; v < views.length; v++) {
      const w = views[v];
      decider.decideBatch(frames.buf, w.offsets, w.lengths, w.n, w.decisions, now);
      rewrite(frames.buf, w.offsets, w.lengths, w.decisions, w.n, options.macTable);
    }
  };
  pass(1); // the counted pass, also the warm-up
  const snap = counters.snapshot(options.nodes);
  const nodes: Record<string, number> = {};
  for (const id of options.nodes) nodes[id] = snap.nodes[id].packets;
  const minSeconds = options.minSeconds ?? 1;
  const passes = options.passes;
  let iterations = 0;
  const t0 = process.hrtime.bigint();
  let seconds = 0;
  do {
    pass(2 + iterations);
    iterations++;
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (passes === undefined ? seconds < minSeconds : iterations < passes);
  return { frames: frames.count, iterations, seconds, pps: (frames.count * iterations) / seconds, nodes, drops: snap.drops, consumed: snap.consumed };
}

/** The histogram and rate as the CLI prints them. */
export function formatReplay(label: string, r: ReplayResult): string {
  const lines = [`${label}: ${(r.pps / 1e6).toFixed(2)} Mpps on one core (${r.frames} frames x ${r.iterations} passes in ${r.seconds.toFixed(2)} s)`];
  for (const [id, n] of Object.entries(r.nodes)) lines.push(`  node ${id}: ${n}`);
  lines.push(`  consumed (ARP/NDP for a VIP): ${r.consumed}`);
  for (const name of DROP_REASON_NAMES) if (r.drops[name] > 0) lines.push(`  drop ${name}: ${r.drops[name]}`);
  return lines.join('\n');
}
