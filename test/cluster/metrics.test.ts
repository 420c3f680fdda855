// What an operator reads in /metrics when the scheduler goes (the README's partition paragraph:
// the scheduler_role gauge, failovers_total, node_up for the nodes this one lost): two real nodes
// elect, the scheduler is killed, and the survivor's metrics say it took over and saw it go.
import t from 'tap';
import type { NsProcess } from '../../engine/lab/index.js';
import { clusterLab, now, sleep, waitEvent } from './fixtures/array.js';

const cl = await clusterLab(2);
t.teardown(() => cl.close());
// The listeners stand in for each node's L7 service: node health probes them.
const [service1] = [await cl.listen('lb1'), await cl.listen('lb2')];
const isActivate = (e: { event: string }) => e.event === 'activate';

/** One sample of `lbarray_NAME{labels...}` from the node's /metrics (its admin URL is in its ready line). */
async function sample(host: string, p: NsProcess, name: string, labels = ''): Promise<number | undefined> {
  const admin = /"event":"ready","admin":"([^"]+)"/.exec(p.output)![1];
  const { stdout } = await cl.lab.exec(host, ['curl', '-s', '--max-time', '5', `${admin}/metrics`]);
  const line = stdout.split('\n').find((l) => l.startsWith(`lbarray_${name}{`) && l.includes(labels) && l.includes(`node="${host}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

t.test('the survivor of a killed scheduler: role 1, one failover, the killed node down', async (t) => {
  const config = cl.writeConfig('metrics', [150, 100], { preempt: false });
  const lb1 = await cl.start('lb1', config);
  await waitEvent(lb1, isActivate, 0, 5000);
  const lb2 = await cl.start('lb2', config);
  await sleep(800); // lb2 hears lb1's adverts and its probes pass (rise 3 × 100 ms)

  t.equal(await sample('lb1', lb1, 'scheduler_role'), 1, 'lb1 (150) is the scheduler');
  t.equal(await sample('lb1', lb1, 'failovers_total'), 1, 'lb1 took the role once');
  t.equal(await sample('lb2', lb2, 'scheduler_role'), 0, 'lb2 is not');
  t.equal(await sample('lb2', lb2, 'failovers_total'), 0, 'and never took the role');
  t.equal(await sample('lb2', lb2, 'node_up', 'peer="lb1"'), 1, 'lb2 sees lb1 up (labelled node="lb2": the node reporting)');

  const at = now();
  process.kill(-lb1.pid, 'SIGKILL');
  await service1.stop(500); // its service dies with it
  await waitEvent(lb2, isActivate, at, 3000);
  // fall 3 × 100 ms + 80 ms timeout: lb1's probes fail (polled: the machine may be loaded).
  for (const until = Date.now() + 3000; Date.now() < until && await sample('lb2', lb2, 'node_up', 'peer="lb1"') !== 0;) await sleep(100);
  t.equal(await sample('lb2', lb2, 'scheduler_role'), 1, 'lb2 is the scheduler now');
  t.equal(await sample('lb2', lb2, 'failovers_total'), 1, 'one failover counted');
  t.equal(await sample('lb2', lb2, 'node_up', 'peer="lb1"'), 0, 'lb1 is down');
  t.equal(await sample('lb2', lb2, 'node_up', 'peer="lb2"'), 1, 'lb2 itself is up');
  await lb2.stop(1000);
});
