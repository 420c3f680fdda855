// The forwarding loop on a real veth pair in a private namespace: two worker threads in one
// PACKET_FANOUT hash group, one published table. Every VIP frame comes back out with the MAC of
// the node Maglev picked for its flow; ARP for the VIP is handed to the responder; the rest is
// not forwarded. Once with each RX ring kind (TPACKET_V3 blocks, TPACKET_V2 frames).
import t, { type Test } from 'tap';
import { Worker } from 'node:worker_threads';
import { startWorker } from '../../engine/worker-thread.js';
import { PacketPort, type NextHop, type PacketPortOptions } from '../../engine/ring/port.js';
import { TablePublisher, TableReader } from '../../engine/scheduler/table-publisher.js';
import { runForwardLoop } from '../../engine/scheduler/forward-loop.js';
import { Decider } from '../../engine/scheduler/decide.js';
import { FlowRouter } from '../../engine/scheduler/flow-router.js';
import { FlowTable } from '../../engine/scheduler/flow-table.js';
import { DropReason, dropsByReason, SchedulerCounters } from '../../engine/scheduler/counters.js';
import { ServiceSet } from '../../engine/scheduler/service-set.js';
import { buildMaglevTable, MAGLEV_MIN_SIZE } from '../../engine/scheduler/maglev.js';
import { inNs, macOf, privateNetns, vethPair } from '../addon/fixtures/netns.js';
import { ether, tcp, ip4, arp, IPV4, ARP } from './fixtures/frames.js';

const VIP = '198.18.0.100';
const services = [{ vip: VIP, proto: 'tcp' as const, port: 80 }];
const nodes = ['lb1', 'lb2', 'lb3'];
const macs = ['02:00:00:00:01:01', '02:00:00:00:01:02', '02:00:00:00:01:03'];
const workerFile = new URL('./fixtures/forward-worker.ts', import.meta.url);

for (const rxMode of ['blocks', 'frames'] as const) t.test(`two workers in a fanout group forward every VIP flow to its Maglev node (RX ${rxMode})`, async (t) => {
  const ns = privateNetns(t, 'sched');
  vethPair(ns, 'cl', 'sch');
  inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  const publisher = new TablePublisher({ maxReaders: 2, readerTimeoutMs: 20_000 });
  await publisher.publish(nodes.map((id) => ({ id, weight: 1, up: true })));
  const stop = new SharedArrayBuffer(4);
  const group = 1000 + (process.pid % 60000);
  const workers = [0, 1].map(() => startWorker(workerFile,
    { ns, iface: 'sch', group, buffer: publisher.buffer, readerId: publisher.addReader(), services, macs, stop, rxMode }));
  t.teardown(() => { Atomics.store(new Int32Array(stop), 0, 1); });
  const results = workers.map((w) => new Promise<{ stats: { received: number; forwarded: number }; consumed: number; nodePackets: number[] }>(
    (resolve, reject) => { w.on('message', (m) => { if (m !== 'ready') resolve(m); }); w.once('error', reject); }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.on('message', (m) => { if (m === 'ready') resolve(m); }))));

  const client = PacketPort.open({ interface: 'cl', netns: ns });
  t.teardown(() => client.close());
  const schMac = inNs(ns, 'cat', '/sys/class/net/sch/address').trim();
  const dst = schMac.split(':').map((h) => parseInt(h, 16));
  const frame = (f: Uint8Array): Uint8Array => { f.set(dst, 0); return f; };
  // 200 flows x 3 packets, an ARP request for the VIP, a packet to a closed port.
  const flows = Array.from({ length: 200 }, (_, i) => ({ src: `198.18.${1 + (i >> 7)}.${i & 127}`, sport: 20000 + i }));
  const sent: Uint8Array[] = [];
  for (let round = 0; round < 3; round++) {
    for (const f of flows) sent.push(frame(ether(IPV4, ip4(f.src, VIP, tcp(f.sport, 80, round === 0 ? 0x02 : 0x10)))));
  }
  const others = [frame(ether(ARP, arp(1, '198.18.1.1', VIP))), frame(ether(IPV4, ip4('198.18.1.1', VIP, tcp(1, 22, 0x02))))];
  const all = [...sent, ...others];
  const buf = new Uint8Array(all.reduce((n, f) => n + f.length, 0));
  const offsets = new Int32Array(all.length);
  const lengths = new Int32Array(all.length);
  let at = 0;
  all.forEach((f, i) => { buf.set(f, at); offsets[i] = at; lengths[i] = f.length; at += f.length; });
  t.equal(client.sendFrames(buf, offsets, lengths, all.length), all.length, 'client sent every frame');

  // What each frame should become: the same decision code run here.
  const reference = new Decider(new ServiceSet(services), new FlowRouter(new FlowTable({ capacity: 1 << 12 }), {
    table: buildMaglevTable(nodes.map((id) => ({ id, weight: 1 })), MAGLEV_MIN_SIZE), nodeStates: new Int32Array(3).fill(1),
  }), new SchedulerCounters(3));
  const want = new Map<string, string>();
  for (const f of sent) want.set(Buffer.from(f.subarray(26, 38)).toString('hex'), macs[reference.decide(f, 0, f.length, 1)]);

  const got = new Map<string, Set<string>>();
  let received = 0;
  const deadline = Date.now() + 5000;
  while (received < sent.length && Date.now() < deadline) {
    const n = client.receive(client.batchSize, 20);
    for (let i = 0; i < n; i++) {
      const f = client.frame(i);
      if (f[12] !== 0x08 || f[13] !== 0x00) continue;
      const key = Buffer.from(f.subarray(26, 38)).toString('hex');
      const mac = Array.from(f.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
      if (!got.has(key)) got.set(key, new Set());
      got.get(key)!.add(mac);
      received++;
    }
  }
  Atomics.store(new Int32Array(stop), 0, 1);
  const done = await Promise.all(results);
  t.equal(received, sent.length, `all ${sent.length} VIP frames came back out`);
  let wrong = 0;
  for (const [key, seen] of got) if (seen.size !== 1 || !seen.has(want.get(key)!)) wrong++;
  t.equal(wrong, 0, 'every flow went to exactly its Maglev node, all three packets');
  t.equal(new Set([...want.values()]).size, 3, 'the flows spread over all three nodes');
  t.equal(done.reduce((n, d) => n + d.consumed, 0), 1, 'the ARP request for the VIP went to the responder');
  t.equal(done.reduce((n, d) => n + d.stats.forwarded, 0), sent.length, 'the closed port was not forwarded');
  t.ok(done.every((d) => d.stats.received > 0), `both workers had traffic (${done.map((d) => d.stats.received).join(', ')})`);
  t.equal(done.reduce((n, d) => n + d.flows, 0), flows.length, 'the loops report every tracked flow (the admin endpoint\'s flows gauge)');
});

