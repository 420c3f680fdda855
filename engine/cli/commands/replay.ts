// Hook: `lbarray replay CAPTURE.pcap`, the scheduler's decide + rewrite path over every frame of
// a capture, many times, against a pure C++ loop in the same run; prints pps per core and the
// decision histogram. Resolves with the exit code.
import type { CliIo } from '../io.js';
import { notImplemented } from './not-implemented.js';

export interface ReplayOptions {
  file: string;
  /** Passes over the capture. */
  iterations: number;
  io: CliIo;
}

export async function replayCapture(_opts: ReplayOptions): Promise<number> {
  return notImplemented('replay', 'the scheduler (engine/scheduler) and the pcap reader (engine/capture)');
}
