// Instruction counts of the C++ fast path under callgrind: the replay baseline (decide + the addon's
// lb::rewrite_buffer) over a fixed frame set, two passes (MIN_SECONDS 0), counting only the passes
// (the binary toggles collection around them). Deterministic: no clock, no randomness in the count.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FrameSet, ReplayOptions, ReplayResult } from '../../engine/scheduler/replay.js';
import { baselineInput, baselineResult, buildBaseline, type BaselineBuild } from '../micro/scheduler-replay.js';

const run = promisify(execFile);

/** Passes the baseline makes with MIN_SECONDS 0: the counted one and one timed one. */
export const CALLGRIND_PASSES = 2;

export interface InstructionCounts {
  /** Instructions of the passes (decide + rewrite), per frame. */
  perFrame: number;
  /** Instructions inside lb::rewrite_buffer (inclusive), per frame. */
  rewritePerFrame: number;
  total: number;
  /** The decisions of the counted pass (to check the binary did the same work). */
  result: ReplayResult;
}

/** Inclusive Ir of the first function whose name contains `fn`, from callgrind_annotate. */
async function inclusive(outFile: string, fn: string): Promise<number> {
  const { stdout } = await run('callgrind_annotate', ['--inclusive=yes', '--threshold=100', outFile], { maxBuffer: 16 << 20 });
  const line = stdout.split('\n').find((l) => l.includes(fn));
  if (line === undefined) throw new Error(`callgrind_annotate: no function ${fn} in ${outFile}`);
  return Number(line.trim().split(/\s/)[0]!.replace(/,/g, ''));
}

export async function countInstructions(frames: FrameSet, options: ReplayOptions, build: BaselineBuild = {}): Promise<InstructionCounts> {
  const bin = await buildBaseline(build);
  const input = baselineInput(frames, options);
  const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-callgrind-')), 'callgrind.out');
  try {
    const { stdout } = await run('valgrind', ['--tool=callgrind', '--collect-atstart=no', `--callgrind-out-file=${outFile}`,
      bin, input.file, '0', String(input.batch)], { maxBuffer: 16 << 20 });
    const totals = /^totals:\s+(\d+)/m.exec(fs.readFileSync(outFile, 'utf8'));
    if (totals === null) throw new Error(`callgrind wrote no totals to ${outFile}`);
    const total = Number(totals[1]);
    const frameCount = frames.count * CALLGRIND_PASSES;
    return { total, perFrame: total / frameCount, rewritePerFrame: (await inclusive(outFile, 'lb::rewrite_buffer(')) / frameCount, result: baselineResult(stdout, options) };
  } finally {
    input.remove();
    fs.rmSync(path.dirname(outFile), { recursive: true, force: true });
  }
}