/** A published table of the three nodes, its reader, and a decider counting into fresh counters. */
async function loopParts() {
  const publisher = new TablePublisher({ maxReaders: 1 });
  await publisher.publish(nodes.map((id) => ({ id, weight: 1, up: true })));
  const counters = new SchedulerCounters(3);
  const reader = new TableReader(publisher.buffer, publisher.addReader());
  const decider = new Decider(new ServiceSet(services), new FlowRouter(new FlowTable({ capacity: 1 << 12 }), reader), counters);
  return { counters, reader, decider };
}

/** TCP frames to the VIP's port 80 for the ring on `sch` in `ns`, from 198.18.1.x: frame i carries `payload(i)` bytes. */
function vipFrames(ns: string, count: number, firstPort: number, payload: (i: number) => number): Uint8Array[] {
  const dst = macOf(ns, 'sch').split(':').map((h) => parseInt(h, 16));
  return Array.from({ length: count }, (_, i) => {
    const f = ether(IPV4, ip4(`198.18.1.${1 + (i % 200)}`, VIP, tcp(firstPort + i, 80, 0x10, new Array(payload(i)).fill(i & 0xff))));
    f.set(dst, 0);
    return f;
  });
}

/** Runs the loop on `port` for `ms`: it blocks this thread, so another thread ends it. */
function runLoopFor(port: PacketPort, parts: Awaited<ReturnType<typeof loopParts>>, hops: NextHop[], ms: number, ringDropsCounted = 0) {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  new Worker(`const s = new Int32Array(require('node:worker_threads').workerData); setTimeout(() => Atomics.store(s, 0, 1), ${ms});`,
    { eval: true, workerData: stop.buffer });
  return runForwardLoop({ port, reader: parts.reader, decider: parts.decider, hops, stop, timeoutMs: 5, ringDropsCounted });
}

