// Frames as one buffer + offsets + lengths (engine/scheduler/replay.ts's FrameSet): what the
// decider and the addon's rewrite take in one call per batch.
import type { FrameSet } from '../scheduler/replay.js';

export type { FrameSet };

export function packFrames(frames: readonly Uint8Array[]): FrameSet {
  const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  const offsets = new Int32Array(frames.length);
  const lengths = new Int32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => { buf.set(f, at); offsets[i] = at; lengths[i] = f.length; at += f.length; });
  return { buf, offsets, lengths, count: frames.length };
}

/** Frame i as a view (no copy). */
export function frameAt(set: FrameSet, i: number): Uint8Array {
  return set.buf.subarray(set.offsets[i], set.offsets[i] + set.lengths[i]);
}
