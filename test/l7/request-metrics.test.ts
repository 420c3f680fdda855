// Request metrics: counted by the workers, handed over as deltas on each scrape, exported by the
// node's registry. Real workers, real clients (curl, raw sockets), real TLS.
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMetrics } from '../../engine/admin/metrics.js';
import { applyCacheMetrics, applyRequestMetrics } from '../../engine/daemon/l7-metrics.js';
import { PageCache } from '../../engine/cdn/page-cache.js';
import { L7Node } from '../../engine/l7/workers.js';
import { bucketOf, LATENCY_BUCKETS, RequestMetrics } from '../../engine/l7/request-metrics.js';
import { rawExchange, startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';

const exec = promisify(execFile);

t.test('bucketOf: a duration goes to the first bound it does not exceed', async (t) => {
  t.equal(bucketOf(0), 0);
  t.equal(bucketOf(0.0001), 0, 'on a bound: that bucket (le)');
  t.equal(bucketOf(0.00011), 1);
  t.equal(bucketOf(10), LATENCY_BUCKETS.length - 1);
  t.equal(bucketOf(11), LATENCY_BUCKETS.length, 'above every bound: the overflow bucket');
});

t.test('take() hands over the counts once', async (t) => {
  const m = new RequestMetrics();
  m.record('p', 200, 0.002);
  m.record('p', 200, 0.0021);
  m.record('-', 400, 0);
  m.handshake(false);
  m.handshake(true);
  m.handshakeFailed();
  const first = m.take();
  t.same(first.requests, [{ pool: 'p', status: 200, count: 2 }, { pool: '-', status: 400, count: 1 }]);
  t.equal(first.durations.find((d) => d.pool === 'p')!.counts[bucketOf(0.0025)], 2);
  t.equal(+first.durations.find((d) => d.pool === 'p')!.sum.toFixed(6), 0.0041);
  t.same(first.tls, { full: 1, resumed: 1, failed: 1 });
  const second = m.take();
  t.same([second.requests, second.durations, second.tls], [[], [], { full: 0, resumed: 0, failed: 0 }], 'nothing twice');
});

t.test('a scrape exports what two workers served: requests by pool and status, durations, TLS handshakes, open connections', async (t) => {
  const be = await startBackend('be');
  const certs = makeCertDir();
  const cert = certs.make(['a.test']);
  const node = await L7Node.start({
    workers: 2,
    services: [
      { name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' },
      { name: 'tls', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: cert.cert, key: cert.key }] } },
    ],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  });
  t.teardown(async () => { await node.stop(); await be.close(); certs.cleanup(); });
  const metrics = createMetrics({ defaultLabels: { node: 'lb1' } });
  const scrape = async () => {
    applyRequestMetrics(metrics, await node.takeMetrics());
    return metrics.registry.metrics();
  };
  const web = node.ports.web;
  for (let i = 0; i < 20; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${web}/r${i}`]);
  for (let i = 0; i < 5; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${web}/status/404`]);
  await rawExchange(web, 'BAD\r\n\r\n');
  for (let i = 0; i < 3; i++) await exec('curl', ['-sSk', '-o', '/dev/null', `https://127.0.0.1:${node.ports.tls}/`]);
  // Three client connections held open.
  const held = await Promise.all([0, 1, 2].map(async () => { const s = net.connect(web, '127.0.0.1'); await once(s, 'connect'); return s; }));
  t.teardown(() => { for (const s of held) s.destroy(); });
  await new Promise((r) => setTimeout(r, 100));
  const text = await scrape();
  t.match(text, /lbarray_requests_total\{pool="p",status="200",node="lb1"\} 23\n/, '20 plain and 3 TLS requests answered 200');
  t.match(text, /lbarray_requests_total\{pool="p",status="404",node="lb1"\} 5\n/, 'the back-end\'s 404s');
  t.match(text, /lbarray_requests_total\{pool="-",status="400",node="lb1"\} 1\n/, 'the malformed request, with no pool');
  t.match(text, /lbarray_request_duration_seconds_count\{pool="p",node="lb1"\} 28\n/, 'a duration for every answered request of the pool');
  t.match(text, /lbarray_tls_handshakes_total\{result="ok",resumed="false",node="lb1"\} 3\n/, 'three full TLS handshakes');
  t.match(text, /lbarray_client_connections\{service="web",node="lb1"\} 3\n/, 'the three held connections');
  await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${web}/once-more`]);
  const again = await scrape();
  t.match(again, /lbarray_requests_total\{pool="p",status="200",node="lb1"\} 24\n/, 'the next scrape adds only what came since');
  t.match(again, /lbarray_requests_total\{pool="p",status="404",node="lb1"\} 5\n/, 'and counts nothing twice');
});

t.test('a stopped node\'s workers hand over their last counts as they exit (a reload\'s old workers count on until then)', async (t) => {
  const be = await startBackend('be');
  t.teardown(() => be.close());
  const node = await L7Node.start({
    workers: 2,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  });
  const web = node.ports.web;
  for (let i = 0; i < 4; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${web}/before`]);
  const sum = (deltas: Awaited<ReturnType<L7Node['takeMetrics']>>) => deltas.flatMap((d) => d.requests).reduce((n, r) => n + r.count, 0);
  t.equal(sum(await node.takeMetrics()), 4, 'a scrape while it runs');
  for (let i = 0; i < 7; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${web}/after`]);
  t.equal(node.stopped, false);
  await node.stop({ graceful: true });
  t.equal(node.stopped, true, 'every worker has exited');
  t.equal(sum(await node.takeMetrics()), 7, 'the 7 requests served after the last scrape are not lost with the threads');
  t.same(await node.takeMetrics(), [], 'and are handed over once');
});

t.test('the page cache and the rewriter reach the registry: lookups by result, bytes, pages by result', async (t) => {
  const metrics = createMetrics();
  const cache = new PageCache({ maxBytes: 1 << 20 });
  const seen: Record<string, number> = {};
  const miss = await cache.lookup('k', {});
  t.equal(miss.kind, 'miss');
  const body = new Uint8Array(1000);
  await cache.complete('k', (miss as { lease: number }).lease, {
    kind: 'store', page: { key: 'k', vary: [], varyValues: [], status: 200, headers: {}, bodies: { identity: body }, storedAt: Date.now(), freshUntil: Date.now() + 60_000, rules: cache.configHash },
  });
  for (let i = 0; i < 3; i++) t.equal((await cache.lookup('k', {})).kind, 'hit');
  applyCacheMetrics(metrics, cache, seen);
  let text = await metrics.registry.metrics();
  t.match(text, /lbarray_cdn_cache_lookups_total\{result="hit"\} 3\n/);
  t.match(text, /lbarray_cdn_cache_lookups_total\{result="miss"\} 1\n/);
  t.match(text, /lbarray_cdn_cache_bytes \d{4,}\n/, 'the stored page\'s bytes');
  await cache.lookup('k', {});
  applyCacheMetrics(metrics, cache, seen);
  text = await metrics.registry.metrics();
  t.match(text, /lbarray_cdn_cache_lookups_total\{result="hit"\} 4\n/, 'the next scrape adds one hit, not four');

  const m = new RequestMetrics();
  m.cdnStats.pages += 5;
  m.cdnStats.pagesPassedThrough += 1;
  applyRequestMetrics(metrics, [m.take()]);
  m.cdnStats.pages += 2;
  applyRequestMetrics(metrics, [m.take()]);
  text = await metrics.registry.metrics();
  t.match(text, /lbarray_cdn_rewrites_total\{result="rewritten"\} 6\n/, '4 + 2 pages rewritten');
  t.match(text, /lbarray_cdn_rewrites_total\{result="passthrough"\} 1\n/, 'one passed on unmodified');
});

t.test('connections closed when accepted reach the registry by reason: limit (proxy.maxConnections), denied (proxy.allow / proxy.deny), client_limit (proxy.maxConnectionsPerClient)', async (t) => {
  const metrics = createMetrics();
  const [a, b] = [new RequestMetrics(), new RequestMetrics()];
  a.dropped += 2;
  a.denied += 1;
  b.denied += 3;
  a.clientLimited += 4;
  b.clientLimited += 1;
  applyRequestMetrics(metrics, [a.take(), b.take()]);
  applyRequestMetrics(metrics, [a.take(), b.take()]);
  const text = await metrics.registry.metrics();
  t.match(text, /lbarray_client_connections_dropped_total\{reason="limit"\} 2\n/, 'over the limit, summed over the workers');
  t.match(text, /lbarray_client_connections_dropped_total\{reason="denied"\} 4\n/, 'refused by the access lists, once each');
  t.match(text, /lbarray_client_connections_dropped_total\{reason="client_limit"\} 5\n/, 'over the per-client limit, summed over the workers');
});
