// Parse throughput (frames/s) of engine/packet's parser over the frames of captures/web-flows.pcap
// and captures/mixed.pcap, beside two baselines in the same run over the same frames:
// - the decider's own minimal parse (engine/scheduler/decide.ts), with flow routing stubbed out so
//   what is timed is its parse, key fill, hash and service lookup, not the flow table;
// - a naive parse written plainly below: a DataView and a result object per frame.
//   node --import tsx perf/micro/packet.bench.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import { readPcap, type FrameSet } from '../../engine/capture/index.js';
import { loadConfig } from '../../engine/config/index.js';
import { schedulerServices } from '../../engine/config/to-scheduler.js';
import { parseFrame, ParsedFrame, Reason } from '../../engine/packet/index.js';
import { SchedulerCounters } from '../../engine/scheduler/counters.js';
import { Decider } from '../../engine/scheduler/decide.js';
import type { FlowRouter } from '../../engine/scheduler/flow-router.js';
import { ServiceSet } from '../../engine/scheduler/service-set.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const captures = await Promise.all(['web-flows.pcap', 'mixed.pcap'].map(async (name) => ({ name, frames: await readPcap(path.join(root, 'captures', name)) as FrameSet })));

/** What a user writes first: a DataView per frame, fields read into a fresh object, no reasons. */
function naiveParse(buf: Uint8Array, off: number, len: number): { proto: number; src: number; dst: number; sport: number; dport: number } | null {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, len);
  if (len < 14) return null;
  let p = 12;
  let type = dv.getUint16(p);
  while (type === 0x8100 || type === 0x88a8) {
    p += 4;
    if (p + 2 > len) return null;
    type = dv.getUint16(p);
  }
  p += 2;
  let proto: number;
  let src: number;
  let dst: number;
  if (type === 0x0800) {
    if (p + 20 > len) return null;
    proto = dv.getUint8(p + 9);
    src = dv.getUint32(p + 12);
    dst = dv.getUint32(p + 16);
    p += (dv.getUint8(p) & 0x0f) * 4;
  } else if (type === 0x86dd) {
    if (p + 40 > len) return null;
    proto = dv.getUint8(p + 6);
    src = dv.getUint32(p + 20); // low words only: enough to tell hosts apart
    dst = dv.getUint32(p + 36);
    p += 40;
  } else return null;
  if ((proto === 6 || proto === 17) && p + 4 <= len) return { proto, src, dst, sport: dv.getUint16(p), dport: dv.getUint16(p + 2) };
  return { proto, src, dst, sport: 0, dport: 0 };
}

const parsed = new ParsedFrame();
const services = new ServiceSet(schedulerServices(loadConfig(path.join(root, 'examples/lab.yaml'))));
const stubRouter = { route: () => 0, peek: () => 0 } as unknown as FlowRouter;
const decider = new Decider(services, stubRouter, new SchedulerCounters(3));
let sink = 0;

/** One pass over a capture's frames; each benchmark op parses every frame once. */
const passes = {
  'engine/packet parseFrame': (s: FrameSet) => { for (let i = 0; i < s.count; i++) sink += parseFrame(s.buf, s.offsets[i], s.lengths[i], parsed) + parsed.dport; },
  'decide.ts minimal parse (baseline)': (s: FrameSet) => { for (let i = 0; i < s.count; i++) sink += decider.decide(s.buf, s.offsets[i], s.lengths[i], 1); },
  'naive DataView per frame (baseline)': (s: FrameSet) => { for (let i = 0; i < s.count; i++) sink += naiveParse(s.buf, s.offsets[i], s.lengths[i])?.dport ?? 0; },
};
type PassName = keyof typeof passes;

// The codec must read the same ports as the naive parse on every plain TCP/UDP frame, or the race is unfair.
for (const { name, frames: s } of captures) {
  for (let i = 0; i < s.count; i++) {
    const n = naiveParse(s.buf, s.offsets[i], s.lengths[i]);
    if (parseFrame(s.buf, s.offsets[i], s.lengths[i], parsed) === Reason.OK && !parsed.fragment && parsed.l4HeaderLength > 0
      && (parsed.proto === 6 || parsed.proto === 17) && n?.dport !== parsed.dport) throw new Error(`${name} #${i + 1}: the parsers disagree on the port`);
  }
}

const hz: Record<string, number> = {};
const opts = { minSamples: 5, maxTime: 1 };
const suite = new Benchmark.Suite('packet parse');
for (const { name, frames } of captures) {
  for (const pass of Object.keys(passes) as PassName[]) suite.add(`${name} (${frames.count} frames): ${pass}`, () => passes[pass](frames), opts);
}
suite
  .on('cycle', (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    hz[b.name!] = b.hz;
    console.log(String(b));
  })
  .on('complete', () => {
    for (const { name, frames } of captures) {
      const fps = (pass: PassName): number => hz[`${name} (${frames.count} frames): ${pass}`]! * frames.count;
      const codec = fps('engine/packet parseFrame');
      console.log(`${name}: parseFrame ${(codec / 1e6).toFixed(2)} M frames/s; ` +
        `${(codec / fps('decide.ts minimal parse (baseline)')).toFixed(2)} x the decider's parse (${(fps('decide.ts minimal parse (baseline)') / 1e6).toFixed(2)} M frames/s), ` +
        `${(codec / fps('naive DataView per frame (baseline)')).toFixed(2)} x the naive parse (${(fps('naive DataView per frame (baseline)') / 1e6).toFixed(2)} M frames/s)` +
        `${sink === 0.5 ? '' : ''}`);
    }
  })
  .run();
