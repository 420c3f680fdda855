// Replay: the decide + rewrite path over a frame set (the addon rewrites the MACs), its histogram,
// and the C++ baseline making exactly the same decisions over the same frames.
import path from 'node:path';
import t from 'tap';
import { formatReplay, replay } from '../../engine/scheduler/replay.js';
import { rewriteBuffer } from '../../engine/ring/index.js';
import { captureReplay, runBaseline, sameDecisions, syntheticCapture, syntheticOptions } from '../../perf/micro/scheduler-replay.js';
import { VIP4, VIP6 } from '../../captures/traffic.js';

const root = path.resolve(import.meta.dirname, '../..');

t.test('replay decides every frame, rewrites forwarded ones, and reports a histogram', async (t) => {
  const frames = syntheticCapture(64, 1000);
  const options = { ...syntheticOptions, minSeconds: 0.05, flowCapacity: 1 << 12 };
  const r = replay(frames, options, rewriteBuffer);
  const forwarded = Object.values(r.nodes).reduce((a, b) => a + b, 0);
  const dropped = Object.values(r.drops).reduce((a, b) => a + b, 0);
  t.equal(forwarded + dropped + r.consumed, 1000, 'every frame has one decision');
  t.ok(forwarded > 900, `${forwarded} forwarded`);
  t.equal(r.consumed, 20, 'ARP and NDP requests for the VIPs');
  t.equal(r.drops.NOT_VIP, 10);
  t.equal(r.drops.NOT_SERVICE, 10);
  t.ok(r.iterations >= 1 && r.pps > 0);
  // Forwarded frames now carry their node's MACs (dst MAC first byte 2, then 1..5 + 6k).
  const macs = new Set<string>();
  for (let i = 0; i < frames.count; i++) macs.add(Buffer.from(frames.buf.subarray(frames.offsets[i], frames.offsets[i] + 12)).toString('hex'));
  for (let n = 0; n < 3; n++) {
    t.ok(macs.has(Buffer.from(syntheticOptions.macTable.subarray(12 * n, 12 * n + 12)).toString('hex')), `node ${n}'s MACs written`);
  }
  const text = formatReplay('TS', r);
  t.match(text, /TS: [\d.]+ Mpps on one core/);
  t.match(text, /node lb1: \d+/);
  t.match(text, /drop NOT_VIP: 10/);
  t.throws(() => replay(frames, { ...options, macTable: new Uint8Array(5) }, rewriteBuffer), { code: 'ERR_REPLAY_MACS' });
});

t.test('the C++ baseline makes the same decisions as the TypeScript path', async (t) => {
  const frames = syntheticCapture(256, 4000);
  const options = { ...syntheticOptions, minSeconds: 0.05 };
  const base = await runBaseline(frames, options);
  const ts = replay(frames, options, rewriteBuffer);
  t.ok(sameDecisions(ts, base), 'same per-node counts, drop reasons and consumed frames');
  t.equal(base.frames, 4000);
  t.ok(base.pps > 0);
});

// The captures' frames, malformed ones too, under the lab's services (TCP only) and with UDP services
// added (so a malformed UDP datagram or fragment the checks missed would be forwarded, not dropped).
t.test('the C++ baseline makes the same decisions over the committed captures', async (t) => {
  for (const name of ['malformed.pcap', 'mixed.pcap']) {
    const { frames, options } = await captureReplay(path.join(root, 'captures', name));
    const udp = [...options.services, { vip: VIP4, proto: 'udp' as const, port: 443 }, { vip: VIP6, proto: 'udp' as const, port: 443 }];
    for (const services of [options.services, udp]) {
      const o = { ...options, services, minSeconds: 0.01, flowCapacity: 1 << 12 };
      const base = await runBaseline(frames, o);
      const ts = replay(frames, o, rewriteBuffer);
      t.ok(sameDecisions(ts, base), `${name}, ${services.length} services: TS ${JSON.stringify([ts.nodes, ts.drops, ts.consumed])}, C++ ${JSON.stringify([base.nodes, base.drops, base.consumed])}`);
      // Its only well-formed frames are its 8 pings of the VIP: nothing is forwarded, the pings go to the responder.
      if (name === 'malformed.pcap') t.same([Object.values(ts.nodes), ts.consumed], [[0, 0, 0], 8], `${name}: nothing forwarded; its 8 pings answered`);
    }
  }
});
