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

/** Ethernet header length: no link delivers a shorter frame, and the rewrite refuses one. */
export const MIN_FRAME = 14;

/** The frames of at least 14 bytes (in the same buffer) and how many shorter ones were left out. */
export function withoutRunts(set: FrameSet): { frames: FrameSet; runts: number } {
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) if (set.lengths[i] >= MIN_FRAME) keep.push(i);
  if (keep.length === set.count) return { frames: set, runts: 0 };
  return {
    frames: { buf: set.buf, offsets: Int32Array.from(keep, (i) => set.offsets[i]), lengths: Int32Array.from(keep, (i) => set.lengths[i]), count: keep.length },
    runts: set.count - keep.length,
  };
}
