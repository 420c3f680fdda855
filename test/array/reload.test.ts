// Reload without dropping connections (issue 7): with long-lived connections open on every node,
// the config file changes (pool app loses be2; lb3 gets weight 0, drained) and every node is told
// to reload (POST /reload). Each held connection keeps working on its node, lb3's too (a drained
// node keeps its flows); new connections get the new pool and never go to lb3. Then the
// scheduler is stopped with SIGTERM: exit 0, its veth and nftables rule removed.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { arrayConfig, startArray } from './fixtures/array-lab.js';

t.test('a reload changes the pool while held connections keep working', async (t) => {
  const a = await startArray(t);
  const held = await a.hold(a.lab.requireVip().v6, 24);
  const owners = held.owners;
  t.equal(new Set(owners).size, 3, `24 held connections on all three nodes (${owners.join(' ')})`);

  const be2 = a.lab.host('be2').v4!.split('/')[0]!;
  const next = arrayConfig(a.lab).split('\n').filter((l) => !l.includes(`address: ${be2},`))
    .map((l) => (l.includes('id: lb3,') ? l.replace(/ }$/, ', weight: 0 }') : l)).join('\n');
  t.match(next, /id: lb3,.*weight: 0 }/, 'the new config drains lb3');
  fs.writeFileSync(path.join(a.dir, 'array.yaml'), next);
  for (const id of Object.keys(a.nodes)) {
    const { stdout } = await a.lab.exec(a.lab.clients[0]!.name,
      ['curl', '-s', '-X', 'POST', '--max-time', '20', `http://${a.address[id]}:9180/reload`]);
    t.same(JSON.parse(stdout), { ok: true }, `${id} applied the new config`);
  }

  const { after, fresh } = await held.release();
  owners.forEach((owner, i) => {
    t.same(after[i], { ok: true, peer: a.address[owner] }, `held connection ${i} on ${owner} still works`);
  });
  t.same(fresh.failures, [], '90 new connections all succeeded');
  t.same(fresh.byBackend, { be1: 90 }, 'new connections use the reloaded pool (be1 only)');
  t.notOk(fresh.byPeer[a.address.lb3!], 'no new connection went to the drained lb3');

  // SIGTERM on the scheduler: it leaves the role cleanly and takes its host changes with it.
  t.same(await a.nodes.lb1!.stop(8000), { code: 0, signal: null }, 'lb1 exits 0 on SIGTERM');
  await t.rejects(a.lab.exec('lb1', ['ip', 'link', 'show', 'lbsd0']), 'the self-delivery veth is gone');
  await t.rejects(a.lab.exec('lb1', ['nft', 'list', 'table', 'netdev', 'lbarray_vip']), 'the VIP guard rule is gone');
});
