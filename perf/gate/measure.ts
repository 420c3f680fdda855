// The gate's figures over one fixed synthetic frame set (perf/micro/scheduler-replay.ts builds it):
// callgrind instruction counts of the C++ fast path, and the same-run TS / C++ replay ratio.
import { replay } from '../../engine/scheduler/replay.js';
import { rewriteBuffer } from '../../engine/ring/index.js';
import { median, replayRounds, sameDecisions, syntheticCapture, syntheticOptions, type BaselineBuild } from '../micro/scheduler-replay.js';
import { countInstructions, type InstructionCounts } from './callgrind.js';
import type { Figure } from './compare.js';

/** Small enough for callgrind in about a second. The ratio uses the replay benchmark's flow table;
 * callgrind a smaller one (its setup, zeroing the table, is not counted but is slow under valgrind). */
export const GATE_FRAMES = { flows: 4096, frames: 16384, flowCapacity: 1 << 20, callgrindFlowCapacity: 1 << 16 };
export const INSTRUCTION_TOLERANCE = 0.1;
export const RATIO_TOLERANCE = 0.25;

export function gateFrames(flowCapacity = GATE_FRAMES.flowCapacity) {
  return { frames: syntheticCapture(GATE_FRAMES.flows, GATE_FRAMES.frames), options: { ...syntheticOptions, flowCapacity } };
}

export function instructionFigures(c: InstructionCounts): Figure[] {
  return [
    { id: 'cpp-replay-instructions', label: 'C++ decide + rewrite', value: c.perFrame, unit: 'instructions/frame', better: 'lower', tolerance: INSTRUCTION_TOLERANCE },
    { id: 'addon-rewrite-instructions', label: 'addon lb::rewrite_buffer', value: c.rewritePerFrame, unit: 'instructions/frame', better: 'lower', tolerance: INSTRUCTION_TOLERANCE },
  ];
}

/** Callgrind figures of the baseline binary, optionally built with defines (the test's slowdown). */
export async function measureInstructions(build: BaselineBuild = {}): Promise<{ figures: Figure[]; counts: InstructionCounts }> {
  const { frames, options } = gateFrames(GATE_FRAMES.callgrindFlowCapacity);
  const counts = await countInstructions(frames, options, build);
  return { figures: instructionFigures(counts), counts };
}

export interface RatioOptions { rounds: number; seconds: number; log?: (line: string) => void }

/** TS replay pps / C++ replay pps: the median of alternating rounds, in this run. */
export async function measureRatio(o: RatioOptions): Promise<{ figure: Figure; ratios: number[] }> {
  const { frames, options } = gateFrames();
  replay(frames, { ...options, minSeconds: o.seconds }, rewriteBuffer); // JIT warm-up: short rounds would time the compiler
  const r = await replayRounds(frames, { ...options, minSeconds: o.seconds }, o.rounds, o.log);
  if (!sameDecisions(r.ts, r.base)) throw new Error('gate: the TypeScript and C++ replays made different decisions; the ratio would compare unequal work');
  return {
    figure: { id: 'ts-cpp-replay-ratio', label: 'TS replay pps / C++ replay pps', value: median(r.ratios), unit: 'ratio', better: 'higher', tolerance: RATIO_TOLERANCE },
    ratios: r.ratios,
  };
}