/** A namespace with the client's veth into the scheduler's ring (`sch`, opened with `options`) and an output veth (`out0`). */
function loopLab(t: Test, tag: string, options: Partial<PacketPortOptions> = {}, outMtu?: number) {
  const ns = privateNetns(t, tag);
  vethPair(ns, 'cl', 'sch');
  vethPair(ns, 'out0', 'out1');
  if (outMtu !== undefined) inNs(ns, 'ip', 'link', 'set', 'out0', 'mtu', String(outMtu));
  const open = (o: PacketPortOptions) => {
    const p = PacketPort.open(o);
    t.teardown(() => p.close());
    return p;
  };
  return { ns, port: open({ interface: 'sch', netns: ns, ...options }), out: open({ interface: 'out0', netns: ns, txOnly: true }),
    client: open({ interface: 'cl', netns: ns }) };
}

// Frames the kernel drops because the ring is full never reach decide: the loop counts them from
// the ring's statistics (PACKET_STATISTICS), the `ring_full` drops of the admin endpoint. A ring
// of two 64 KiB blocks, 300 frames of 1400 bytes waiting before the loop starts: most are dropped.
t.test('the loop counts the frames a full ring dropped', async (t) => {
  const { ns, port, client } = loopLab(t, 'rfull', { blockSize: 64 * 1024, blockCount: 2 });
  const parts = await loopParts();
  const { counters } = parts;
  const hops = macs.map((dstMac) => ({ port, dstMac }));
  const SENT = 300;
  for (const f of vipFrames(ns, SENT, 20000, () => 1340)) client.send(f);
  await new Promise((r) => setTimeout(r, 200));

  const first = runLoopFor(port, parts, hops, 300);
  const kernel = port.stats().rxDrops;
  t.ok(kernel > SENT / 2, `the kernel dropped most frames for a full ring (${kernel} of ${SENT})`);
  t.equal(counters.ringDrops, kernel, 'the loop counted every one of them');
  t.equal(first.ringDrops, kernel, 'and says how many it counted');
  t.equal(counters.snapshot(nodes).ringDrops, kernel, 'the snapshot (status, metrics) has them');
  runLoopFor(port, parts, hops, 150, first.ringDrops);
  t.equal(counters.ringDrops, kernel, 'a later loop on the same ring counts nothing twice');
});

// Frames decided for a node that the kernel then refuses to send are counted apart (tx_refused):
// here the output interface's MTU is 1000 and 20 of the 50 frames are 1414 bytes long.
t.test('the loop counts the frames the kernel refused to send', async (t) => {
  const { ns, port, out, client } = loopLab(t, 'txref', {}, 1000);
  const parts = await loopParts();
  const { counters } = parts;
  // They wait in the ring while the loop runs.
  for (const f of vipFrames(ns, 50, 30000, (i) => (i < 20 ? 1360 : 100))) client.send(f);
  await new Promise((r) => setTimeout(r, 100));
  runLoopFor(port, parts, macs.map((dstMac) => ({ port: out, dstMac })), 300);
  t.equal(counters.nodePackets.reduce((a, b) => a + b, 0), 50, 'all 50 were decided for a node');
  t.equal(out.stats().txFrames, 30, 'the 30 short ones left');
  t.equal(counters.txRefused, 20, 'the 20 long ones are counted as refused');
  t.equal(counters.snapshot(nodes).txRefused, 20, 'the snapshot (status, metrics) has them');
});

// In the frames mode a frame longer than its ring slot arrives cut: sending it on would send a
// corrupt frame, so it is dropped, and counted apart from malformed frames (TRUNCATED): what the
// operator sees when frameSize is too small for the frames clients send.
t.test('the loop counts the frames longer than their ring slot (frames mode)', async (t) => {
  const { ns, port, out, client } = loopLab(t, 'trunc', { rxMode: 'frames', frameSize: 512, blockSize: 64 * 1024, blockCount: 4 });
  const parts = await loopParts();
  const { counters } = parts;
  for (const f of vipFrames(ns, 40, 31000, (i) => (i < 15 ? 1000 : 100))) client.send(f);
  await new Promise((r) => setTimeout(r, 100));
  runLoopFor(port, parts, macs.map((dstMac) => ({ port: out, dstMac })), 300);
  t.equal(counters.nodePackets.reduce((a, b) => a + b, 0), 25, 'the 25 that fit their slot were forwarded');
  t.equal(out.stats().txFrames, 25, 'and sent');
  t.equal(counters.drops[DropReason.TRUNCATED], 15, 'the 15 longer than a slot are counted as TRUNCATED');
  t.equal(counters.drops[DropReason.MALFORMED], 0, 'not as malformed');
  t.match(dropsByReason(counters.snapshot(nodes)), { truncated: 15 }, 'the metrics label: truncated');
});
