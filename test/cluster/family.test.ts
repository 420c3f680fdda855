// The nodes talk to each other in one address family, the array's: with a dual-stack VIP and one
// node configured without IPv4, every node elects and probes over IPv6. (Chosen per node, lb2
// spoke IPv6 while lb1 spoke IPv4: neither heard the other, both became the scheduler, and lb1
// never probed lb2, so lb2 stayed out of its Maglev table.)
import fs from 'node:fs';
import t from 'tap';
import { clusterLab, events, sleep, waitEvent } from './fixtures/array.js';

const cl = await clusterLab(2);
t.teardown(() => cl.close());
const vip = cl.lab.requireVip();
for (const h of ['lb1', 'lb2']) {
  await cl.listen(h, vip.v4);
  await cl.listen(h, vip.v6);
}

t.test('a node without IPv4 in the config: one scheduler, and every node probed, over IPv6', async (t) => {
  const file = cl.writeConfig('lb2-no-ipv4', [150, 120], { preempt: false });
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Array<{ ipv4?: string }> };
  delete config.nodes[1]!.ipv4;
  fs.writeFileSync(file, JSON.stringify(config));

  const lb1 = await cl.start('lb1', file);
  await waitEvent(lb1, (e) => e.event === 'activate', 0, 5000);
  const lb2 = await cl.start('lb2', file);
  // Well past the master-down interval (3 x 100 ms + skew) and rise x interval of the probes.
  await sleep(1500);
  t.equal(events(lb2).filter((e) => e.event === 'activate').length, 0, 'lb2 hears lb1\'s adverts and stays a backup');
  t.equal(events(lb1).filter((e) => e.event === 'deactivate').length, 0, 'lb1 stays the scheduler');
  const seen = events(lb1).filter((e) => e.event === 'nodes').at(-1);
  t.same(seen?.up, ['lb1', 'lb2'], 'lb1 probes lb2 and sees it up');
  for (const p of [lb1, lb2]) await p.stop(1000);
});
