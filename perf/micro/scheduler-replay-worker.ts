// The TypeScript side of the replay benchmark, timed by CPU time, and the worker thread it runs
// in for the benchmark's rounds. The live forwarding loop decides in worker threads
// (engine/daemon/forwarders.ts) that load the scheduler and nothing else; so does this worker.
// The benchmark's main thread also loads the config, and under tsx loading its CommonJS yaml
// package detaches an ArrayBuffer: from then on V8 checks that thread's every typed array access
// for a detached buffer (an isolate-wide protector), a cost the forwarding workers never pay.
import { parentPort, workerData } from 'node:worker_threads';
import { rewriteBuffer } from '../../engine/ring/index.js';
import { replay, replaySetup, type FrameSet, type ReplayOptions, type ReplayResult, type RewriteFn } from '../../engine/scheduler/replay.js';

/** A replay with the CPU time of its timed passes (wall time on a shared machine counts the neighbours too). */
export interface TimedReplay extends ReplayResult { cpuSeconds: number }

const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** The TypeScript replay (engine/scheduler/replay.ts) in this thread, with the CPU time of its timed
 * passes: the rewrite hook marks the end of the counted pass, the first `batches` calls. */
export function replayTs(frames: FrameSet, options: ReplayOptions): TimedReplay {
  const batches = Math.ceil(frames.count / replaySetup(options).batch);
  let calls = 0;
  let cpu0 = 0;
  const rewrite: RewriteFn = (buf, offsets, lengths, decisions, count, macTable) => {
    const n = rewriteBuffer(buf, offsets, lengths, decisions, count, macTable);
    if (++calls === batches) cpu0 = cpuNow();
    return n;
  };
  const r = replay(frames, options, rewrite);
  return { ...r, cpuSeconds: cpuNow() - cpu0 };
}

/** The workerData of a replay worker: the frames and options it replays at each message. */
export interface ReplayWorkerData { role: 'scheduler-replay'; frames: FrameSet; options: ReplayOptions }

const data = workerData as Partial<ReplayWorkerData> | null;
if (parentPort !== null && data?.role === 'scheduler-replay') {
  const port = parentPort;
  port.on('message', () => port.postMessage(replayTs(data.frames!, data.options!)));
}
