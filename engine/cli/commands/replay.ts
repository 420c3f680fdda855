// `lbarray replay CAPTURE.pcap`: the scheduler's decide + rewrite path (engine/scheduler/replay.ts)
// over every frame of a capture, many times, on one core; prints the rate and the decision
// histogram of one pass. The VIPs, services and nodes come from a config (the lab's by default).
// The C++ baseline of the same work runs in the benchmark (perf/micro/scheduler-replay.ts).
import { readPcap, withoutRunts } from '../../capture/index.js';
import { schedulerServices } from '../../config/to-scheduler.js';
import type { Config } from '../../config/index.js';
import { parseMac } from '../../ring/mac.js';
import { rewriteBuffer } from '../../ring/index.js';
import { formatReplay, replay } from '../../scheduler/replay.js';
import type { CliIo } from '../io.js';

/** Written as the frames' source MAC: the scheduler's own is not known offline. */
const SCHEDULER_MAC = '02:00:00:00:01:00';

export interface ReplayCommandOptions {
  file: string;
  config: Config;
  /** Keep replaying this long (at least one timed pass). */
  seconds: number;
  json: boolean;
  io: CliIo;
}

/** Per node: its MAC (or 02:00:00:00:00:<n>, n its place in the list, when the config has none), then ours. */
export function replayMacTable(config: Config): Uint8Array {
  const table = new Uint8Array(12 * config.nodes.length);
  config.nodes.forEach((node, i) => {
    table.set(parseMac(node.mac ?? `02:00:00:00:00:${(i + 1).toString(16).padStart(2, '0')}`, `node ${node.id}'s MAC`), 12 * i);
    table.set(parseMac(SCHEDULER_MAC, 'scheduler MAC'), 12 * i + 6);
  });
  return table;
}

export async function replayCapture(opts: ReplayCommandOptions): Promise<number> {
  // Frames under 14 bytes (a torn capture) never reach a ring: counted as malformed, not replayed.
  const { frames, runts } = withoutRunts(await readPcap(opts.file));
  const { config } = opts;
  const result = replay(frames, {
    services: schedulerServices(config),
    nodes: config.nodes.map((n) => n.id),
    macTable: replayMacTable(config),
    minSeconds: opts.seconds,
    tableSize: config.scheduler.maglevTableSize,
    flowCapacity: config.scheduler.flowTableCapacity,
  }, rewriteBuffer);
  result.frames += runts;
  result.drops.MALFORMED += runts;
  if (opts.json) opts.io.out(`${JSON.stringify({ capture: opts.file, ...result }, null, 2)}\n`);
  else opts.io.out(`${formatReplay(`${opts.file} (decide + rewrite)`, result)}\n`);
  return 0;
}
