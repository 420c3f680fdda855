// Three nodes elect one scheduler over VRRPv3 on the lab bridge: the highest priority wins; a
// killed scheduler is replaced within 1 s (100 ms adverts), a stopped one (SIGTERM, priority 0)
// within 150 ms; a returning node reclaims the role with preemption and stays a backup without.
import t from 'tap';
import type { NsProcess } from '../../engine/lab/index.js';
import { clusterLab, events, now, sleep, waitEvent } from './fixtures/array.js';

const cl = await clusterLab(3);
t.teardown(() => cl.close());
for (const h of ['lb1', 'lb2', 'lb3']) await cl.listen(h);
const isActivate = (e: { event: string }) => e.event === 'activate';
const activations = (p: NsProcess) => events(p).filter(isActivate).length;
// 1 while a node holds the role (nodes start one by one, so an early one may hold it for a while).
const holding = (p: NsProcess) => activations(p) - events(p).filter((e) => e.event === 'deactivate').length;

// Starts lb1 (150), waits for it to be master, then lb2 (120) and lb3 (100): without preemption
// whoever comes first keeps the role, so the order is fixed.
async function startAll(config: string): Promise<NsProcess[]> {
  const lb1 = await cl.start('lb1', config);
  await waitEvent(lb1, isActivate, 0, 5000);
  const rest = await Promise.all(['lb2', 'lb3'].map((h) => cl.start(h, config)));
  await sleep(500);
  return [lb1, ...rest];
}

// Signals the master's process group; returns when `next` took the role: the delay and the exit.
async function takeover(master: NsProcess, next: NsProcess, signal: NodeJS.Signals) {
  const at = now();
  process.kill(-master.pid, signal);
  const taken = await waitEvent(next, isActivate, at, 3000);
  return { at, ms: taken.t - at, exit: await master.exited };
}

t.test('preempt on: one master, the highest priority; SIGKILL, SIGTERM, return', async (t) => {
  const config = cl.writeConfig('preempt', [150, 120, 100], { preempt: true });
  let [lb1, lb2, lb3] = await startAll(config);
  t.same([holding(lb1), holding(lb2), holding(lb3)], [1, 0, 0], 'exactly one master: lb1 (priority 150)');

  const killed = await takeover(lb1, lb2, 'SIGKILL');
  t.ok(killed.ms < 1000, `lb2 (120) took over ${Math.round(killed.ms)} ms after SIGKILL (< 1000)`);
  await sleep(300);
  t.equal(events(lb3).filter((e) => isActivate(e) && e.t >= killed.at).length, 0, 'lb3 (100) stayed a backup');

  // lb1 returns: with preemption it takes the role back; lb2 steps down.
  const backAt = now();
  lb1 = await cl.start('lb1', config);
  const reclaimed = await waitEvent(lb1, isActivate, backAt, 5000);
  const stepped = await waitEvent(lb2, (e) => e.event === 'deactivate', backAt, 2000);
  t.ok(stepped.t >= reclaimed.t - 5, 'lb2 deactivated once lb1 advertised a higher priority');
  t.ok(stepped.t - reclaimed.t < 150, `lb2 stepped down ${Math.round(stepped.t - reclaimed.t)} ms after lb1 took over`);

  // SIGTERM: lb1 resigns with priority 0, so lb2 takes over after its skew time (~53 ms).
  const stopped = await takeover(lb1, lb2, 'SIGTERM');
  t.equal(stopped.exit.code, 0, 'lb1 exited cleanly');
  t.ok(stopped.ms < 150, `lb2 took over ${Math.round(stopped.ms)} ms after SIGTERM (< 150)`);
  t.ok(events(lb1).some((e) => e.event === 'deactivate'), 'lb1 deactivated on its way out');
  await sleep(300);
  t.equal(events(lb3).filter((e) => isActivate(e) && e.t >= stopped.at).length, 0, 'lb3 did not become master');
  for (const p of [lb2, lb3]) await p.stop(1000);
});

t.test('preempt off: the returning higher priority stays a backup', async (t) => {
  const config = cl.writeConfig('no-preempt', [150, 120, 100], { preempt: false });
  let [lb1, lb2, lb3] = await startAll(config);
  t.same([holding(lb1), holding(lb2), holding(lb3)], [1, 0, 0], 'lb1 holds the role');
  await takeover(lb1, lb2, 'SIGKILL');
  lb1 = await cl.start('lb1', config);
  await sleep(1500);
  t.equal(activations(lb1), 0, 'lb1 (150) did not take the role back');
  t.equal(holding(lb2), 1, 'lb2 (120) is still the scheduler');
  for (const p of [lb1, lb2, lb3]) await p.stop(1000);
});
