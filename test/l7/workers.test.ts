// The L7 node with worker threads on SO_REUSEPORT sockets, driven by real HTTP clients.
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { L7Node, shareAmongWorkers } from '../../engine/l7/workers.js';
import type { L7Options, PoolOptions } from '../../engine/l7/types.js';
import { startBackend, type Backend } from './fixtures/backends.js';
import { cookieOf, get, sClient, serverOf } from './fixtures/client.js';
import { makeCertDir } from './fixtures/certs.js';

async function node(t: Tap.Test, n: number, pool: Partial<PoolOptions>, backends: Backend[]) {
  const options: L7Options = {
    workers: n,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: backends.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })), ...pool }],
  };
  const health: string[] = [];
  const l7 = await L7Node.start(options, { onHealth: (p, s, up, reason) => health.push(`${s} ${up ? 'up' : 'down'}: ${reason}`) });
  t.teardown(() => l7.stop());
  return { l7, port: l7.ports.web, health };
}

declare global { namespace Tap { type Test = import('tap').Test } }

async function backends(t: Tap.Test, ids: string[]): Promise<Backend[]> {
  const list = await Promise.all(ids.map((id) => startBackend(id)));
  t.teardown(() => Promise.all(list.map((b) => b.close())));
  return list;
}

t.test('two workers share the port; cookie injection holds across 200 requests on new connections', async (t) => {
  const bs = await backends(t, ['a', 'b', 'c']);
  const { l7, port } = await node(t, 2, { persistence: { kind: 'cookie', name: 'LB' } }, bs);
  const first = await get(port, '/');
  const cookie = cookieOf(first, 'LB');
  t.ok(cookie, 'the LB sets its cookie');
  t.notMatch(cookie!, /127\.0\.0\.1|:\d+/, 'the cookie does not reveal the server address');
  const pinned = serverOf(first);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const r = await get(port, `/?i=${i}`, { headers: { Cookie: cookie! } });
    seen.add(serverOf(r));
    t.notOk(r.headers['set-cookie'], 'no new cookie while the server is up') || i;
    if (r.status !== 200) t.fail(`status ${r.status}`);
  }
  t.same([...seen], [pinned], '200 requests all went to the pinned server');
  const stats = await l7.stats();
  t.equal(stats.length, 2);
  t.ok(stats.every((s) => s.accepted > 0), `both workers accepted connections (${stats.map((s) => s.accepted).join('/')})`);
  // Without the cookie, round robin spreads the requests.
  const spread = new Set<string>();
  for (let i = 0; i < 12; i++) spread.add(serverOf(await get(port, '/')));
  t.equal(spread.size, 3, 'without a cookie all servers serve');
});

t.test('cookie of a server that is down: clean fallback and a new cookie', async (t) => {
  const bs = await backends(t, ['a', 'b']);
  const { l7, port } = await node(t, 2, { persistence: { kind: 'cookie', name: 'LB' } }, bs);
  const first = await get(port, '/');
  const pinned = serverOf(first);
  const cookie = cookieOf(first, 'LB')!;
  l7.setServerState({ pool: 'p', server: pinned, up: false });
  await sleep(50);
  const moved = await get(port, '/', { headers: { Cookie: cookie } });
  t.equal(moved.status, 200);
  t.not(serverOf(moved), pinned, 'moved to the other server');
  t.ok(cookieOf(moved, 'LB'), 'and given a cookie for it');
  t.not(cookieOf(moved, 'LB'), cookie);
  const forged = await get(port, '/', { headers: { Cookie: 'LB=forged-value' } });
  t.equal(forged.status, 200, 'an unknown cookie value is ignored');
});

