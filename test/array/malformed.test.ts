// Malformed frames at the live scheduler (issue 3): while the array serves requests, the client
// sends every frame of captures/malformed.pcap at the scheduler's interface, addressed to lb1's
// MAC. None of the malformed ones is forwarded: each is counted as the drop its breakage calls
// for (the capture generator records it: NOT_IP for an ethertype that is not ARP or IP, MALFORMED
// for everything else) in /status; the scheduler keeps its process and its role, and requests
// before, during and after all succeed.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { readPcap, frameAt } from '../../engine/capture/index.js';
import { loadConfig, schedulerServices } from '../../engine/config/index.js';
import { Reason, REASON_NAMES } from '../../engine/packet/index.js';
import { PacketPort } from '../../engine/ring/index.js';
import { parseMac } from '../../engine/ring/mac.js';
import { Decider, DECISION_DROP } from '../../engine/scheduler/decide.js';
import { DROP_REASON_NAMES, DropReason, SchedulerCounters } from '../../engine/scheduler/counters.js';
import { FlowRouter } from '../../engine/scheduler/flow-router.js';
import { FlowTable } from '../../engine/scheduler/flow-table.js';
import { replaySetup } from '../../engine/scheduler/replay.js';
import { makeCaptures } from '../../captures/make-captures.js';
import { root, startArray } from './fixtures/array-lab.js';

const ROUNDS = 20;

/** The scheduler's drop for a frame the codec refuses with `reason` (engine/scheduler/decide.ts). */
const dropFor = (reason: number): keyof typeof DropReason => (reason === Reason.BAD_ETHERTYPE ? 'NOT_IP' : 'MALFORMED');

