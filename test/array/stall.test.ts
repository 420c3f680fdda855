// A scheduler that stalls (a paused VM, a long GC: here SIGSTOP) past the master-down interval
// loses the role to a backup, then comes back still believing it is the scheduler. The array must
// settle on one scheduler that every node names, see every node up again, and serve every new
// connection after that, on both address families.
import t from 'tap';
import type { NodeStatus } from '../../engine/admin/status.js';
import { startArray } from './fixtures/array-lab.js';

/** Status polls in a row that must agree before the array counts as settled. */
const AGREED_POLLS = 3;

t.test('a stalled scheduler that comes back: one scheduler again, every new connection served', async (t) => {
  const a = await startArray(t);
  const ids = Object.keys(a.nodes);
  const stalled = a.nodes.lb1!;
  t.teardown(() => { try { process.kill(-stalled.pid, 'SIGCONT'); } catch { /* gone */ } });

  // A backup may have been the scheduler for a moment while the array started: only what it prints from the stall on counts.
  const marks = { lb2: a.nodes.lb2!.printed, lb3: a.nodes.lb3!.printed };
  process.kill(-stalled.pid, 'SIGSTOP');
  try {
    // Either backup may stand first on a loaded machine (their skews differ by a few ms).
    await Promise.any((['lb2', 'lb3'] as const).map((id) => a.nodes[id]!.waitFor(/scheduler active/, 15_000, marks[id])));
  } finally {
    process.kill(-stalled.pid, 'SIGCONT');
  }
  t.pass('a backup took the role while lb1 was stopped');

  // Settled: one node says it is the scheduler, every node names it, a few polls in a row.
  const deadline = Date.now() + 30_000;
  let agreed = 0;
  let last: NodeStatus[] = [];
  while (agreed < AGREED_POLLS && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    last = await Promise.all(ids.map((id) => a.status(id).catch(() => null))).then((s) => s.filter((x): x is NodeStatus => x !== null));
    const claims = last.filter((s) => s.role === 'scheduler');
    const one = last.length === ids.length && claims.length === 1 && last.every((s) => s.scheduler === claims[0]!.node);
    agreed = one ? agreed + 1 : 0;
  }
  const scheduler = last.find((s) => s.role === 'scheduler')?.node;
  t.equal(agreed, AGREED_POLLS, `the nodes agree on one scheduler (${last.map((s) => `${s.node}: ${s.role}, sees ${s.scheduler}`).join('; ')})`);
  // lb1 has the higher priority and never stopped being master in its own view: it reclaims.
  t.equal(scheduler, 'lb1', 'lb1, the higher priority, holds the role again');
  for (const id of ids) await a.waitNodeSeen(id, true, 20_000, scheduler);

  const vip = a.lab.requireVip();
  for (const host of [vip.v4, vip.v6]) {
    const [fresh] = await a.client(['fresh', host, '80', '60']);
    t.same(fresh!.failures, [], `60 new connections to ${host} all served`);
    t.same(Object.keys(fresh!.byPeer as Record<string, number>).map((p) => a.nodeOf[p] ?? p).sort(), ids.slice().sort(), `every node served some (${JSON.stringify(fresh!.byPeer)})`);
  }
});
