// Replay benchmark: the TypeScript decide + addon rewrite path against a pure C++ loop doing the
// same work (perf/micro/scheduler-replay-baseline.cc), over the same frames, in the same run.
//   node --import tsx perf/micro/scheduler-replay.ts [--seconds 2] [--flows 4096] [--capture captures/web-flows.pcap [--config FILE]]
// With --capture it replays the pcap as `lbarray replay` does (services and nodes from the config,
// examples/lab.yaml by default). Without, it replays a synthetic one: 64-byte TCP frames of established flows to the
// VIP (IPv4 and IPv6), with SYNs, fragments, ARP/NDP, PMTU errors and non-service traffic mixed in.
// Prints both rates, their ratio (target ≥ 0.9) and checks that both made the same decisions.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { formatReplay, replaySetup, type FrameSet, type ReplayOptions, type ReplayResult } from '../../engine/scheduler/replay.js';
import { DROP_REASON_NAMES } from '../../engine/scheduler/counters.js';
import { siblingEntry, startWorker } from '../../engine/worker-thread.js';
import { replayTs, type ReplayWorkerData, type TimedReplay } from './scheduler-replay-worker.js';
import { packFrames, readPcap, withoutRunts } from '../../engine/capture/index.js';
import { loadConfig, schedulerServices } from '../../engine/config/index.js';
import { replayMacTable } from '../../engine/cli/commands/replay.js';
import { ether, tcp, udp, icmp, icmp6, ip4, ip6, arp, neighbourSolicitation, IPV4, IPV6, ARP } from '../../test/scheduler/fixtures/frames.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');

export interface BaselineBuild {
  /** Preprocessor defines (e.g. the gate's deliberate slowdown); each set gets its own binary. */
  defines?: Record<string, string | number>;
}

/** Compiles the baseline (with the addon's core for the rewrite) when missing or stale. */
export async function buildBaseline(build: BaselineBuild = {}): Promise<string> {
  const defines = Object.entries(build.defines ?? {});
  const suffix = defines.map(([k, v]) => `-${k}-${v}`).join('');
  const out = path.join(root, 'perf', 'bin', `scheduler-replay-baseline${suffix}`);
  const core = fs.readdirSync(path.join(root, 'addon', 'core')).filter((f) => f.endsWith('.cc')).map((f) => path.join(root, 'addon', 'core', f));
  const sources = [path.join(here, 'scheduler-replay-baseline.cc'), ...core];
  const mtime = (f: string): number => { try { return fs.statSync(f).mtimeMs; } catch { return -1; } };
  if (sources.every((s) => mtime(s) < mtime(out))) return out;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await run('g++', ['-O2', '-std=c++17', ...defines.map(([k, v]) => `-D${k}=${v}`), '-I', path.join(root, 'addon', 'core'), '-o', tmp, ...sources]);
  fs.renameSync(tmp, out);
  return out;
}

