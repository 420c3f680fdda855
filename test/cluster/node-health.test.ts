// LB-node health: rise/fall as data, then in the lab: a node whose VIP leaves its loopback, or
// whose listener stops, is reported down by the others after `fall` probes and back after `rise`.
import t from 'tap';
import { NodeHealth } from '../../engine/cluster/node-health.js';
import { ipBytes } from '../../engine/packet/index.js';
import { parseTcpFrame, rstFrame, synFrame, RST, SYN } from '../../engine/cluster/tcp-probe.js';
import { clusterLab, now, waitEvent } from './fixtures/array.js';
import { tsharkFields } from './fixtures/tshark.js';

const cases: Array<{ name: string; rise: number; fall: number; results: Array<[string, boolean]>; changes: boolean[]; up: string[] }> = [
  { name: 'nodes start up', rise: 2, fall: 2, results: [], changes: [], up: ['a', 'b'] },
  { name: 'fall failures in a row take a node down (not fewer)', rise: 2, fall: 3,
    results: [['a', false], ['a', false], ['a', false]], changes: [false, false, true], up: ['b'] },
  { name: 'a pass between failures restarts the count', rise: 2, fall: 2,
    results: [['a', false], ['a', true], ['a', false]], changes: [false, false, false], up: ['a', 'b'] },
  { name: 'rise passes bring it back', rise: 2, fall: 1,
    results: [['b', false], ['b', true], ['b', true]], changes: [true, false, true], up: ['a', 'b'] },
  { name: 'a failure between passes restarts the rise count', rise: 2, fall: 1,
    results: [['b', false], ['b', true], ['b', false], ['b', true]], changes: [true, false, false, false], up: ['a'] },
  { name: 'unknown nodes are ignored', rise: 1, fall: 1, results: [['zz', false]], changes: [false], up: ['a', 'b'] },
];

t.test('rise and fall', async (t) => {
  for (const c of cases) {
    const h = new NodeHealth(['a', 'b'], c);
    t.same(c.results.map(([id, pass]) => h.record(id, pass)), c.changes, `${c.name}: changes`);
    t.same([...h.upSet()].sort(), c.up, `${c.name}: up set`);
  }
});

t.test('markDown takes a node down at once; it comes back after rise passes', async (t) => {
  const h = new NodeHealth(['a', 'b'], { rise: 2, fall: 3 });
  h.record('a', false);
  t.equal(h.markDown('a'), true, 'an up node (one failure into its fall) goes down');
  t.equal(h.markDown('a'), false, 'a down node: no change');
  t.equal(h.markDown('zz'), false, 'an unknown node: no change');
  t.same([h.record('a', true), h.record('a', true)], [false, true], 'rise passes bring it back');
});

