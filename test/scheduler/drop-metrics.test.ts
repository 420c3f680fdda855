// What the README promises of lbarray_scheduler_drops_total: every frame the scheduler did not
// forward has a `reason` label, among them ring_full (the RX ring was full), tx_refused (the kernel
// refused to send) and echo_rate (pings over the reply budget); the metric's help names each.
import t from 'tap';
import { createMetrics } from '../../engine/admin/metrics.js';
import { DropReason, dropsByReason, SchedulerCounters } from '../../engine/scheduler/counters.js';

t.test('each kind of drop has its own reason label, from the counters the packet path bumps', async (t) => {
  const c = new SchedulerCounters(2);
  c.drops[DropReason.MALFORMED] = 1;
  c.drops[DropReason.NOT_SERVICE] = 2;
  c.events[4] = 3; // ring full
  c.events[5] = 4; // refused on sending
  c.events[6] = 9; // pings of a VIP ...
  c.events[7] = 5; // ... of which over the budget
  const drops = dropsByReason(c.snapshot(['lb1', 'lb2']));
  t.match(drops, { malformed: 1, not_service: 2, not_ip: 0, no_node: 0, ring_full: 3, tx_refused: 4, echo_rate: 5 });
  t.equal(Object.keys(drops).length, Object.keys(DropReason).length + 3, 'the decide reasons and the three others, nothing more');
});

t.test('the metric\'s help names every reason label', async (t) => {
  const labels = Object.keys(dropsByReason(new SchedulerCounters(1).snapshot(['lb1'])));
  const text = await createMetrics().registry.getSingleMetricAsString('lbarray_scheduler_drops_total');
  const help = text.split('\n').find((l) => l.startsWith('# HELP')) ?? '';
  for (const reason of labels) t.match(help, new RegExp(`\\b${reason}\\b`), `${reason} is explained`);
});
