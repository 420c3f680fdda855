// The L4 tier in the lab (issue 3): 1200 requests over fresh connections through the VIP, IPv4
// and IPv6, all succeed and spread evenly over the three LB nodes (each within 20 % of a third),
// the scheduler (lb1) included. Why 1200: for a perfect hash a node's count is binomial (p = 1/3);
// the 300 leave the band in about 6 % of runs, 600 did once in a clean CI run (241 of
// 600), 1200 leave it with a probability under 1e-6 per node (the band is 4.9 standard deviations).
// The scheduler's share arrives through the self-delivery path. Direct server return: a 20 MB download
// served by another node sends less than 5 % of its bytes through the scheduler's interface. Real processes: `lbarray run` on lb2 and lb3,
// the same daemon with the scheduler role on lb1. The VIP answers ping.
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

const REQUESTS = 1200;

t.test('fresh connections through the VIP spread over all three nodes, the scheduler included', async (t) => {
  const a = await startArray(t);
  const vip = a.lab.requireVip();
  for (const [family, address] of [['IPv4', vip.v4], ['IPv6', vip.v6]] as const) {
    const [r] = await a.client(['fresh', address, '80', String(REQUESTS)]);
    const { byPeer, failures } = r as { byPeer: Record<string, number>; failures: string[] };
    t.same(failures, [], `${family}: all ${REQUESTS} requests succeeded`);
    const shares = Object.fromEntries(Object.entries(a.address).map(([id, addr]) => [id, byPeer[addr] ?? 0]));
    t.equal(Object.values(shares).reduce((x, y) => x + y, 0), REQUESTS, `${family}: every response came through a known node`);
    for (const [id, n] of Object.entries(shares)) {
      t.ok(Math.abs(n - REQUESTS / 3) <= 0.2 * REQUESTS / 3, `${family}: ${id} served ${n} of ${REQUESTS} (within 20 % of a third)`);
    }
    t.ok(shares.lb1! > 0, `${family}: the scheduler served its share through self-delivery (${shares.lb1})`);
  }
  const status = await a.status('lb1');
  t.equal(status.role, 'scheduler', 'lb1 reports the scheduler role');
  t.ok(status.counters['scheduler.packets.lb1']! > 0, 'the scheduler counted frames to itself');
  // The drop count is read in the background, at most every 5 s.
  let drops = 0;
  for (const until = Date.now() + 12_000; drops === 0 && Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
    drops = (await a.status('lb1')).counters['scheduler.vipGuardDrops'] ?? 0;
  }
  t.ok(drops > 0, `its own kernel was kept out of VIP frames (nftables drops counted: ${drops})`);
  const { stdout: metrics } = await a.lab.exec(a.lab.clients[0]!.name, ['curl', '-s', '--max-time', '3', `http://${a.address.lb1}:9180/metrics`]);
  t.match(metrics, /lbarray_scheduler_packets_total\{target="lb1",array="array-test",node="lb1"\} [1-9]/, 'per-node packet counters reach /metrics');
  t.match(metrics, /lbarray_scheduler_drops_total\{reason="not_vip",array="array-test",node="lb1"\} [1-9]/, 'drops by reason reach /metrics');
  t.match(metrics, /lbarray_requests_total\{pool="app",status="200",array="array-test",node="lb1"\} [1-9]/, 'the requests lb1 answered reach /metrics, by pool and status');
  t.match(metrics, /lbarray_request_duration_seconds_count\{pool="app",array="array-test",node="lb1"\} [1-9]/, 'and their durations');
  const others = await Promise.all(['lb2', 'lb3'].map((id) => a.status(id)));
  t.same(others.map((s) => s.role), ['node', 'node'], 'the other nodes are plain LB nodes');

  // Direct server return: a 20 MB download served by another node never crosses the scheduler.
  const before = await a.lab.linkStats('lb1');
  const lines = await a.client(['download', vip.v4, '80', '20', a.address.lb1!]);
  const after = await a.lab.linkStats('lb1');
  const done = lines.find((l) => l.phase === 'done') as { status: number; bytes: number; peer: string };
  t.equal(done.status, 200, `the download succeeded (served by ${a.nodeOf[done.peer]})`);
  t.equal(done.bytes, 20 << 20, '20 MiB arrived');
  const sent = after.tx.bytes - before.tx.bytes;
  t.ok(sent < 0.05 * done.bytes, `the scheduler's interface transmitted ${sent} bytes, under 5 % of ${done.bytes}`);

  // The VIP answers ping, IPv4 and IPv6: the scheduler's responder replies from the VIP.
  for (const address of [vip.v4, vip.v6]) {
    const { stdout } = await a.lab.exec(a.lab.clients[0]!.name, ['ping', '-c', '3', '-i', '0.2', '-W', '2', address]);
    t.match(stdout, /3 packets transmitted, 3 received/, `ping ${address}: 3 of 3 answered`);
    t.match(stdout, new RegExp(`from ${address.replaceAll('.', '\\.')}: icmp_seq=1`), 'by the VIP');
  }
  t.ok((await a.status('lb1')).counters['scheduler.echoRequests']! >= 6, 'the scheduler counted the pings');
});
