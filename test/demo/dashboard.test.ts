// The demo's screen and summary as pure functions of the client's samples.
import t from 'tap';
import type { NodeStatus } from '../../engine/admin/status.js';
import { electedScheduler, renderDashboard, renderSummary, summarize } from '../../engine/demo/dashboard.js';
import { nodeOfVia, type DriverSample } from '../../engine/demo/driver.js';

function status(node: string, role: NodeStatus['role'], scheduler: string | null, forwarded = 0): NodeStatus {
  return {
    node, role, scheduler, draining: false, uptimeSeconds: 1,
    nodes: [{ id: 'lb1', up: true, weight: 1, draining: false }, { id: 'lb2', up: node !== 'lb3', weight: 1, draining: false }],
    backends: [{ pool: 'app', address: '198.18.0.101', port: 8080, up: true }],
    counters: { 'scheduler.packets.lb1': forwarded / 2, 'scheduler.packets.lb2': forwarded / 2, 'scheduler.drops.MALFORMED': 7 },
  };
}

function sample(t: number, byNode: Record<string, number>, statuses: DriverSample['statuses'], streams: DriverSample['streams'] = {}): DriverSample {
  return { t, http: { ok: 10, failed: 1 }, https: { ok: 2, failed: 0 }, byNode, streams, statuses, errors: { 'http ECONNRESET': 1 }, failedAt: [2.5, 10, 10.4, 13.9, 20], resets: [], loadStart: 0, epochMs: 0 };
}

t.test('nodeOfVia reads the node id lbarray puts in Via', async (t) => {
  const cases: Array<[string | string[] | undefined, string]> = [
    ['1.1 lbarray-lb2', 'lb2'],
    [['1.0 squid', '1.1 lbarray-node_3'], 'node_3'],
    [undefined, '?'],
    ['1.1 other-proxy', '?'],
  ];
  for (const [via, id] of cases) t.equal(nodeOfVia(via), id, JSON.stringify(via));
});

t.test('the elected scheduler: a node that says it is, named by every node that answers', async (t) => {
  t.equal(electedScheduler(sample(1, {}, [
    { id: 'lb1', error: 'down' },
    { id: 'lb2', status: status('lb2', 'scheduler', 'lb2') },
    { id: 'lb3', status: status('lb3', 'node', 'lb2') },
  ])), 'lb2', 'the claim and every answering node agree');
  t.equal(electedScheduler(sample(1, {}, [
    { id: 'lb1', status: status('lb1', 'node', 'lb1') },
    { id: 'lb2', status: status('lb2', 'scheduler', 'lb2') },
  ])), null, 'a node still naming another one: not settled');
  t.equal(electedScheduler(sample(1, {}, [
    { id: 'lb2', status: status('lb2', 'node', 'lb3') },
    { id: 'lb3', status: status('lb3', 'node', 'lb3') },
  ])), null, 'nobody claims the role');
  t.equal(electedScheduler(sample(1, {}, [{ id: 'lb1', error: 'down' }])), null, 'nobody answers');
});

t.test('the dashboard shows rates from two samples, roles, and down nodes', async (t) => {
  const before = sample(1, { lb1: 10, lb2: 0 }, [
    { id: 'lb1', status: status('lb1', 'scheduler', 'lb1', 1000) },
    { id: 'lb2', status: status('lb2', 'node', 'lb1') },
  ]);
  const now = sample(3, { lb1: 50, lb2: 20 }, [
    { id: 'lb1', status: status('lb1', 'scheduler', 'lb1', 5000) },
    { id: 'lb2', error: 'no answer' },
  ], { lb1: { open: 3, done: 1, reset: 0 } });
  const text = renderDashboard(now, before, [{ t: 2, text: 'SIGKILL lb9' }], 60);
  const lb1 = text.split('\n').find((l) => l.trim().startsWith('lb1'))!;
  t.match(lb1, /lb1\s+scheduler\s+lb1\s+20\s+2000\s+3 open, 0 reset/, '(50-10)/2 req/s, (5000-1000)/2 pkts/s, streams');
  t.match(text, /lb2\s+no answer/, 'a node that does not answer says so');
  t.match(text, /app\/198\.18\.0\.101:8080 up/, 'back-end health');
  t.match(text, /2\.0 s  SIGKILL lb9/, 'events listed');
  t.match(text, /failures:  http ECONNRESET ×1/, 'failures by reason');
});

t.test('the summary counts resets on surviving nodes apart from the killed one', async (t) => {
  const last = sample(30, { lb1: 5, lb2: 7 }, [], {
    lb1: { open: 0, done: 2, reset: 4 }, lb2: { open: 5, done: 9, reset: 0 }, '?': { open: 0, done: 0, reset: 1 },
  });
  const s = summarize(last, 'lb1', [{ cause: 'kill', from: 'lb1', to: 'lb2', seconds: 0.5, at: 11 }, { cause: 'preempt', from: 'lb2', to: 'lb1', seconds: 0.25, at: 25 }]);
  t.equal(s.survivorResets, 0);
  t.equal(s.failedOutsideFailover, 3, 'failures from 9 s (2 s before the kill) to 13.5 s (2 s after the takeover) are the failover\'s');
  t.equal(s.killedResets, 5, 'the killed node\'s streams and streams that never got an answer');
  const text = renderSummary(s);
  t.match(text, /lb1 killed → lb2 in 0\.50 s/);
  t.match(text, /preempt\s+lb1 took the role back from lb2/);
  t.match(text, /streams reset on surviving nodes\s+0/);
  const odd = renderSummary(summarize(last, 'lb1', [{ cause: 'unplanned', from: 'lb1', to: 'lb3', seconds: 0.3, at: 5 }]));
  t.match(odd, /unplanned takeover\s+lb3 took the role from lb1/, 'a takeover the demo did not cause is not called a preempt');
});
