// The operator's state of a back-end server, as a pool applies it and as two proxy workers do: `drain` takes no new clients
// but keeps the persistent ones, `maint` takes nothing (its clients move), `ready` undoes both.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { cookieOf, get, serverOf } from './fixtures/client.js';
import { BackendPool } from '../../engine/l7/backend-pool.js';
import { parseRequestHead } from '../../engine/l7/http/parser.js';
import { defaultHeadLimits } from '../../engine/l7/http/limits.js';
import type { PoolOptions } from '../../engine/l7/types.js';

const request = (cookie?: string) =>
  parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\nHost: x${cookie ? `\r\nCookie: ${cookie}` : ''}\r\n\r\n`, 'latin1'), 0, defaultHeadLimits)!;
const servers = [{ id: 'a', host: '127.0.0.1', port: 1 }, { id: 'b', host: '127.0.0.1', port: 2 }, { id: 'c', host: '127.0.0.1', port: 3 }];
const pool = (o: Partial<PoolOptions> = {}) => new BackendPool({ name: 'p', servers, ...o }, { secret: 'test' });
/** The servers fresh clients get over `n` requests. */
const fresh = (p: BackendPool, n = 30) => new Set(Array.from({ length: n }, () => p.choose(request(), '198.18.9.1')?.server.id));
/** The cookie a client gets when its first request lands on `id`. */
function pinnedTo(p: BackendPool, id: string): string {
  for (let i = 0; i < 10; i++) {
    const c = p.choose(request(), '198.18.9.1')!;
    if (c.server.id === id) return /Set-Cookie: ([^;]+)/.exec(c.addHeaders)![1];
  }
  throw new Error(`no pick of ${id}`);
}

for (const policy of [{ kind: 'round-robin' }, { kind: 'weighted-round-robin' }, { kind: 'least-connections' }, { kind: 'hash', on: 'client-address' }] as const) {
  t.test(`${policy.kind}: drain and maint take a server out of new picks; ready puts it back`, async (t) => {
    const p = pool({ policy });
    const before = fresh(p, 300);
    p.setState('b', { admin: 'drain' });
    const drained = fresh(p, 300);
    t.notOk(drained.has('b'), 'drained: no new client');
    t.ok(drained.size > 0 && !drained.has(undefined), 'the others still serve');
    p.setState('b', { admin: 'maint' });
    t.notOk(fresh(p, 300).has('b'), 'maintenance: no new client');
    p.setState('b', { admin: 'ready' });
    t.same(fresh(p, 300), before, 'ready: picked as before');
  });
}

t.test('drain keeps persistent clients (cookie injection); maint moves them, and they stay moved', async (t) => {
  const p = pool({ persistence: { kind: 'cookie' } });
  const cookie = pinnedTo(p, 'b');
  p.setState('b', { admin: 'drain' });
  for (let i = 0; i < 5; i++) t.equal(p.choose(request(cookie), '198.18.9.1')!.server.id, 'b', 'drained: the pinned client stays');
  t.notOk(fresh(p).has('b'), 'drained: fresh clients go elsewhere');
  p.setState('b', { admin: 'maint' });
  const moved = p.choose(request(cookie), '198.18.9.1')!;
  t.not(moved.server.id, 'b', 'maintenance: the pinned client moves');
  t.match(moved.addHeaders, /^Set-Cookie: /, 'and is given a cookie for its new server');
  const next = /Set-Cookie: ([^;]+)/.exec(moved.addHeaders)![1];
  p.setState('b', { admin: 'ready' });
  t.equal(p.choose(request(next), '198.18.9.1')!.server.id, moved.server.id, 'back to ready: the moved client keeps its new server');
});

t.test('health and the operator state are separate: a server in maintenance that heals stays out until ready', async (t) => {
  const p = pool();
  p.setState('a', { admin: 'maint' });
  p.setState('a', { up: false });
  p.setState('a', { up: true });
  t.notOk(fresh(p).has('a'), 'healthy again, still in maintenance');
  t.equal(p.serverById('a')!.healthy, true);
  p.setState('a', { admin: 'ready' });
  t.ok(fresh(p).has('a'), 'ready: back');
  p.setState('a', { up: false });
  p.setState('a', { admin: 'ready' });
  t.notOk(fresh(p).has('a'), 'ready but unhealthy: still out');
});

t.test('every server drained or in maintenance: no server (503), unless a backup is up', async (t) => {
  const p = pool();
  for (const id of ['a', 'b', 'c']) p.setState(id, { admin: id === 'b' ? 'maint' : 'drain' });
  t.equal(p.choose(request(), '198.18.9.1'), undefined);
  const withBackup = new BackendPool({ name: 'p', servers: [...servers, { id: 'd', host: '127.0.0.1', port: 4, backup: true }] }, { secret: 'test' });
  for (const id of ['a', 'b', 'c']) withBackup.setState(id, { admin: 'drain' });
  t.same(fresh(withBackup), new Set(['d']), 'the backup takes over');
});

t.test('two workers: drain keeps cookie clients and sends new ones elsewhere; a replaced worker and a restarted node keep the state', async (t) => {
  const bs = await Promise.all(['a', 'b'].map((id) => startBackend(id)));
  t.teardown(() => Promise.all(bs.map((b) => b.close())));
  const options = {
    workers: 2,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', persistence: { kind: 'cookie' as const, name: 'LB' }, servers: bs.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) }],
  };
  const l7 = await L7Node.start(options);
  t.teardown(() => l7.stop());
  const port = l7.ports.web;
  let cookie = '';
  while (cookie === '') { const r = await get(port, '/'); if (serverOf(r) === 'a') cookie = cookieOf(r, 'LB')!; }

  t.equal(l7.setAdminState('p', 'nope', 'drain'), false, 'an unknown server is refused');
  t.equal(l7.setAdminState('p', 'a', 'drain'), true);
  // Workers take messages in order: once they answer a stats request, they have the state.
  await l7.stats();
  const pinned = await Promise.all(Array.from({ length: 20 }, () => get(port, '/', { headers: { Cookie: cookie } })));
  t.same([...new Set(pinned.map(serverOf))], ['a'], 'drained: 20 requests with the cookie still reach a');
  const fresh = await Promise.all(Array.from({ length: 20 }, () => get(port, '/')));
  t.same([...new Set(fresh.map(serverOf))], ['b'], 'drained: 20 new clients all get b');

  // A crashed worker's replacement starts with the state.
  await l7.threads()[0].terminate();
  // Under a loaded test run a worker can take seconds to start; it answers stats once it listens.
  for (let i = 0; i < 600 && l7.threads().length < 2; i++) await sleep(50);
  t.equal(l7.replaced, 1, 'the worker was replaced');
  const acceptedBefore = (await l7.stats()).map((w) => w.accepted);
  const afterCrash = await Promise.all(Array.from({ length: 40 }, () => get(port, '/')));
  const acceptedAfter = (await l7.stats()).map((w) => w.accepted);
  t.ok(acceptedAfter.every((n, i) => n > acceptedBefore[i]), `both workers took some of 40 new connections (${acceptedBefore} -> ${acceptedAfter})`);
  t.same([...new Set(afterCrash.map(serverOf))], ['b'], 'the replacement worker also keeps a drained');

  t.equal(l7.setAdminState('p', 'a', 'maint'), true);
  await l7.stats();
  const moved = await get(port, '/', { headers: { Cookie: cookie } });
  t.equal(serverOf(moved), 'b', 'maintenance: the cookie client moves to b');
  t.ok(cookieOf(moved, 'LB'), 'with a new cookie');
  t.same(l7.adminStates(), [{ pool: 'p', server: 'a', admin: 'maint' }]);

  // A reload starts a new node with the old one's states.
  const next = await L7Node.start({ ...options, workers: 1 }, {}, { adminStates: l7.adminStates() });
  t.teardown(() => next.stop());
  const onNext = await Promise.all(Array.from({ length: 20 }, () => get(next.ports.web, '/')));
  t.same([...new Set(onNext.map(serverOf))], ['b'], 'the new node starts with a in maintenance');
  t.equal(next.adminState('p', 'a'), 'maint');
  next.setAdminState('p', 'a', 'ready');
  await next.stats();
  const ready = await Promise.all(Array.from({ length: 20 }, () => get(next.ports.web, '/')));
  t.same(new Set(ready.map(serverOf)), new Set(['a', 'b']), 'ready: a serves again');
});
