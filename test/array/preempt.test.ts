// The killed scheduler comes back and, with preemption on, reclaims the role without resetting
// anyone (issue 5). While lb1 was away, lb2 (the scheduler) placed new connections on lb2 and lb3
// only; when lb1 returns, the Maglev table gives lb1 its slots back, so some of those connections
// now hash to lb1. Only the flow table keeps them where they are, and lb1 starts with an empty one
// unless flow sync gave it lb2's: the test checks that such connections exist (else it could not
// fail) and that every one of them still works through lb1.
import t from 'tap';
import { FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';
import { fillKey, viewOf } from '../../engine/scheduler/flow-key.js';
import { hashFlowKey, maglevSlot } from '../../engine/scheduler/flow-hash.js';
import { buildMaglevTable, MAGLEV_MIN_SIZE } from '../../engine/scheduler/maglev.js';
import { startArray } from './fixtures/array-lab.js';

const NODES = ['lb1', 'lb2', 'lb3'];

/** The node the scheduler's Maglev table (every node up, weight 1) picks for client → vip:80. */
function maglevPick(client: string, port: number, vip: string): string {
  const header = new Uint8Array(40); // IPv4 (20) + the TCP ports
  header.set(client.split('.').map(Number), 12);
  header.set(vip.split('.').map(Number), 16);
  const dv = viewOf(header);
  dv.setUint16(20, port);
  dv.setUint16(22, 80);
  const key = new Int32Array(FLOW_KEY_WORDS);
  fillKey(key, dv, 0, false, 6, 20, true, false);
  const table = buildMaglevTable(NODES.map((id) => ({ id, weight: 1 })), MAGLEV_MIN_SIZE);
  return NODES[table[maglevSlot(hashFlowKey(key), table.length)]!]!;
}

t.test('the returning scheduler preempts with the flow table of the one it replaces: no resets', async (t) => {
  const a = await startArray(t);
  const vip = a.lab.requireVip().v4;
  const client = a.lab.clients[0]!.v4!.split('/')[0]!;

  // lb2 may have been the scheduler for a moment while the array started: only what it prints from the kill on counts.
  const killed = a.nodes.lb2!.printed;
  process.kill(-a.nodes.lb1!.pid, 'SIGKILL');
  await a.nodes.lb1!.exited;
  await a.nodes.lb2!.waitFor(/scheduler active/, 10_000, killed);
  await a.waitNodeSeen('lb1', false, 10_000, 'lb2');

  const held = await a.hold(vip, 36);
  t.same([...new Set(held.owners)].sort(), ['lb2', 'lb3'], 'without lb1, connections land on lb2 and lb3');
  const movedByMaglev = held.ports.filter((p, i) => maglevPick(client, p, vip) === 'lb1' && held.owners[i] !== 'lb1');
  t.ok(movedByMaglev.length > 0, `${movedByMaglev.length} of ${held.ports.length} held connections hash to lb1 once it is back: only the flow table keeps them`);

  const back = a.nodes.lb2!.printed;
  const lb1 = a.restart('lb1');
  await lb1.waitFor(/scheduler active/, 40_000);
  await a.nodes.lb2!.waitFor(/scheduler inactive/, 5000, back);
  const seeded = Number(/"flows":(\d+)[^\n]*forwarding with the flows the array knows of/.exec(lb1.output)?.[1] ?? 0);
  t.ok(seeded >= held.ports.length, `lb1 took over with ${seeded} flows from lb2's table`);

  const { after, fresh } = await held.release();
  held.owners.forEach((owner, i) => {
    t.same(after[i], { ok: true, peer: a.address[owner] }, `connection ${i} (port ${held.ports[i]}) still works on ${owner}`);
  });
  t.same(fresh.failures, [], '90 new connections through lb1 all succeeded');
  t.same(Object.keys(fresh.byPeer).map((p) => a.nodeOf[p]).sort(), NODES, 'lb1 takes new flows again');
  const s = await a.status('lb1');
  t.equal(s.role, 'scheduler', 'lb1 is the scheduler');
  t.ok(s.counters['flowSync.replicaFlows']! >= held.ports.length, 'its replica holds the held flows');
});