/** The baseline's input file (format in scheduler-replay-baseline.cc): scheduling state, then the frames. */
export function baselineInput(frames: FrameSet, options: ReplayOptions): { file: string; batch: number; remove(): void } {
  const s = replaySetup(options);
  const services = s.services.entryWords();
  const parts: Uint8Array[] = [Buffer.from('LBRP')];
  const u32 = (v: number): Uint8Array => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
  const words = (a: Int32Array | Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  parts.push(u32(s.table.length), words(s.table), u32(options.nodes.length), words(s.nodeStates), options.macTable);
  parts.push(u32(services.length / 5), words(services), u32(s.flowCapacity), u32(frames.count));
  for (let i = 0; i < frames.count; i++) {
    parts.push(u32(frames.lengths[i]), frames.buf.subarray(frames.offsets[i], frames.offsets[i] + frames.lengths[i]));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-replay-'));
  const file = path.join(dir, 'input.lbrp');
  fs.writeFileSync(file, Buffer.concat(parts));
  return { file, batch: s.batch, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The baseline's JSON line as a ReplayResult (node ids and drop names attached). */
export function baselineResult(stdout: string, options: ReplayOptions): TimedReplay {
  const r = JSON.parse(stdout) as { frames: number; iterations: number; seconds: number; cpuSeconds: number; pps: number; decisions: number[]; drops: number[]; consumed: number };
  const nodes: Record<string, number> = {};
  options.nodes.forEach((id, i) => { nodes[id] = r.decisions[i]; });
  const drops: Record<string, number> = {};
  DROP_REASON_NAMES.forEach((name, i) => { drops[name] = r.drops[i]; });
  return { frames: r.frames, iterations: r.iterations, seconds: r.seconds, cpuSeconds: r.cpuSeconds, pps: r.pps, nodes, drops, consumed: r.consumed };
}

/** The TypeScript replay in a worker thread of its own (scheduler-replay-worker.ts says why): one replay per run(). */
function replayWorker(frames: FrameSet, options: ReplayOptions): { run(): Promise<TimedReplay>; stop(): Promise<number> } {
  const data: ReplayWorkerData = { role: 'scheduler-replay', frames, options };
  const worker = startWorker(siblingEntry(import.meta.url, 'scheduler-replay-worker'), data);
  return {
    run: async () => {
      worker.postMessage(null);
      const [result] = await once(worker, 'message') as [TimedReplay];
      return result;
    },
    stop: () => worker.terminate(),
  };
}

/** Frames per CPU second of the timed passes. */
export const cpuPps = (r: TimedReplay): number => (r.frames * r.iterations) / r.cpuSeconds;

/** Runs the C++ baseline over the same frames and scheduling state. */
export async function runBaseline(frames: FrameSet, options: ReplayOptions): Promise<TimedReplay> {
  const bin = await buildBaseline();
  const input = baselineInput(frames, options);
  try {
    const { stdout } = await run(bin, [input.file, String(options.minSeconds ?? 1), String(input.batch)]);
    return baselineResult(stdout, options);
  } finally {
    input.remove();
  }
}

/** A capture's frames (runts left out, as `lbarray replay` does) and the config's services and nodes. */
export async function captureReplay(capture: string, configFile = path.join(root, 'examples', 'lab.yaml')): Promise<{ frames: FrameSet; options: ReplayOptions }> {
  const config = loadConfig(configFile);
  const { frames } = withoutRunts(await readPcap(capture));
  return { frames, options: { services: schedulerServices(config), nodes: config.nodes.map((n) => n.id), macTable: replayMacTable(config),
    tableSize: config.scheduler.maglevTableSize, flowCapacity: config.scheduler.flowTableCapacity } };
}

const VIP = '198.18.0.100';
const VIP6 = '2001:2::100';
export const syntheticOptions: ReplayOptions = {
  services: [{ vip: VIP, proto: 'tcp', port: 80 }, { vip: VIP, proto: 'udp', port: 443 }, { vip: VIP6, proto: 'tcp', port: 80 }],
  nodes: ['lb1', 'lb2', 'lb3'],
  macTable: Uint8Array.from({ length: 36 }, (_, i) => (i % 6 === 0 ? 2 : i)),
};

/** A synthetic capture: `flows` established flows, 64-byte frames, a realistic sprinkle of the rest. */
export function syntheticCapture(flows: number, frames: number): FrameSet {
  const list: Uint8Array[] = [];
  const pad = (f: Uint8Array): Uint8Array => (f.length >= 60 ? f : Uint8Array.from([...f, ...new Array(60 - f.length).fill(0)]));
  for (let i = 0; i < frames; i++) {
    const flow = (Math.imul(i, 2654435761) >>> 0) % flows;
    const client = `198.18.${128 + (flow >>> 8) % 64}.${flow & 255}`;
    const sport = 1024 + (flow % 50000);
    const r = i % 100;
    let f: Uint8Array;
    if (r < 80) f = ether(IPV4, ip4(client, VIP, tcp(sport, 80, 0x10)));
    else if (r < 88) f = ether(IPV6, ip6(`2001:2:0:8::${(flow % 65535).toString(16)}`, VIP6, tcp(sport, 80, 0x10)));
    else if (r < 92) f = ether(IPV4, ip4(client, VIP, tcp(sport, 80, 0x02)));
    else if (r < 94) f = ether(IPV4, ip4(client, VIP, udp(sport, 443, new Array(16).fill(0)), 0x2000));
    else if (r < 95) f = ether(ARP, arp(1, client, VIP));
    else if (r < 96) f = ether(IPV6, neighbourSolicitation('2001:2:0:8::1', VIP6));
    else if (r < 97) f = ether(IPV4, ip4('198.18.5.1', VIP, icmp(3, 4, ip4(VIP, client, tcp(80, sport, 0x10, new Array(8).fill(0))))));
    else if (r < 98) f = ether(IPV6, ip6('2001:2::5', VIP6, icmp6(2, 0, ip6(VIP6, '2001:2:0:8::1', tcp(80, sport)))));
    else if (r < 99) f = ether(IPV4, ip4(client, VIP, tcp(sport, 22, 0x02)));
    else f = ether(IPV4, ip4(client, '198.18.0.1', tcp(sport, 80, 0x10)));
    list.push(pad(f));
  }
  return packFrames(list);
}

/** Same decisions in both paths (the ratio compares equal work). */
export function sameDecisions(a: ReplayResult, b: ReplayResult): boolean {
  return JSON.stringify([a.nodes, a.drops, a.consumed]) === JSON.stringify([b.nodes, b.drops, b.consumed]);
}

export { replayTs, type TimedReplay };

export interface ReplayRounds {
  /** TS pps / C++ pps (wall time), one per round. */
  ratios: number[];
  /** The same per CPU second of each path's timed passes: what the neighbours' load disturbs least. */
  cpuRatios: number[];
  /** The last round of each path (their decisions are compared). */
  ts: TimedReplay;
  base: TimedReplay;
}

/** Alternates the two paths round by round (the machine is shared and noisy): a ratio per round.
 * The TypeScript path runs in one worker thread for all the rounds, as the forwarding loop does,
 * after one untimed replay there. */
export async function replayRounds(frames: FrameSet, options: ReplayOptions, rounds: number, log: (line: string) => void = console.log): Promise<ReplayRounds> {
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  let ts: TimedReplay | undefined;
  let base: TimedReplay | undefined;
  const tsReplay = replayWorker(frames, options);
  try {
    await tsReplay.run(); // JIT warm-up of the worker: a short round would time the compiler
    for (let round = 0; round < rounds; round++) {
      base = await runBaseline(frames, options);
      ts = await tsReplay.run();
      ratios.push(ts.pps / base.pps);
      cpuRatios.push(cpuPps(ts) / cpuPps(base));
      log(`round ${round + 1}: TS ${(ts.pps / 1e6).toFixed(2)} Mpps, C++ ${(base.pps / 1e6).toFixed(2)} Mpps, ratio ${(ts.pps / base.pps).toFixed(3)}; ` +
        `per CPU second TS ${(cpuPps(ts) / 1e6).toFixed(2)} M, C++ ${(cpuPps(base) / 1e6).toFixed(2)} M, ratio ${cpuRatios[round]!.toFixed(3)}`);
    }
  } finally {
    await tsReplay.stop();
  }
  return { ratios, cpuRatios, ts: ts!, base: base! };
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export interface ReplayCli {
  seconds: number; rounds: number; flows: number; frames: number; flowCapacity: number;
  /** A pcap to replay instead of the synthetic frames (services and nodes from `config`). */
  capture?: string;
  config?: string;
}
export const replayDefaults: ReplayCli = { seconds: 1, rounds: 3, flows: 4096, frames: 65536, flowCapacity: 1 << 20 };

/** The replay benchmark as the CLI prints it; returns the figures for a harness (perf/bench.ts). */
export async function replayBenchmark(o: ReplayCli = replayDefaults, log: (line: string) => void = console.log) {
  const input = o.capture === undefined
    ? { frames: syntheticCapture(o.flows, o.frames), options: { ...syntheticOptions, flowCapacity: o.flowCapacity } }
    : await captureReplay(o.capture, o.config);
  const { frames } = input;
  const options = { ...input.options, minSeconds: o.seconds };
  const { ratios, cpuRatios, ts, base } = await replayRounds(frames, options, o.rounds, log);
  log(formatReplay('TypeScript decide + addon rewrite', ts));
  log(formatReplay('C++ baseline (same work)', base));
  const same = sameDecisions(ts, base);
  log(`same decisions: ${same}`);
  log(`median ratio TS / C++ over ${ratios.length} rounds: ${median(ratios).toFixed(3)} (target ≥ 0.9); ` +
    `${o.capture ?? `${o.flows} synthetic flows`}, ${frames.count} frames, flow table ${options.flowCapacity} entries`);
  log(`median ratio per CPU second of the timed passes: ${median(cpuRatios).toFixed(3)}`);
  log('TypeScript side: one worker thread for all rounds, as the forwarding loop decides, after an untimed replay there');
  return { options: o, ratios, cpuRatios, ts, base, sameDecisions: same };
}

async function main(): Promise<void> {
  const d = replayDefaults;
  const { values } = parseArgs({ options: {
    seconds: { type: 'string', default: String(d.seconds) }, rounds: { type: 'string', default: String(d.rounds) }, flows: { type: 'string', default: String(d.flows) },
    frames: { type: 'string', default: String(d.frames) }, 'flow-capacity': { type: 'string', default: String(d.flowCapacity) },
    capture: { type: 'string' }, config: { type: 'string' },
  } });
  await replayBenchmark({ seconds: Number(values.seconds), rounds: Number(values.rounds), flows: Number(values.flows),
    frames: Number(values.frames), flowCapacity: Number(values['flow-capacity']), capture: values.capture, config: values.config });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
