// The prober against a real kernel: a node in namespace B holds the VIP on lo, as every LB node
// does; the prober in namespace A sends its SYN probes on a real ClusterLink (AF_PACKET) to B's MAC.
// With no listener on the VIP (B's daemon died) B's kernel answers RST; with one, even a stopped
// one (a daemon that stalled), it answers SYN-ACK from the listener's backlog; a host that died
// whole answers nothing.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ClusterLink } from '../../engine/cluster/cluster-link.js';
import { NodeProber } from '../../engine/cluster/node-prober.js';
import { ipBytes } from '../../engine/packet/index.js';
import { childEnv, inNs, macOf, privateNetns, vethBetween } from '../addon/fixtures/netns.js';
import { until } from '../daemon/fixtures/udp.js';
import { sleep } from './fixtures/array.js';

const VIP = '198.19.0.1';

function twoNodes(t: Tap.Test) {
  const a = privateNetns(t, 'proba');
  const b = privateNetns(t, 'probb');
  vethBetween(a, 'pa', b, 'pb');
  inNs(a, 'ip', 'addr', 'add', '198.18.0.11/24', 'dev', 'pa');
  inNs(b, 'ip', 'addr', 'add', '198.18.0.12/24', 'dev', 'pb');
  inNs(b, 'ip', 'link', 'set', 'lo', 'up');
  inNs(b, 'ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
  return { a, b, bMac: macOf(b, 'pb') };
}

/** A prober in `ns` of node "b" only; `changes` records every up set it reports. */
function prober(t: Tap.Test, ns: string, bMac: string, intervalMs: number) {
  const link = new ClusterLink({ interface: 'pa', netns: ns });
  const changes: Array<{ up: string[]; refused: number }> = [];
  const p: NodeProber = new NodeProber(link, {
    selfId: 'a', source: ipBytes('198.18.0.11'), vip: ipBytes(VIP), port: 80,
    nodes: [{ id: 'b', address: ipBytes('198.18.0.12'), mac: bMac }],
    intervalMs, timeoutMs: 300, rise: 3, fall: 3, interface: 'pa',
    selfCheck: async () => true,
    onChange: (up) => changes.push({ up: [...up].sort(), refused: p.counters.refused }),
  });
  t.teardown(() => { p.stop(); link.close(); });
  return { p, changes };
}

/** A listener on VIP:80 in `ns`, in a process of its own (so it can be stopped). */
async function listener(t: Tap.Test, ns: string) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
    `require('net').createServer(() => {}).listen(80, '${VIP}', () => console.log('listening'))`], { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  await once(child.stdout!, 'data');
  return child;
}

t.test('a silent scheduler whose daemon died is taken down by the first refusal of the takeover probes', async (t) => {
  const { a, bMac } = twoNodes(t);
  const { p, changes } = prober(t, a, bMac, 60_000); // no round runs during the test
  await p.probeNow('b');
  t.same(changes[0], { up: ['a'], refused: 1 }, 'down on the first RST, not after fall (3) of them, by the time the first verdict is out (what a takeover waits for)');
  await sleep(100);
  t.equal(p.counters.refused, 3, 'the burst sent fall probes, all refused by the kernel');
  t.equal(changes.length, 1, 'and reported the change once');
});

t.test('a node that stalled still answers from its backlog: the takeover probes leave it up', async (t) => {
  const { a, b, bMac } = twoNodes(t);
  const child = await listener(t, b);
  child.kill('SIGSTOP');
  const { p, changes } = prober(t, a, bMac, 60_000);
  await p.probeNow('b');
  t.equal(p.counters.passes, 1, 'the first verdict is out: a SYN-ACK');
  await until('three SYN-ACKs', () => p.counters.passes === 3, 2000);
  t.equal(p.counters.passes, 3, 'each probe answered with a SYN-ACK by the stopped listener\'s kernel');
  t.same(changes, [], 'b stays up');
});

t.test('a host that died whole answers nothing: settled only once every probe of the burst went unanswered, down by then', async (t) => {
  const { a } = twoNodes(t);
  // A MAC no interface has: the probes leave, and nothing answers.
  const { p, changes } = prober(t, a, '02:00:00:00:de:ad', 60_000);
  const at = performance.now();
  await p.probeNow('b');
  const ms = performance.now() - at;
  t.same(changes, [{ up: ['a'], refused: 0 }], 'down: fall (3) timeouts');
  t.equal(p.counters.timeouts, 3, 'every probe of the burst timed out');
  t.ok(ms >= 300 + 2 * 10 - 5, `settled after the last one (${Math.round(ms)} ms: timeout 300 ms, probes 10 ms apart)`);
});

t.test('in the rounds a refusal is one failure of fall, as ever', async (t) => {
  const { a, bMac } = twoNodes(t);
  const { p, changes } = prober(t, a, bMac, 40);
  await until('a change of the up set', () => changes.length > 0, 3000);
  t.same(changes[0], { up: ['a'], refused: 3 }, 'down after the third refused round');
  t.ok(p.counters.timeouts === 0, 'each round was answered');
});
