// Micro benchmarks of the addon's per-batch work against plain JavaScript doing
// the same in the same run: the internet checksum of a 1500-byte packet, and the
// MAC rewrite (+ partial-checksum completion) of a batch of 256 frames.
//   node --import tsx perf/micro/checksum.bench.ts
import Benchmark from 'benchmark';
import { checksum, rewriteBuffer } from '../../engine/ring/checksum.js';
import { FrameFlag } from '../../engine/ring/constants.js';

function jsChecksum(b: Uint8Array): number {
  let s = 0;
  const n = b.length & ~1;
  for (let i = 0; i < n; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

const packet = Uint8Array.from({ length: 1500 }, (_, i) => (i * 31 + 7) & 0xff);
if (jsChecksum(packet) !== checksum(packet)) throw new Error('the two checksums disagree');

// 256 TCP/IPv4 frames of 128 bytes with partial checksums.
const FRAMES = 256;
const LEN = 128;
const batch = new Uint8Array(FRAMES * LEN);
for (let i = 0; i < FRAMES; i++) {
  batch.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0x45, 0, 0, LEN - 14, 0, 0, 0, 0, 64, 6], i * LEN);
  batch.set([198, 18, 0, 1, 198, 18, 0, 2], i * LEN + 26);
}
const offsets = Int32Array.from({ length: FRAMES }, (_, i) => i * LEN);
const lengths = new Int32Array(FRAMES).fill(LEN);
const decisions = Int32Array.from({ length: FRAMES }, (_, i) => i % 4);
const flags = new Int32Array(FRAMES).fill(FrameFlag.CSUM_NOT_READY);
const table = Uint8Array.from({ length: 4 * 12 }, (_, i) => i);

function jsRewrite(withChecksums: boolean): void {
  for (let i = 0; i < FRAMES; i++) {
    const off = offsets[i];
    batch.set(table.subarray(decisions[i] * 12, decisions[i] * 12 + 12), off);
    if (withChecksums) {
      const l4 = off + 34;
      const c = jsChecksum(batch.subarray(l4, off + lengths[i]));
      batch[l4 + 16] = c >> 8;
      batch[l4 + 17] = c & 0xff;
    }
  }
}

const results: Record<string, number> = {};
await new Promise<void>((resolve) => {
  new Benchmark.Suite()
    .add('checksum 1500 B: addon', () => checksum(packet))
    .add('checksum 1500 B: plain JS', () => jsChecksum(packet))
    .add('MAC rewrite, 256 frames: addon rewriteBuffer', () => rewriteBuffer(batch, offsets, lengths, decisions, FRAMES, table))
    .add('MAC rewrite, 256 frames: plain JS', () => jsRewrite(false))
    .add('rewrite + partial checksums, 256 frames: addon', () => rewriteBuffer(batch, offsets, lengths, decisions, FRAMES, table, flags))
    .add('rewrite + partial checksums, 256 frames: plain JS', () => jsRewrite(true))
    .on('cycle', (e: Benchmark.Event) => {
      const b = e.target as Benchmark.Target & { name: string };
      results[b.name] = b.hz ?? 0;
      console.log(String(e.target));
    })
    .on('complete', () => resolve())
    .run({ async: false });
});

const ratio = (a: string, b: string) => (results[a] / results[b]).toFixed(1);
console.log(`checksum: addon/JS = ${ratio('checksum 1500 B: addon', 'checksum 1500 B: plain JS')}x`);
console.log(`MAC rewrite batch: addon/JS = ${ratio('MAC rewrite, 256 frames: addon rewriteBuffer', 'MAC rewrite, 256 frames: plain JS')}x`);
console.log(`rewrite + checksums batch: addon/JS = ${ratio('rewrite + partial checksums, 256 frames: addon', 'rewrite + partial checksums, 256 frames: plain JS')}x`);
