// A node leaves the set (issue 3): lb3's process stops, the node checks mark it down and the
// scheduler rebuilds its table. Long-lived connections held by lb1 and lb2 keep working (their
// flows stay where they are: no reset), lb3's connections end, and new flows never go to lb3.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

t.test('removing a node moves only its flows', async (t) => {
  const a = await startArray(t);
  const vip = a.lab.requireVip();
  const sync = path.join(a.dir, 'go');
  const client = a.spawnClient(['hold', vip.v4, '80', '24', sync]);
  t.teardown(() => client.stop());
  const held = JSON.parse((await client.waitFor(/\{"phase":"held".*\}/, 20_000))[0]) as { peers: string[] };
  const owners = held.peers.map((p) => a.nodeOf[p]);
  t.ok(owners.every((o) => o !== undefined), `24 long-lived connections held by ${owners.join(' ')}`);
  t.ok(owners.some((o) => o === 'lb1') && owners.some((o) => o === 'lb2'), 'lb1 and lb2 hold some of them');

  await a.nodes.lb3!.stop(5000);
  await a.waitNodeSeen('lb3', false);
  fs.writeFileSync(sync, '');
  const after = JSON.parse((await client.waitFor(/\{"phase":"after".*\}/, 20_000))[0]) as { results: Array<{ ok: boolean; peer?: string }> };
  owners.forEach((owner, i) => {
    const r = after.results[i]!;
    if (owner === 'lb3') t.notOk(r.ok, `connection ${i} (lb3) ended with its node`);
    else t.same(r, { ok: true, peer: a.address[owner!] }, `connection ${i} held by ${owner} still works, same node`);
  });
  const fresh = JSON.parse((await client.waitFor(/\{"phase":"fresh".*\}/, 30_000))[0]) as { byPeer: Record<string, number>; failures: string[] };
  t.same(fresh.failures, [], '90 new connections all succeeded');
  t.notOk(fresh.byPeer[a.address.lb3!], 'no new flow went to the removed node');
  t.ok((fresh.byPeer[a.address.lb1!] ?? 0) > 20 && (fresh.byPeer[a.address.lb2!] ?? 0) > 20,
    `the remaining nodes share them (lb1 ${fresh.byPeer[a.address.lb1!]}, lb2 ${fresh.byPeer[a.address.lb2!]})`);
});
