// Properties of the codec: every spec the builders take comes back from parse + describe as it
// went in, with valid checksums; and garbage (random bytes, mutated and truncated valid frames,
// 100000+ of them) never throws and always gets one of the known reasons.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { buildFrame, describeFrame, parseFrame, ParsedFrame, pseudoHeaderChecksum, Reason, REASON_NAMES } from '../../engine/packet/index.js';
import { checksum } from '../../engine/ring/checksum.js';
import { frameSpec } from './fixtures/arbitraries.js';

const SEED = 20240601;

// Plain objects (fast-check's records have no prototype), bytes as arrays: key order does not count.
const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)));

// True when the IPv4 header and the transport checksum (where the frame has one whole) verify.
function checksumsValid(frame: Uint8Array, f: ParsedFrame): boolean {
  if (f.ipVersion === 4 && checksum(frame.subarray(f.l3, f.l4)) !== 0) return false;
  if (f.fragment || f.ipVersion === 0) return true;
  const segment = frame.subarray(f.l4, f.l4End);
  const src = frame.subarray(f.srcAddress, f.srcAddress + f.addressLength);
  const dst = frame.subarray(f.dstAddress, f.dstAddress + f.addressLength);
  if (f.proto === 6 || f.proto === 17 || (f.proto === 58 && f.ipVersion === 6)) return pseudoHeaderChecksum(src, dst, f.proto, segment) === 0;
  if (f.proto === 1 && f.ipVersion === 4) return checksum(segment) === 0;
  return true;
}

t.test('parse(build(x)) == x, with valid checksums', async (t) => {
  const f = new ParsedFrame();
  fc.assert(fc.property(frameSpec, (spec) => {
    const frame = buildFrame(spec);
    const reason = parseFrame(frame, 0, frame.length, f);
    if (reason !== Reason.OK) throw new Error(`refused with ${REASON_NAMES[reason]}`);
    return isDeepStrictEqual(plain(describeFrame(frame, f)), plain(spec)) && checksumsValid(frame, f);
  }), { numRuns: 3000, seed: SEED });
  t.pass('3000 specs round-tripped');
});

const KNOWN = new Set<number>(Object.values(Reason));

t.test('100000+ random and mutated frames: no exception, a known reason, offsets in bounds', async (t) => {
  const f = new ParsedFrame();
  const base = fc.sample(frameSpec, { numRuns: 500, seed: SEED }).map(buildFrame);
  const counts = new Array<number>(REASON_NAMES.length).fill(0);
  const check = (frame: Uint8Array): boolean => {
    const reason = parseFrame(frame, 0, frame.length, f);
    if (!KNOWN.has(reason)) return false;
    counts[reason]++;
    if (reason !== Reason.OK) return true;
    // A frame that parses can be described, and its offsets nest inside it.
    describeFrame(frame, f);
    return f.start <= f.l3 && f.l3 <= f.l3End && f.l3End <= f.end && (f.l4 < 0 || (f.l3 < f.l4 && f.l4 <= f.l4End && f.l4End <= f.l3End));
  };
  const mutation = fc.record({
    frame: fc.integer({ min: 0, max: base.length - 1 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
    sets: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
    cut: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.nat(), weight: 1 }),
  });
  fc.assert(fc.property(mutation, (m) => {
    const frame = base[m.frame].slice();
    for (const [at, bit] of m.flips) frame[at % frame.length] ^= 1 << bit;
    for (const [at, value] of m.sets) frame[at % frame.length] = value;
    return check(m.cut === null ? frame : frame.subarray(0, m.cut % (frame.length + 1)));
  }), { numRuns: 80000, seed: SEED });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (frame) => check(frame)), { numRuns: 20000, seed: SEED });
  // Every prefix of every base frame: truncation at each byte.
  let prefixes = 0;
  for (const frame of base.slice(0, 100)) for (let n = 0; n < frame.length; n++, prefixes++) if (!check(frame.subarray(0, n))) t.fail(`prefix ${n}`);
  const total = counts.reduce((a, b) => a + b, 0);
  t.ok(total >= 100000, `${total} frames parsed (${prefixes} prefixes)`);
  t.comment(REASON_NAMES.map((n, i) => `${n} ${counts[i]}`).join(', '));
  for (const name of ['OK', 'TRUNCATED', 'BAD_ETHERTYPE', 'BAD_IP_VERSION', 'BAD_L4'] as const) t.ok(counts[Reason[name]] > 0, `some ${name}`);
});
