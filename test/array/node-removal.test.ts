// A node leaves the set (issue 3): lb3's process stops, the node checks mark it down and the
// scheduler rebuilds its table. Long-lived connections held by lb1 and lb2 keep working (their
// flows stay where they are: no reset), lb3's connections end, and new flows never go to lb3.
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

t.test('removing a node moves only its flows', async (t) => {
  const a = await startArray(t);
  const held = await a.hold(a.lab.requireVip().v4, 24);
  const owners = held.owners;
  t.ok(owners.every((o) => o in a.nodes), `24 long-lived connections held by ${owners.join(' ')}`);
  t.ok(owners.some((o) => o === 'lb1') && owners.some((o) => o === 'lb2'), 'lb1 and lb2 hold some of them');

  await a.nodes.lb3!.stop(5000);
  await a.waitNodeSeen('lb3', false);
  const { after, fresh } = await held.release();
  owners.forEach((owner, i) => {
    const r = after[i]!;
    if (owner === 'lb3') t.notOk(r.ok, `connection ${i} (lb3) ended with its node`);
    else t.same(r, { ok: true, peer: a.address[owner] }, `connection ${i} held by ${owner} still works, same node`);
  });
  t.same(fresh.failures, [], '90 new connections all succeeded');
  t.notOk(fresh.byPeer[a.address.lb3!], 'no new flow went to the removed node');
  t.ok((fresh.byPeer[a.address.lb1!] ?? 0) > 20 && (fresh.byPeer[a.address.lb2!] ?? 0) > 20,
    `the remaining nodes share them (lb1 ${fresh.byPeer[a.address.lb1!]}, lb2 ${fresh.byPeer[a.address.lb2!]})`);
});
