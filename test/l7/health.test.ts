// Active back-end checks against real HTTP servers on loopback: which answers pass.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthMonitor } from '../../engine/l7/health.js';
import type { PoolOptions } from '../../engine/l7/types.js';
import { L7Node } from '../../engine/l7/workers.js';
import { rawExchange, startBackend } from './fixtures/backends.js';

t.test('the check passes on any of the expected statuses, fails on others', async (t) => {
  const b = await startBackend('a');
  t.teardown(() => b.close());
  const pool = (name: string, path: string, expectStatus: number[]): PoolOptions => ({
    name, servers: [{ id: 'a', host: '127.0.0.1', port: b.port }], health: { path, expectStatus, intervalMs: 30, timeoutMs: 500, rise: 1, fall: 2 },
  });
  const changes: string[] = [];
  const monitor = new HealthMonitor([
    pool('list', '/status/204', [200, 204]),
    pool('one', '/status/204', [200]),
    pool('redirect', '/status/302', [200, 301, 302]),
  ], (p, s, up, reason) => changes.push(`${p} ${up ? 'up' : 'down'}: ${reason}`));
  t.teardown(() => monitor.stop());
  monitor.start();
  await sleep(300);
  t.same(changes.filter((c) => c.startsWith('list')), [], '204 passes when [200, 204] is expected');
  t.same(changes.filter((c) => c.startsWith('redirect')), [], '302 passes when it is listed');
  t.match(changes.filter((c) => c.startsWith('one')), [/^one down: .*status 204/], '204 fails when only 200 is expected, and the reason says so');
});

t.test('passive: a burst of 5xx answers seen by the workers takes the server down; then the proxy answers 503', async (t) => {
  const b = await startBackend('a');
  t.teardown(() => b.close());
  const changes: string[] = [];
  const l7 = await L7Node.start({
    workers: 2,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: b.port }], health: { path: '/', intervalMs: 60_000, fiveXxBurst: 5, fiveXxWindowMs: 10_000 } }],
  }, { onHealth: (_p, s, up, reason) => changes.push(`${s} ${up ? 'up' : 'down'}: ${reason}`) });
  t.teardown(() => l7.stop());
  const port = l7.ports.web;
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await rawExchange(port, 'GET /status/500 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text.startsWith('HTTP/1.1 500') ? 500 : 0);
  t.same(statuses, [500, 500, 500, 500], 'the back-end\'s 500s reach the client');
  t.same(changes, [], 'four are not a burst of five');
  await rawExchange(port, 'GET /status/503 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  for (let i = 0; i < 50 && changes.length === 0; i++) await sleep(10);
  t.match(changes, [/^a down: 5 5xx responses within 10000 ms/], 'the fifth takes it down');
  await sleep(50);
  const after = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.match(after.text, /^HTTP\/1\.1 503 /, 'no server up: 503');
});
