// The scheduler fails over (DESIGN: "established connections survive the failover"): lb1, the
// scheduler, is stopped; the election makes lb2 the scheduler, which announces the VIP and builds
// the same Maglev table from the same node list. Connections held by lb2 and lb3 keep working
// through the new scheduler; new connections are served by lb2 and lb3.
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

t.test('connections held by the other nodes survive the loss of the scheduler', async (t) => {
  const a = await startArray(t);
  const held = await a.hold(a.lab.requireVip().v4, 18);
  const owners = held.owners;
  t.ok(owners.includes('lb2') && owners.includes('lb3'), `held connections on ${owners.join(' ')}`);

  // SIGTERM: lb1 tells its peers it drains, resigns, then lets its own connections finish within its grace period (10 s).
  // lb2 may have been the scheduler for a moment while the array started: only what it prints from now on counts.
  const lb2 = a.nodes.lb2!;
  const mark = lb2.printed;
  const stopped = a.nodes.lb1!.stop(15_000);
  await lb2.waitFor(/scheduler active/, 10_000, mark);
  // lb1 tells its peers it drains, then resigns: the new scheduler never sends it a new flow.
  const since = lb2.outputSince(mark);
  const told = since.indexOf('node lb1 drains');
  t.ok(told >= 0 && told < since.indexOf('scheduler active'), 'lb2 knew lb1 drains before it took the role');
  const { after, fresh } = await held.release();
  owners.forEach((owner, i) => {
    // lb1 drains before it goes: its own connections end with it, or finish on it while it winds
    // down; never on another node.
    if (owner === 'lb1') t.ok(!after[i]!.ok || after[i]!.peer === a.address.lb1, `connection ${i} on lb1 ended with it or finished on it`);
    else t.same(after[i], { ok: true, peer: a.address[owner] }, `connection ${i} on ${owner} still works through the new scheduler`);
  });
  t.same(fresh.failures, [], '90 new connections all succeeded');
  t.same(Object.keys(fresh.byPeer).map((p) => a.nodeOf[p]).sort(), ['lb2', 'lb3'], 'lb2 (now the scheduler, self-delivering) and lb3 serve them');
  t.same(await stopped, { code: 0, signal: null }, 'lb1 exited 0 within its grace period');
});
