// Draining a node that is not the scheduler (issue 7: `lbarray drain NODE`): lb3 is told to drain
// on its own admin endpoint; it tells its peers, so the scheduler (lb1) keeps it out of new flows.
// Its held connections keep working on it; new connections never reach it; undrained, it takes
// new flows again.
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

t.test('a drained node keeps its connections and gets no new flows from the scheduler', async (t) => {
  const a = await startArray(t);
  const held = await a.hold(a.lab.requireVip().v4, 24);
  t.ok(held.owners.includes('lb3'), `held connections on ${held.owners.join(' ')}`);

  const drain = (on: boolean) => a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '-X', 'POST', '--max-time', '10',
    '-H', 'content-type: application/json', '-d', JSON.stringify({ drain: on }), `http://${a.address.lb3}:9180/drain`]);
  t.same(JSON.parse((await drain(true)).stdout), { draining: true }, 'lb3 drains');
  const seen = await a.status('lb1');
  t.equal(seen.role, 'scheduler', 'lb1, not the drained node, is the scheduler');
  await new Promise((r) => setTimeout(r, 300)); // the new table reaches the forwarding threads between batches

  const { after, fresh } = await held.release();
  held.owners.forEach((owner, i) => t.same(after[i], { ok: true, peer: a.address[owner] }, `held connection ${i} on ${owner} still works`));
  t.same(fresh.failures, [], '90 new connections all succeeded');
  t.notOk(fresh.byPeer[a.address.lb3!], `no new connection went to the drained lb3 (${JSON.stringify(fresh.byPeer)})`);

  t.same(JSON.parse((await drain(false)).stdout), { draining: false }, 'lb3 takes flows again');
  await new Promise((r) => setTimeout(r, 300));
  const again = await a.hold(a.lab.requireVip().v4, 30);
  t.ok(again.owners.includes('lb3'), `new connections reach lb3 again (${again.owners.join(' ')})`);
  await again.release();
});
