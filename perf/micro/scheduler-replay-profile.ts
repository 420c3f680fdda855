// The TypeScript replay (decide + addon rewrite) of a capture, an exact number of timed passes,
// for profilers. Instructions per frame, steady on a shared machine: run it under callgrind with
// two pass counts; their difference over the frames between them leaves start-up and most of the
// optimizing compiler's work out. Bundle it first (esbuild --bundle --platform=node --format=esm,
// the addon beside a package.json, as engine/native.ts looks for it) and run the bundle under
// plain node: under tsx, two trees with the same decide code gave 656 and 2758 instructions per
// frame (bundled: 1765 and 1766), and loading the config's yaml package through tsx turns on V8's
// detached-buffer checks on every typed array access of this thread (scheduler-replay-worker.ts).
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable BUNDLE 60   (then 160)
//   (I(160) - I(60)) / (100 x 3600 frames)
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
