// Hook: `lbarray demo`, the whole array in a lab with a live dashboard (issue 7). Resolves with
// the exit code; must tear the lab down on return, on error and on Ctrl-C.
import type { CliIo } from '../io.js';
import { notImplemented } from './not-implemented.js';

export interface DemoOptions {
  /** How long to drive load (seconds). */
  seconds: number;
  io: CliIo;
}

export async function runDemo(_opts: DemoOptions): Promise<number> {
  return notImplemented('demo', 'the lab (engine/lab), the scheduler and the L7 node');
}
