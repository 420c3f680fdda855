// The README: "a VRRP timer that ran more than an interval late (this process stalled) is logged
// and counted in vrrp_late_timers / vrrp_max_late_ms". A real election on a veth in a private
// namespace becomes master, then its thread is blocked for 400 ms (100 ms adverts).
import t from 'tap';
import { ClusterLink } from '../../engine/cluster/cluster-link.js';
import { Election } from '../../engine/cluster/election.js';
import { ipBytes } from '../../engine/packet/index.js';
import { privateNetns, vethPair } from '../addon/fixtures/netns.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a stalled master counts its late timer and how late it ran', async (t) => {
  const ns = privateNetns(t, 'late');
  vethPair(ns, 'vr0', 'vr1');
  const link = new ClusterLink({ interface: 'vr0', netns: ns });
  const lates: number[] = [];
  const election = new Election(link, {
    vrid: 51, priority: 100, intervalCs: 10, preempt: true, source: ipBytes('198.18.0.11'), addresses: [ipBytes('198.19.0.1')],
    onState: () => {}, onLate: (ms) => lates.push(ms),
  });
  t.teardown(() => { election.stop(); link.close(); });
  election.start();
  for (const until = Date.now() + 3000; election.state !== 'master' && Date.now() < until;) await sleep(20);
  t.equal(election.state, 'master', 'alone on the link, it became master');
  const before = election.counters.lateTimers;

  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400); // the stall: no timer can run
  await sleep(50);
  t.equal(election.counters.lateTimers, before + 1, 'the advert timer that ran late is counted once');
  t.ok(election.counters.maxLateMs >= 250 && election.counters.maxLateMs < 2000, `by how late it ran (${election.counters.maxLateMs} ms of a 400 ms stall)`);
  t.equal(lates.length, election.counters.lateTimers, 'and reported (the node logs each)');
});