t.test('session-ID persistence: learnt by one worker, honoured by all (shared hash groups)', async (t) => {
  const bs = await backends(t, ['a', 'b', 'c']);
  const { port } = await node(t, 2, { persistence: { kind: 'session-id' } }, bs);
  const sessions: Array<{ cookie: string; server: string }> = [];
  for (let i = 0; i < 6; i++) {
    const r = await get(port, '/login');
    sessions.push({ cookie: cookieOf(r, 'JSESSIONID')!, server: serverOf(r) });
  }
  t.equal(new Set(sessions.map((s) => s.server)).size, 3, 'logins spread over the servers');
  let wrong = 0;
  for (let i = 0; i < 200; i++) {
    const s = sessions[i % sessions.length];
    const r = await get(port, `/page/${i}`, { headers: { Cookie: `theme=dark; ${s.cookie}` } });
    if (serverOf(r) !== s.server) wrong++;
  }
  t.equal(wrong, 0, '200 requests on new connections each reached their session\'s server');
  // Session IDs in URLs: learnt from a redirect's Location, honoured in the path.
  const redirect = await get(port, '/redirect-session');
  const location = String(redirect.headers.location);
  t.match(location, /;jsessionid=/);
  for (let i = 0; i < 10; i++) t.equal(serverOf(await get(port, location)), serverOf(redirect), `URL session ${i}`);
});

t.test('a crashed worker is replaced; the other worker keeps its connections', async (t) => {
  const bs = await backends(t, ['a']);
  const { l7, port } = await node(t, 2, {}, bs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const before = await get(port, '/', { agent });
  const stats = await l7.stats();
  const idle = stats.find((s) => s.connections === 0);
  t.ok(idle, 'one worker holds no connection');
  const threads = l7.threads();
  await threads[stats.indexOf(idle!)].terminate();
  const after = await get(port, '/', { agent });
  t.equal(after.status, 200);
  t.equal(after.localPort, before.localPort, 'same client connection still served');
  for (let i = 0; i < 50 && l7.threads().length < 2; i++) await sleep(50);
  t.equal(l7.replaced, 1, 'the dead worker was replaced');
  t.equal(l7.threads().length, 2);
  await sleep(200);
  for (let i = 0; i < 20; i++) t.equal((await get(port, '/')).status, 200, `new connection ${i}`);
});

t.test('active health: a killed back-end\'s clients move within fall × interval, then no client error', async (t) => {
  const bs = await backends(t, ['a', 'b']);
  const interval = 100;
  const fall = 2;
  const { port, health } = await node(t, 2, {
    persistence: { kind: 'cookie', name: 'LB' },
    health: { path: '/health', intervalMs: interval, timeoutMs: 100, fall, rise: 2 },
  }, bs);
  // Clients pinned to a.
  const cookies: string[] = [];
  for (let i = 0; cookies.length < 4 && i < 40; i++) {
    const r = await get(port, '/');
    if (serverOf(r) === 'a') cookies.push(cookieOf(r, 'LB')!);
  }
  t.equal(cookies.length, 4);
  await bs[0].close();
  const killedAt = Date.now();
  await sleep(fall * interval + 2 * interval);
  let errors = 0;
  for (let i = 0; i < 100; i++) {
    const r = await get(port, '/', { headers: { Cookie: cookies[i % 4] } });
    if (r.status !== 200 || serverOf(r) !== 'b') errors++;
  }
  t.equal(errors, 0, `no client error once ${Date.now() - killedAt} ms passed`);
  t.match(health, [/^a down: 2 checks failed/]);
  // It comes back after `rise` successes.
  const again = await startBackend('a', bs[0].port);
  t.teardown(() => again.close());
  await sleep((2 + 2) * interval);
  t.match(health, [/^a down/, /^a up: 2 checks passed/]);
});

t.test('passive health: connection errors seen by workers take a server down', async (t) => {
  const bs = await backends(t, ['a', 'b']);
  const { port, health } = await node(t, 2, { health: { passiveErrors: 2, intervalMs: 60_000 } }, bs);
  await bs[0].close();
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await get(port, '/')).status);
  t.match(health, [/^a down: 2 connection errors/]);
  t.same(statuses, statuses.map(() => 200), 'refused connections were redispatched to b: no client error at all');
});


