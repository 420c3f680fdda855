// Active back-end checks against real HTTP servers on loopback: which answers pass.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthMonitor } from '../../engine/l7/health.js';
import type { PoolOptions } from '../../engine/l7/types.js';
import { startBackend } from './fixtures/backends.js';

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
