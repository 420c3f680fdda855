// A capture through decode → MAC rewrite → encode and back: read it, drop (and count by reason)
// what the codec refuses, run the scheduler's replay (decide + the addon's rewriteBuffer),
// re-encode every frame from its decoded form, write a pcap, read it back, and compare frame by
// frame with the input: only the MACs of frames sent to a node differ.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { frameAt, packFrames, readPcap, writePcap } from '../../engine/capture/index.js';
import { loadConfig } from '../../engine/config/index.js';
import { schedulerServices } from '../../engine/config/to-scheduler.js';
import { buildFrame, describeFrame, parseFrame, ParsedFrame, Reason, REASON_NAMES } from '../../engine/packet/index.js';
import { rewriteBuffer } from '../../engine/ring/index.js';
import { replay } from '../../engine/scheduler/replay.js';
import { replayMacTable } from '../../engine/cli/commands/replay.js';
import { makeCaptures } from '../../captures/make-captures.js';

const root = path.resolve(import.meta.dirname, '../..');
const config = loadConfig(path.join(root, 'examples/lab.yaml'));
const macTable = replayMacTable(config);
const nodeMacs = new Set(Array.from({ length: config.nodes.length }, (_, i) => Buffer.from(macTable.subarray(12 * i, 12 * i + 12)).toString('hex')));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const made = makeCaptures();

for (const name of ['web-flows.pcap', 'mixed.pcap', 'malformed.pcap']) {
  t.test(`${name}: decode, rewrite, encode, write, read back`, async (t) => {
    const input = await readPcap(path.join(root, 'captures', name));
    // Decode: the codec's refusals are dropped here and counted by reason.
    const f = new ParsedFrame();
    const refused = new Array<number>(REASON_NAMES.length).fill(0);
    const kept: Uint8Array[] = [];
    for (let i = 0; i < input.count; i++) {
      const reason = parseFrame(input.buf, input.offsets[i], input.lengths[i], f);
      if (reason === Reason.OK) kept.push(frameAt(input, i).slice());
      else refused[reason]++;
    }
    const expected = new Array<number>(REASON_NAMES.length).fill(0);
    for (const e of made.find((c) => c.name === name)!.expected ?? []) if (e.reason !== Reason.OK) expected[e.reason]++;
    t.same(refused, expected, `refused by reason: ${REASON_NAMES.map((n, i) => `${n} ${refused[i]}`).filter((s) => !s.endsWith(' 0')).join(', ') || 'none'}`);
    // Rewrite: the scheduler's decide + the addon's MAC rewrite, in place.
    const frames = packFrames(kept);
    const result = replay(frames, { services: schedulerServices(config), nodes: config.nodes.map((n) => n.id), macTable, minSeconds: 0, flowCapacity: 1 << 16 }, rewriteBuffer);
    const forwarded = Object.values(result.nodes).reduce((a, b) => a + b, 0);
    // Encode: every frame built again from its decoded form.
    const encoded: Uint8Array[] = [];
    for (let i = 0; i < frames.count; i++) {
      const frame = frameAt(frames, i);
      parseFrame(frame, 0, frame.length, f);
      encoded.push(buildFrame(describeFrame(frame, f)));
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-replay-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    writePcap(path.join(dir, 'out.pcap'), packFrames(encoded));
    const back = await readPcap(path.join(dir, 'out.pcap'));
    t.equal(back.count, kept.length, 'every kept frame written and read back');
    let rewritten = 0;
    let checksumsFixed = 0;
    const otherwise: string[] = [];
    for (let i = 0; i < back.count; i++) {
      const out = frameAt(back, i);
      const orig = kept[i];
      if (out.length !== orig.length) { otherwise.push(`#${i}: length`); continue; }
      if (hex(out.subarray(12)) !== hex(orig.subarray(12))) {
        // Only the pings made with a wrong ICMP checksum (bytes 36-37): the encoder writes the right one.
        if (hex(out.subarray(12, 36)) !== hex(orig.subarray(12, 36)) || hex(out.subarray(38)) !== hex(orig.subarray(38))) otherwise.push(`#${i}: beyond the MACs`);
        else checksumsFixed++;
      }
      if (hex(out.subarray(0, 12)) !== hex(orig.subarray(0, 12))) {
        if (nodeMacs.has(hex(out.subarray(0, 12)))) rewritten++;
        else otherwise.push(`#${i}: MACs of no node`);
      }
    }
    t.same(otherwise, [], 'frames differ only in the MACs of the node chosen');
    t.equal(rewritten, forwarded, `${forwarded} frames sent to a node carry its MACs; the other ${kept.length - forwarded} are untouched`);
    t.equal(checksumsFixed, name === 'malformed.pcap' ? 8 : 0, 'wrong checksums come back right, and only those');
    t.equal(forwarded > 0, name !== 'malformed.pcap', 'valid traffic is forwarded (the well-formed pings of malformed.pcap are not a service)');
  });
}
