// The TypeScript replay (decide + addon rewrite) of a capture, an exact number of timed passes,
// for profilers. Instructions per frame, steady on a shared machine: run it under callgrind with
// two pass counts; their difference over the frames between them leaves start-up and most of the
// optimizing compiler's work out (warm tsx's transpile cache with one plain run first).
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --import tsx perf/micro/scheduler-replay-profile.ts 20   (then 220)
//   (I(220) - I(20)) / (200 x 3600 frames)
import { rewriteBuffer } from '../../engine/ring/index.js';
import { replay } from '../../engine/scheduler/replay.js';
import { captureReplay } from './scheduler-replay.js';

const [passesArg, capture = 'captures/web-flows.pcap', config = 'examples/lab.yaml'] = process.argv.slice(2);
const passes = Number(passesArg);
if (!Number.isInteger(passes) || passes < 1) {
  console.error('usage: perf/micro/scheduler-replay-profile.ts PASSES [CAPTURE [CONFIG]]');
  process.exit(2);
}
const { frames, options } = await captureReplay(capture, config);
const r = replay(frames, { ...options, passes }, rewriteBuffer);
console.log(`${r.iterations} passes of ${r.frames} frames, ${(r.pps / 1e6).toFixed(2)} Mpps`);