t.test('the probe SYN and RST are well-formed TCP (tshark), and replies parse', async (t) => {
  const ends = { srcMac: Uint8Array.of(2, 0, 0, 0, 0, 1), dstMac: Uint8Array.of(2, 0, 0, 0, 0, 2), src: ipBytes('198.18.0.11'),
    dst: ipBytes('198.19.0.1'), sport: 50000, dport: 80 };
  const syn = synFrame(ends, 0xfffffff0);
  const rst = rstFrame(ends, 0x12345678);
  const rows = tsharkFields([syn, rst], ['ip.dst', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.reset', 'tcp.seq_raw', 'tcp.checksum.status', 'tcp.options.mss_val', 'ip.checksum.status']);
  t.same(rows, [['198.19.0.1', '80', '1', '0', String(0xfffffff0), '1', '1460', '1'], ['198.19.0.1', '80', '0', '1', String(0x12345678), '1', '', '1']]);
  t.match(parseTcpFrame(syn), { sport: 50000, dport: 80, seq: 0xfffffff0, flags: SYN });
  t.match(parseTcpFrame(rst), { flags: RST, seq: 0x12345678 });
  t.equal(parseTcpFrame(syn.slice(0, 40)), null, 'a cut frame is no TCP segment');
  const syn6 = synFrame({ ...ends, src: ipBytes('2001:2::11'), dst: ipBytes('2001:2:0:100::1') }, 1);
  t.same(tsharkFields([syn6], ['ipv6.dst', 'tcp.checksum.status']), [['2001:2:0:100::1', '1']]);
});

t.test('lab: VIP removed or listener stopped → down after fall; back after rise', async (t) => {
  const cl = await clusterLab(3);
  t.teardown(() => cl.close());
  const vip = cl.lab.requireVip();
  const listeners = new Map<string, Awaited<ReturnType<typeof cl.listen>>>();
  for (const h of ['lb1', 'lb2', 'lb3']) listeners.set(h, await cl.listen(h));
  const config = cl.writeConfig('health', [150, 120, 100], { preempt: true }, { interval: '100ms', timeout: '80ms', rise: 3, fall: 3 });
  const [lb1, lb2] = await Promise.all(['lb1', 'lb2', 'lb3'].map((h) => cl.start(h, config)));
  const upIs = (want: string[]) => (e: { event: string; up?: string[] }) => e.event === 'nodes' && JSON.stringify(e.up) === JSON.stringify(want);
  await waitEvent(lb1, upIs(['lb1', 'lb2', 'lb3']), 0);

  let at = now();
  await cl.lab.exec('lb2', ['ip', 'addr', 'del', `${vip.v4}/32`, 'dev', 'lo']);
  let e = await waitEvent(lb1, upIs(['lb1', 'lb3']), at, 3000);
  t.ok(e.t - at >= 200 && e.t - at < 1000, `lb2 without the VIP reported down after ${Math.round(e.t - at)} ms (fall 3 × 100 ms)`);

  at = now();
  await cl.lab.exec('lb2', ['ip', 'addr', 'add', `${vip.v4}/32`, 'dev', 'lo']);
  e = await waitEvent(lb1, upIs(['lb1', 'lb2', 'lb3']), at, 3000);
  t.ok(e.t - at >= 200 && e.t - at < 1000, `lb2 back up ${Math.round(e.t - at)} ms after the VIP returned (rise 3 × 100 ms)`);

  at = now();
  await listeners.get('lb3')!.stop();
  e = await waitEvent(lb1, upIs(['lb1', 'lb2']), at, 3000);
  t.ok(e.t - at < 1000, `lb3 without a listener reported down after ${Math.round(e.t - at)} ms`);

  at = now();
  await listeners.get('lb1')!.stop();
  e = await waitEvent(lb1, upIs(['lb2']), at, 3000);
  t.pass('a node whose own listener stopped counts itself down');
  // lb1 no longer stands: it resigns, and lb2 (the next priority) becomes the scheduler.
  await waitEvent(lb1, (x) => x.event === 'deactivate', at, 3000);
  t.pass('lb1 resigned the scheduler role when its own L7 went down');
  await waitEvent(lb2, (x) => x.event === 'activate', at, 3000);
  const { stdout } = await cl.lab.exec('lb1', ['curl', '-sf', `http://${cl.lab.host('lb1').v4}:9180/status`]);
  const status = JSON.parse(stdout);
  t.match(status, { node: 'lb1', role: 'node', scheduler: 'lb2', nodes: [{ id: 'lb1', up: false }, { id: 'lb2', up: true }, { id: 'lb3', up: false }] },
    'status: lb1 is a node, lb2 the scheduler, health as lb1 sees it');
  t.ok(status.counters.vrrp_adverts_sent > 0 && status.counters.vrrp_adverts_received > 0 && status.counters.vrrp_transitions >= 3, 'advert counters');
  t.ok(status.counters.node_probe_passes > 0 && status.counters.node_probe_timeouts > 0 && status.counters.node_probe_refused > 0, 'probe counters');
});
