// The per-client request rate limit: its arithmetic (a sliding-window estimate over hash groups
// shared by the workers), and the proxy answering 429 to real clients.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { L7Node } from '../../engine/l7/workers.js';
import { rawExchange, startBackend } from './fixtures/backends.js';
import { createRateLimitBuffer, RateLimiter } from '../../engine/l7/rate-limit.js';
import { siblingEntry, startWorker } from '../../engine/worker-thread.js';

const exec = promisify(execFile);
const T0 = 1_700_000_000_000; // a window boundary for 1 s intervals

t.test('within one window: exactly `requests` pass, then every further request is refused', async (t) => {
  const r = new RateLimiter({ requests: 10, intervalMs: 1000 });
  const passed = Array.from({ length: 25 }, (_, i) => r.allow('198.18.9.1', T0 + i)).filter(Boolean).length;
  t.equal(passed, 10);
  t.equal(r.allow('198.18.9.2', T0 + 30), true, 'another client has its own count');
  t.equal(r.retryAfterSeconds, 1);
});

t.test('the sliding window: the previous window weighs by how much of it is still covered', async (t) => {
  const r = new RateLimiter({ requests: 10, intervalMs: 1000 });
  for (let i = 0; i < 10; i++) t.ok(r.allow('c', T0 + i));
  // 250 ms into the next window, 3/4 of the previous one is covered: 7.5 + 0 < 10, so 3 pass (7.5+2 < 10, 7.5+3 >= 10).
  const at250 = Array.from({ length: 10 }, () => r.allow('c', T0 + 1250)).filter(Boolean).length;
  t.equal(at250, 3, '10 × 0.75 + 3 reaches the limit');
  // 900 ms in: 10 × 0.1 + 3 = 4 so far, 6 more pass.
  const at900 = Array.from({ length: 10 }, () => r.allow('c', T0 + 1900)).filter(Boolean).length;
  t.equal(at900, 6);
  // Two windows later the old counts are gone.
  const later = Array.from({ length: 12 }, () => r.allow('c', T0 + 3000)).filter(Boolean).length;
  t.equal(later, 10, 'after a quiet window: the full rate again');
});

t.test('refused requests do not count: a client that stops hammering passes again within one interval', async (t) => {
  const r = new RateLimiter({ requests: 5, intervalMs: 1000 });
  for (let i = 0; i < 1000; i++) r.allow('flood', T0 + i % 1000);
  t.equal(r.allow('flood', T0 + 2000), true, 'two windows on: free again');
});

t.test('bad group counts are refused with the field and the range', async (t) => {
  t.throws(() => createRateLimitBuffer(0), { code: 'ERR_L7_RATE_GROUPS', message: /between 1 and 16777216, but received 0/ });
});

t.test('workers share the counts: 4 racing threads × 20000 requests of one client, 50 allowed in all', async (t) => {
  const buffer = createRateLimitBuffer(1024);
  const start = new SharedArrayBuffer(8); // [go, threads ready]
  const entry = siblingEntry(import.meta.url, 'fixtures/rate-limit-worker');
  const workers = Array.from({ length: 4 }, () => startWorker(entry, { buffer, requests: 50, n: 20_000, now: T0, start }));
  const counts = Promise.all(workers.map((w) => new Promise<number>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
  const go = new Int32Array(start);
  while (Atomics.load(go, 1) < 4) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50)); // the last one from its count to its wait
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  const allowed = await counts;
  t.equal(allowed.reduce((a, b) => a + b, 0), 50, `allowed per thread: ${allowed.join(', ')}`);
});

t.test('two workers, one client address: 10 of 15 new connections served, then 429 with Retry-After on a kept-alive connection; another address is not limited', async (t) => {
  // Windows are aligned to the clock: a window that rolls during the test lets one more request
  // through (the sliding estimate, as designed), so start at least HEADROOM_MS before a roll.
  const INTERVAL_MS = 3_600_000;
  const HEADROOM_MS = 120_000;
  const left = INTERVAL_MS - (Date.now() % INTERVAL_MS);
  if (left < HEADROOM_MS) await new Promise((r) => setTimeout(r, left + 100));
  const be = await startBackend('be');
  const node = await L7Node.start({
    workers: 2, rateLimit: { requests: 10, intervalMs: INTERVAL_MS },
    services: [{ name: 'web', host: '0.0.0.0', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  });
  t.teardown(async () => { await node.stop(); await be.close(); });
  const port = node.ports.web;
  const curl = async (from: string) => (await exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', from, `http://127.0.0.1:${port}/`])).stdout;
  const codes: string[] = [];
  for (let i = 0; i < 15; i++) codes.push(await curl('127.0.0.1'));
  t.same(codes, [...Array(10).fill('200'), ...Array(5).fill('429')], '10 served, then refused');
  t.ok((await node.stats()).every((w) => w.accepted > 0), 'both workers took connections: the count is shared');
  t.equal(await curl('127.0.0.2'), '200', 'another client address has its own count');

  // Two requests on one connection: both answered 429, the connection stays open between them.
  const { text, closed } = await rawExchange(port, 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
  const answers = text.split('HTTP/1.1 ').slice(1);
  t.equal(answers.length, 2, 'both pipelined requests answered');
  t.match(answers[0], /^429 Too Many Requests\r\n/);
  t.match(answers[0], /\r\nRetry-After: 3600\r\n/, 'Retry-After: one interval');
  t.notMatch(answers[0], /Connection: close/, 'keep-alive kept');
  t.equal(closed, false, 'the proxy did not close the connection');
  const refused = (await node.takeMetrics()).flatMap((d) => d.requests).filter((r) => r.status === 429).reduce((n, r) => n + r.count, 0);
  t.equal(refused, 7, 'refusals counted (lbarray_requests_total status 429)');
  t.equal(be.requests, 11, 'the back-end saw only the requests that passed');
});
