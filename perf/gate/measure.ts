// The gate's figures: callgrind instruction counts of the C++ fast path over a fixed synthetic
// frame set (perf/micro/scheduler-replay.ts builds it) and over a committed capture, and the
// same-run TS / C++ replay ratio over the synthetic frames.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureReplay, median, replayRounds, sameDecisions, syntheticCapture, syntheticOptions, type BaselineBuild } from '../micro/scheduler-replay.js';
import { countInstructions, type InstructionCounts } from './callgrind.js';
import type { Figure } from './compare.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Small enough for callgrind in about a second. A flow table that stays in cache: with the replay
 * benchmark's 2^20 entries the ratio's rounds spread twice as wide on a shared machine (memory
 * traffic of the neighbours), and zeroing it is slow under valgrind. */
export const GATE_FRAMES = { flows: 4096, frames: 16384, flowCapacity: 1 << 16 };
export const INSTRUCTION_TOLERANCE = 0.1;
export const RATIO_TOLERANCE = 0.25;

export function gateFrames() {
  return { frames: syntheticCapture(GATE_FRAMES.flows, GATE_FRAMES.frames), options: { ...syntheticOptions, flowCapacity: GATE_FRAMES.flowCapacity } };
}

/** The recorded capture (captures/README.md): whole web connections, handshakes and teardowns included. */
export const GATE_CAPTURE = path.join(root, 'captures', 'web-flows.pcap');

export function instructionFigures(synthetic: InstructionCounts, capture: InstructionCounts): Figure[] {
  const ir = (id: string, label: string, value: number): Figure => ({ id, label, value, unit: 'instructions/frame', better: 'lower', tolerance: INSTRUCTION_TOLERANCE });
  return [
    ir('cpp-replay-instructions', 'C++ decide + rewrite, synthetic frames', synthetic.perFrame),
    ir('cpp-capture-instructions', `C++ decide + rewrite, ${path.relative(root, GATE_CAPTURE)}`, capture.perFrame),
    ir('addon-rewrite-instructions', 'addon lb::rewrite_buffer, synthetic frames', synthetic.rewritePerFrame),
  ];
}

/** Callgrind figures of the baseline binary, optionally built with defines (the test's slowdown). */
export async function measureInstructions(build: BaselineBuild = {}): Promise<{ figures: Figure[]; counts: { synthetic: InstructionCounts; capture: InstructionCounts } }> {
  const s = gateFrames();
  const c = await captureReplay(GATE_CAPTURE);
  const synthetic = await countInstructions(s.frames, s.options, build);
  const capture = await countInstructions(c.frames, { ...c.options, flowCapacity: GATE_FRAMES.flowCapacity }, build);
  return { figures: instructionFigures(synthetic, capture), counts: { synthetic, capture } };
}

export interface RatioOptions { rounds: number; seconds: number; log?: (line: string) => void }

/** TS replay / C++ replay, frames per CPU second of the timed passes: the median of alternating
 * rounds in this run. CPU time, not wall time: the neighbours' turns on a shared machine stay out. */
export async function measureRatio(o: RatioOptions): Promise<{ figure: Figure; ratios: number[] }> {
  const { frames, options } = gateFrames();
  const r = await replayRounds(frames, { ...options, minSeconds: o.seconds }, o.rounds, o.log);
  if (!sameDecisions(r.ts, r.base)) throw new Error('gate: the TypeScript and C++ replays made different decisions; the ratio would compare unequal work');
  return {
    figure: { id: 'ts-cpp-replay-cpu-ratio', label: 'TS replay / C++ replay, frames per CPU second', value: median(r.cpuRatios), unit: 'ratio', better: 'higher', tolerance: RATIO_TOLERANCE },
    ratios: r.cpuRatios,
  };
}