t.test('the scheduler drops and counts malformed frames and keeps forwarding', async (t) => {
  const a = await startArray(t);
  // The switch is meant to be pure L2, but a host with br_netfilter loaded makes its bridge check
  // IP headers and drop the broken ones before they reach lb1 (a real switch does not look).
  for (const family of ['iptables', 'ip6tables', 'arptables']) {
    execFileSync('ip', ['netns', 'exec', a.lab.switchNs!, 'sysctl', '-q', '-w', `net.bridge.bridge-nf-call-${family}=0`]);
  }
  const vip = a.lab.requireVip();
  const client = a.lab.clients[0]!;
  const lb1 = a.lab.host('lb1');
  const requests = async (label: string, n: number) => {
    const [r] = await a.client(['fresh', vip.v4, '80', String(n)], 60_000);
    t.same((r as { failures: string[] }).failures, [], `${label}: all ${n} requests succeeded`);
  };

  await requests('before', 60);
  const before = await a.status('lb1');
  t.equal(before.role, 'scheduler', 'lb1 is the scheduler');

  // The capture's MACs are the example config's: point each frame at lb1 and give it the client's
  // source (the bridge drops frames from multicast sources). The kernel refuses to send a frame
  // shorter than an Ethernet header, as a NIC would never deliver one: those stay behind. So does
  // a VLAN tag cut short: the receiving kernel strips the outer tag before any tap sees the frame
  // (the addon restores it) and discards a frame whose tag does not fit.
  const capture = await readPcap(path.join(root, 'captures/malformed.pcap'));
  const made = makeCaptures().find((c) => c.name === 'malformed.pcap')!.expected!;
  t.equal(made.length, capture.count, 'the generator names every frame of the capture');
  const dst = parseMac(lb1.mac, 'lb1 MAC');
  const src = parseMac(client.mac, 'client MAC');
  const frames: Array<{ frame: Uint8Array; name: string; reason: number }> = [];
  for (let i = 0; i < capture.count; i++) {
    const f = frameAt(capture, i).slice();
    const tpid = f.length >= 14 ? (f[12]! << 8) | f[13]! : 0;
    if (f.length < 14 || ((tpid === 0x8100 || tpid === 0x88a8) && f.length < 18)) continue;
    f.set(dst, 0);
    f.set(src, 6);
    frames.push({ frame: f, ...made[i]! });
  }
  t.ok(frames.length >= 240, `${frames.length} of ${capture.count} frames can go on the wire`);

  // Per frame, with the live config: every malformed frame is dropped as its breakage calls for;
  // the well-formed ones (pings to the VIP, no service) are decided as usual. Expected drops per
  // reason, a round: the malformed frames' from the capture's record, the others' as decided.
  const config = loadConfig(path.join(a.dir, 'array.yaml'));
  const ids = config.nodes.map((n) => n.id);
  const setup = replaySetup({ services: schedulerServices(config), nodes: ids, macTable: new Uint8Array(12 * ids.length) });
  const offline = new Decider(setup.services, new FlowRouter(new FlowTable({ capacity: 1024 }), setup), new SchedulerCounters(ids.length));
  const expected: Record<string, number> = Object.fromEntries(DROP_REASON_NAMES.map((name) => [name, 0]));
  const wrong: string[] = [];
  let malformed = 0;
  for (const { frame, name, reason } of frames) {
    const before = [...offline.counters.drops];
    const decision = offline.decide(frame, 0, frame.length, 0);
    const counted = DROP_REASON_NAMES.find((_, i) => offline.counters.drops[i] !== before[i]);
    if (reason === Reason.OK) {
      if (decision === DECISION_DROP) expected[counted!]++;
      continue;
    }
    malformed++;
    expected[dropFor(reason)]++;
    if (decision !== DECISION_DROP || counted !== dropFor(reason)) wrong.push(`${name} (${REASON_NAMES[reason]}): ${decision === DECISION_DROP ? counted : `decision ${decision}`}, not ${dropFor(reason)}`);
  }
  t.same(wrong, [], `none of the ${malformed} malformed frames is forwarded or consumed; each is dropped as its breakage calls for`);
  t.same(Object.fromEntries(DROP_REASON_NAMES.map((n, i) => [n, offline.counters.drops[i]])), expected, 'offline drops per reason as expected');

  const port = PacketPort.open({ interface: client.iface, netns: client.ns, txOnly: true });
  t.teardown(() => port.close());
  const during = requests('during', 200);
  let sent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const f of frames) sent += port.send(f.frame);
    await new Promise((r) => setTimeout(r, 50));
  }
  await during;
  t.equal(sent, ROUNDS * frames.length, `${sent} malformed frames sent in ${ROUNDS} rounds`);

  await requests('after', 60);
  const after = await a.status('lb1');
  const delta = (key: string) => (after.counters[key] ?? 0) - (before.counters[key] ?? 0);
  const drops = Object.fromEntries(Object.keys(after.counters).filter((k) => k.startsWith('scheduler.drops.')).map((k) => [k.slice(16), delta(k)]));
  // MALFORMED has no other source in the lab: exactly every broken frame of each round, so none of
  // them went to a node. The other reasons also count the lab's own chatter (ARP for other hosts,
  // VRRP, health checks).
  t.ok(expected.MALFORMED! > 0, 'the capture has frames the scheduler must count as MALFORMED');
  t.equal(drops.MALFORMED, ROUNDS * expected.MALFORMED!, `MALFORMED: ${drops.MALFORMED} (${expected.MALFORMED} a round)`);
  for (const [reason, n] of Object.entries(expected)) {
    if (reason !== 'MALFORMED' && n > 0) t.ok(drops[reason]! >= ROUNDS * n, `${reason}: ${drops[reason]} (at least ${n} a round)`);
  }
  t.equal(after.role, 'scheduler', 'lb1 is still the scheduler');
  const exited = await Promise.race([a.nodes.lb1!.exited.then(() => true), new Promise<false>((r) => setImmediate(r, false))]);
  t.notOk(exited, `its process (pid ${a.nodes.lb1!.pid}) is still running`);
  t.ok(after.uptimeSeconds >= before.uptimeSeconds, 'and was not restarted (uptime kept counting)');
});
