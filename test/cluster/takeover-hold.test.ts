// A node that takes over from a scheduler that fell silent holds that scheduler from new flows
// until the first verdict of its probes (node-prober.ts, cluster-part.ts), and starts forwarding
// without waiting for it. On a real lab link, with real kernels answering the probes:
// - the scheduler's daemon died with its L7 listener: its kernel refuses the probe, so it is down
//   by the time the hold is lifted, and no table ever gave it new flows after the takeover;
// - the scheduler only stalled (SIGSTOP; its listener still accepts): it answers, the hold is
//   lifted and it stays up, so the flows it holds stay with it.
import t from 'tap';
import { clusterLab, events, now, sleep, waitEvent, type RoleEvent } from './fixtures/array.js';

const cl = await clusterLab(3);
t.teardown(() => cl.close());
const listeners = new Map<string, Awaited<ReturnType<typeof cl.listen>>>();
for (const h of ['lb1', 'lb2', 'lb3']) listeners.set(h, await cl.listen(h));
const config = cl.writeConfig('hold', [150, 120, 100], { preempt: false });
const lb1 = await cl.start('lb1', config);
await waitEvent(lb1, (e) => e.event === 'activate', 0, 5000);
const [lb2, lb3] = await Promise.all(['lb2', 'lb3'].map((h) => cl.start(h, config)));
await sleep(500); // lb2 and lb3 have heard lb1's adverts: it is the scheduler they would take over from

/** An event as the tests compare it: "hold lb1", "nodes lb2,lb3", "activate". */
const label = (e: RoleEvent): string => e.event === 'hold' ? `hold ${e.id}` : e.event === 'nodes' ? `nodes ${e.up!.join(',')}` : e.event;

/** lb's events from `since` on, up to and with its hold being lifted. */
async function takeoverEvents(lb: typeof lb2, since: number): Promise<RoleEvent[]> {
  const lifted = await waitEvent(lb!, (e) => e.event === 'hold' && e.id === null, since, 5000);
  return events(lb!).filter((e) => e.t >= since && e.t <= lifted.t);
}

t.test('the daemon died: held from new flows before forwarding starts, down (refused) before the hold is lifted', async (t) => {
  const at = now();
  process.kill(-lb1.pid, 'SIGKILL');
  await listeners.get('lb1')!.stop(500);
  const seen = await takeoverEvents(lb2, at);
  const kinds = seen.map(label);
  t.same(kinds, ['hold lb1', 'activate', 'nodes lb2,lb3', 'hold null'], 'held, then forwarding, then lb1 down (its kernel refused), then the hold lifted');
  const lifted = seen.at(-1)!.t - seen[0]!.t;
  t.ok(lifted < 200, `the verdict came ${Math.round(lifted)} ms after the hold (a round trip, not fall × interval)`);
});

t.test('the daemon stalled: held, then lifted on its answer, and it stays up', async (t) => {
  // lb2 is the scheduler now; lb1 is gone, as lb3's rounds find (fall × interval) before this
  // starts. A stopped lb2 stops advertising, and lb3 takes over.
  await waitEvent(lb3!, (e) => e.event === 'nodes' && !e.up!.includes('lb1'), 0, 5000);
  const at = now();
  process.kill(-lb2!.pid, 'SIGSTOP');
  t.teardown(() => { try { process.kill(-lb2!.pid, 'SIGCONT'); } catch { /* gone */ } });
  const seen = await takeoverEvents(lb3, at);
  const kinds = seen.map(label);
  t.equal(kinds[0], 'hold lb2', 'lb3 held lb2 from new flows first');
  t.ok(kinds.includes('activate'), 'and forwarded before the verdict');
  t.notOk(kinds.some((k) => k.startsWith('nodes') && !k.includes('lb2')), `lb2 never went down: ${kinds.join(' → ')}`);
  process.kill(-lb2!.pid, 'SIGCONT');
});