t.test('TLS session resumption with shared ticket keys works whichever worker takes the connection', async (t) => {
  const certs = makeCertDir();
  t.teardown(() => certs.cleanup());
  const a = certs.make(['a.test']);
  const tlsService = { certificates: [{ cert: a.cert, key: a.key }] };
  const be = await startBackend('be');
  const node = await L7Node.start({ workers: 2, services: [{ name: 's', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: tlsService }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }] });
  t.teardown(async () => { await node.stop(); await be.close(); });
  const port = node.ports.s;
  for (const v of ['1_2', '1_3']) {
    const sess = path.join(certs.dir, `sess${v}`);
    const first = await sClient(port, ['-servername', 'a.test', `-tls${v}`, '-sess_out', sess]);
    t.match(first, /^New, TLSv1/m, `TLS ${v}: first connection is a full handshake`);
    let reused = 0;
    for (let i = 0; i < 8; i++) if (/^Reused, TLSv1/m.test(await sClient(port, ['-servername', 'a.test', `-tls${v}`, '-sess_in', sess]))) reused++;
    t.equal(reused, 8, `TLS ${v}: 8 of 8 reconnections resumed`);
  }
  const stats = await node.stats();
  t.ok(stats.every((s) => s.accepted > 0), `both workers served TLS connections (${stats.map((s) => s.accepted).join('/')})`);
});

t.test('start-up errors are LbErrors with codes', async (t) => {
  await t.rejects(L7Node.start({ services: [{ name: 'w', host: '127.0.0.1', port: 0, defaultPool: 'nope' }], pools: [] }), { code: 'ERR_L7_NO_SUCH_POOL' });
  await t.rejects(L7Node.start({ workers: 0, services: [], pools: [] }), { code: 'ERR_L7_WORKERS' });
  await t.rejects(L7Node.start({ workers: 1, services: [{ name: 'w', host: '127.0.0.1', port: 0, defaultPool: 'p', routes: [{ pathRegex: '(', pool: 'p' }] }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: 1 }] }] }), { code: 'ERR_L7_ROUTE_REGEX' });
});

t.test('slow start: a back-end that comes back up gets a small share first, its full share after slowStart', async (t) => {
  const bs = await backends(t, ['a', 'b']);
  const interval = 100;
  const slowStartMs = 3000;
  const { port, health } = await node(t, 2, {
    policy: { kind: 'weighted-round-robin' }, slowStartMs,
    health: { path: '/health', intervalMs: interval, timeoutMs: 100, fall: 2, rise: 2 },
  }, bs);
  const shareOfA = async (n: number) => {
    let a = 0;
    for (let i = 0; i < n; i++) if (serverOf(await get(port, '/')) === 'a') a++;
    return a;
  };
  await bs[0].close();
  await sleep(5 * interval);
  t.match(health, [/^a down/]);
  const again = await startBackend('a', bs[0].port);
  t.teardown(() => again.close());
  for (let i = 0; i < 50 && !health.some((h) => /^a up/.test(h)); i++) await sleep(20);
  const upAt = Date.now();
  const early = await shareOfA(40);
  const earlyMs = Date.now() - upAt;
  // Each worker's cycle starts at weights 20:1 and gains a step every slowStart / 20.
  t.ok(early <= 8, `a served ${early} of the first 40 requests (within ${earlyMs} ms of coming up)`);
  await sleep(Math.max(0, upAt + slowStartMs + 4 * interval - Date.now()));
  const late = await shareOfA(40);
  t.ok(late >= 16 && late <= 24, `after slowStart a served ${late} of 40 (an equal share is 20)`);
});

t.test('shareAmongWorkers: the node\'s connection limits split over the workers, rounded up', async (t) => {
  const options: L7Options = {
    maxConnections: 1000,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: 1, maxConnections: 5 }, { id: 'b', host: '127.0.0.1', port: 2 }] }],
  };
  const share = shareAmongWorkers(options, 3);
  t.equal(share.maxConnections, 334);
  t.equal(share.pools[0].servers[0].maxConnections, 2, '5 over 3 workers: 2 each, never 0');
  t.equal(share.pools[0].servers[1].maxConnections, undefined, 'no limit stays none');
  t.equal(options.maxConnections, 1000, 'the node\'s options are left alone');
  t.equal(shareAmongWorkers({ ...options, maxConnections: undefined }, 2).maxConnections, undefined);
});
