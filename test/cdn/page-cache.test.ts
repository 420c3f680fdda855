// The page cache through real HTTP: a loopback back-end, a front server using CachingRewriter,
// node's HTTP client. Hit, miss, revalidation, conditional requests, Vary, purge, config change,
// coalescing (in one thread and across worker threads), byte bound.
import t from 'tap';
import http from 'node:http';
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { startWorker } from '../../engine/worker-thread.js';
import { PageCache, rulesHash } from '../../engine/cdn/page-cache.js';
import { PageCacheHost } from '../../engine/cdn/cache-channel.js';
import { CdnNode, RouteCdn } from '../../engine/cdn/index.js';
import { clientAgent, expected, get, rules, setup, startBackend } from '../fixtures/cdn/cache-rig.js';

t.teardown(() => clientAgent.destroy());

t.test('miss, then hits from the cache in the coding each client accepts', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/p', { headers: { 'cache-control': 'max-age=60', etag: '"e1"' } });
  const first = await get(front.port, '/p?x=1');
  t.equal(first.headers['x-cache'], 'MISS');
  t.equal(first.body, expected('/p?x=1', 1), 'rewritten page');
  for (const [accept, coding] of [['gzip', 'gzip'], ['br, gzip', 'br'], [undefined, undefined]] as const) {
    const r = await get(front.port, '/p?x=1', accept === undefined ? {} : { 'accept-encoding': accept });
    t.equal(r.headers['x-cache'], 'HIT', `hit (${accept ?? 'identity'})`);
    t.equal(r.headers['content-encoding'], coding, `sent as ${coding ?? 'identity'}`);
    t.equal(r.body, expected('/p?x=1', 1), 'the stored page');
    t.equal(r.headers['etag'], 'W/"e1"', 'weak ETag');
  }
  t.equal(backend.hits.get('/p?x=1'), 1, 'one back-end request for four client requests');
  const other = await get(front.port, '/p?x=2');
  t.equal(other.headers['x-cache'], 'MISS', 'the query is part of the key');
  const gz = await get(front.port, '/gz');
  t.equal(gz.headers['x-cache'], 'PASS', 'no freshness information: not stored');
});

t.test('gzip back-end page stored decoded and rewritten', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/g', { gzip: true, headers: { 'cache-control': 's-maxage=60' } });
  t.equal((await get(front.port, '/g')).body, expected('/g', 1));
  const hit = await get(front.port, '/g', { 'accept-encoding': 'gzip' });
  t.equal(hit.headers['x-cache'], 'HIT');
  t.equal(hit.body, expected('/g', 1));
});

t.test("clients' conditional requests are answered 304 from the cache", async (t) => {
  const { backend, front } = await setup(t);
  const lm = 'Tue, 24 Nov 2026 10:00:00 GMT';
  backend.behave.set('/c', { headers: { 'cache-control': 'max-age=60', etag: '"v7"', 'last-modified': lm } });
  await get(front.port, '/c');
  const cases: Array<[http.OutgoingHttpHeaders, number]> = [
    [{ 'if-none-match': 'W/"v7"' }, 304],
    [{ 'if-none-match': '"v7"' }, 304],
    [{ 'if-none-match': '"x", W/"v7"' }, 304],
    [{ 'if-none-match': '*' }, 304],
    [{ 'if-none-match': '"old"' }, 200],
    [{ 'if-modified-since': lm }, 304],
    [{ 'if-modified-since': 'Mon, 23 Nov 2026 10:00:00 GMT' }, 200],
    [{ 'if-none-match': '"old"', 'if-modified-since': lm }, 200],
  ];
  for (const [headers, status] of cases) {
    const r = await get(front.port, '/c', headers);
    t.equal(r.status, status, `${JSON.stringify(headers)} → ${status}`);
    if (status === 304) t.equal(r.body, '', '304 has no body');
  }
  t.equal(backend.hits.get('/c'), 1, 'the back-end saw none of them');
});

t.test('a stale page is revalidated with the back-end validators; 304 keeps it, 200 replaces it', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/r', { headers: { 'cache-control': 'max-age=10', etag: '"r1"', 'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT' } });
  await get(front.port, '/r');
  front.clock.t += 5_000;
  t.equal((await get(front.port, '/r')).headers['x-cache'], 'HIT', 'fresh for 10 s');
  front.clock.t += 6_000;
  const reval = await get(front.port, '/r');
  t.equal(reval.headers['x-cache'], 'REVALIDATED');
  t.equal(reval.body, expected('/r', 1), 'the stored body, not re-fetched');
  t.same(backend.conditionals.at(-1), { path: '/r', inm: '"r1"', ims: 'Tue, 24 Nov 2026 10:00:00 GMT' }, 'asked with If-None-Match and If-Modified-Since');
  t.equal((await get(front.port, '/r')).headers['x-cache'], 'HIT', 'fresh again after the 304');
  front.clock.t += 11_000;
  backend.behave.set('/r', { headers: { 'cache-control': 'max-age=10', etag: '"r2"' } });
  const changed = await get(front.port, '/r');
  t.equal(changed.headers['x-cache'], 'MISS', 'changed on the back-end: fetched in full');
  t.equal(changed.body, expected('/r', 3));
  t.equal((await get(front.port, '/r')).body, expected('/r', 3), 'and stored');
});

t.test('no-cache pages are revalidated on every use; Expires is obeyed', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/nc', { headers: { 'cache-control': 'no-cache', etag: '"n"' } });
  await get(front.port, '/nc');
  for (let i = 0; i < 3; i++) t.equal((await get(front.port, '/nc')).headers['x-cache'], 'REVALIDATED');
  t.equal(backend.conditionals.filter((c) => c.path === '/nc').length, 3);
  backend.behave.set('/ex', { headers: { expires: new Date(front.clock.t + 30_000).toUTCString(), date: new Date(front.clock.t).toUTCString() } });
  await get(front.port, '/ex');
  front.clock.t += 20_000;
  t.equal((await get(front.port, '/ex')).headers['x-cache'], 'HIT', 'before Expires');
  front.clock.t += 20_000;
  t.equal((await get(front.port, '/ex')).headers['x-cache'], 'MISS', 'after Expires (no validator: fetched again)');
});

t.test('no-store, private and Set-Cookie pages are never stored', async (t) => {
  const { backend, front } = await setup(t);
  const paths: Array<[string, Record<string, string | string[]>]> = [
    ['/ns', { 'cache-control': 'no-store, max-age=60' }],
    ['/pv', { 'cache-control': 'private, max-age=60' }],
    ['/ck', { 'cache-control': 'max-age=60', 'set-cookie': ['sid=1'] }],
  ];
  for (const [path, headers] of paths) {
    backend.behave.set(path, { headers });
    const bodies = [];
    for (let i = 0; i < 3; i++) {
      const r = await get(front.port, path);
      t.equal(r.headers['x-cache'], 'PASS', `${path}: not from the cache`);
      bodies.push(r.body);
    }
    t.equal(backend.hits.get(path), 3, `${path}: every request went to the back-end`);
    t.equal(bodies[2], expected(path, 3), `${path}: still rewritten`);
  }
});

t.test('Vary: one stored variant per value of the named request header', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/v', { headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language, Accept-Encoding' } });
  const de1 = await get(front.port, '/v', { 'accept-language': 'de' });
  const fr1 = await get(front.port, '/v', { 'accept-language': 'fr' });
  const de2 = await get(front.port, '/v', { 'accept-language': 'de', 'accept-encoding': 'gzip' });
  const fr2 = await get(front.port, '/v', { 'accept-language': 'fr' });
  t.same([de1.headers['x-cache'], fr1.headers['x-cache'], de2.headers['x-cache'], fr2.headers['x-cache']], ['MISS', 'MISS', 'HIT', 'HIT']);
  t.equal(de2.body, expected('/v', 1, 'de'), 'the German variant');
  t.equal(fr2.body, expected('/v', 2, 'fr'), 'the French variant');
  t.equal(backend.hits.get('/v'), 2);
  t.match(de2.headers['vary'], /Accept-Language/);
});

t.test('purge drops one URL or a prefix', async (t) => {
  const { backend, front } = await setup(t);
  for (const p of ['/docs/a', '/docs/b', '/shop/c']) backend.behave.set(p, { headers: { 'cache-control': 'max-age=600' } });
  for (const p of ['/docs/a', '/docs/b', '/shop/c']) await get(front.port, p);
  t.equal(await front.cache.purge('http://www.example.com/docs/a', false), 1, 'one URL');
  t.equal((await get(front.port, '/docs/a')).headers['x-cache'], 'MISS');
  t.equal((await get(front.port, '/docs/b')).headers['x-cache'], 'HIT');
  t.equal(await front.cache.purge('https://www.example.com/docs/', true), 2, 'a prefix (scheme does not matter)');
  t.equal((await get(front.port, '/docs/b')).headers['x-cache'], 'MISS');
  t.equal((await get(front.port, '/shop/c')).headers['x-cache'], 'HIT', 'outside the prefix: kept');
  t.equal(await front.cache.purge('/shop/', true), 1, 'a host-less path prefix');
  t.equal(await front.cache.purge('www.example.com', true), 1, 'a whole host (/docs/b, fetched again above)');
  t.equal(front.cache.store.size, 0);
});

t.test('a change of the rewrite rules empties the cache; pages of old rules are not stored', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/k', { headers: { 'cache-control': 'max-age=600' } });
  await get(front.port, '/k');
  t.equal(front.cache.store.size, 1);
  front.cache.setConfigHash(rulesHash([{ ...rules, baseUrls: ['https://other-cdn.example.net'] }]));
  t.equal(front.cache.store.size, 0, 'flushed');
  t.equal((await get(front.port, '/k')).headers['x-cache'], 'MISS');
  t.equal(front.cache.store.size, 0, 'this front still rewrites with the old rules: its page is refused');
});

t.test('100 concurrent misses for a key make one back-end request', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/hot', { delayMs: 500, headers: { 'cache-control': 'max-age=60' } });
  const all = await Promise.all(Array.from({ length: 100 }, () => get(front.port, '/hot')));
  t.equal(backend.hits.get('/hot'), 1, 'one back-end request');
  t.ok(all.every((r) => r.status === 200 && r.body === expected('/hot', 1)), 'every client got the page');
  t.equal(all.filter((r) => r.headers['x-cache'] === 'MISS').length, 1, 'one miss, the rest waited for it');
  t.equal(front.cache.counters.coalesced >= 99, true, 'the others were coalesced');
});

t.test('concurrent requests for a page that turns out not storable are not serialised', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/ns', { delayMs: 100, headers: { 'cache-control': 'no-store' } });
  const started = Date.now();
  const all = await Promise.all(Array.from({ length: 20 }, () => get(front.port, '/ns')));
  t.ok(all.every((r) => r.status === 200));
  t.equal(backend.hits.get('/ns'), 20, 'each went to the back-end (no sharing of a no-store page)');
  t.ok(Date.now() - started < 20 * 100, `waiters were released together (${Date.now() - started} ms)`);
});

t.test('the cache is bounded by bytes, least recently used first', async (t) => {
  const { backend, front } = await setup(t, { maxBytes: 6_000 });
  for (let i = 0; i < 10; i++) backend.behave.set(`/l${i}`, { headers: { 'cache-control': 'max-age=600' } });
  for (let i = 0; i < 10; i++) await get(front.port, `/l${i}`);
  t.ok(front.cache.store.bytes <= 6_000, `bytes ${front.cache.store.bytes} within the bound`);
  t.ok(front.cache.store.size < 10, `${front.cache.store.size} pages kept`);
  t.equal((await get(front.port, '/l9')).headers['x-cache'], 'HIT', 'the newest stays');
  t.equal((await get(front.port, '/l0')).headers['x-cache'], 'MISS', 'the oldest went');
});

t.test('a back-end error is passed on and nothing is stored', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/err', { status: 503, headers: { 'cache-control': 'max-age=60' } });
  const r = await get(front.port, '/err');
  t.equal(r.status, 503);
  t.equal((await get(front.port, '/err')).status, 503);
  t.equal(backend.hits.get('/err'), 2, 'not cached, not marked as pass either');
  backend.close();
  const down = await get(front.port, '/gone');
  t.equal(down.status, 502, 'back-end unreachable: 502');
});

t.test('pages over the size limit are streamed (rewritten, not stored); undecodable bodies pass as they came', async (t) => {
  const { backend, front } = await setup(t, { maxPageBytes: 64 });
  backend.behave.set('/big', { headers: { 'cache-control': 'max-age=60' } });
  const big = await get(front.port, '/big');
  t.equal(big.headers['x-cache'], 'PASS');
  t.equal(big.body, expected('/big', 1), 'still rewritten');
  t.equal((await get(front.port, '/big')).headers['x-cache'], 'PASS', 'and marked to skip the cache for a while');
  const { backend: b2, front: f2 } = await setup(t);
  b2.behave.set('/bad', { corrupt: true, headers: { 'cache-control': 'max-age=60' } });
  const bad = await get(f2.port, '/bad');
  t.equal(bad.headers['x-cache'], 'PASS');
  t.equal(bad.headers['content-encoding'], 'gzip', 'the back-end headers as they were');
  t.equal(bad.body, 'definitely not gzip', 'and its bytes');
  t.equal(f2.cache.store.size, 0);
});

t.test('HEAD is answered from the cache without a body', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/h', { headers: { 'cache-control': 'max-age=60' } });
  await get(front.port, '/h');
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.request({ host: '127.0.0.1', port: front.port, path: '/h', method: 'HEAD', agent: clientAgent, headers: { host: 'www.example.com' } }, resolve).on('error', reject).end());
  res.resume();
  t.equal(res.statusCode, 200);
  t.equal(res.headers['x-cache'], 'HIT');
  t.equal(Number(res.headers['content-length']), Buffer.byteLength(expected('/h', 1)));
  t.equal(backend.hits.get('/h'), 1);
});

t.test('a lease not completed in time is dropped and the waiter takes over', async (t) => {
  const cache = new PageCache({ maxBytes: 1 << 20, leaseMs: 50 });
  const first = await cache.lookup('h/x', {});
  t.equal(first.kind, 'miss');
  const keepAlive = setTimeout(() => {}, 1000); // the lease timer is unref'd, as a server's sockets keep the loop alive
  const second = await cache.lookup('h/x', {});
  clearTimeout(keepAlive);
  t.equal(second.kind, 'miss', 'after the timeout the waiter gets its own lease');
  t.equal(cache.counters.leaseTimeouts, 1);
});

t.test('workers share one cache: 100 concurrent misses over two worker threads make one back-end request', async (t) => {
  const backend = await startBackend();
  backend.behave.set('/shared', { delayMs: 200, headers: { 'cache-control': 'max-age=60' } });
  const node = new CdnNode({ maxBytes: 1 << 20 });
  node.configure([rules]);
  const workers: Array<{ worker: Worker; port: number }> = [];
  for (let i = 0; i < 2; i++) {
    const { port1, port2 } = new MessageChannel();
    node.attachWorker(port1);
    const worker = startWorker(new URL('../fixtures/cdn/cache-worker.ts', import.meta.url),
      { port: port2, backendPort: backend.port, rules, rulesHash: rulesHash([rules]) }, [port2]);
    const [msg] = await once(worker, 'message') as [{ port: number }];
    workers.push({ worker, port: msg.port });
  }
  t.teardown(async () => { backend.close(); for (const w of workers) await w.worker.terminate(); });
  const all = await Promise.all(Array.from({ length: 100 }, (_, i) => get(workers[i % 2].port, '/shared')));
  t.equal(backend.hits.get('/shared'), 1, 'one back-end request for both workers');
  t.ok(all.every((r) => r.body === expected('/shared', 1)), 'all 100 clients got the rewritten page');
  const hit = await get(workers[1].port, '/shared', { 'accept-encoding': 'br' });
  t.equal(hit.headers['x-cache'], 'HIT');
  t.equal(hit.body, expected('/shared', 1), 'a hit in the other worker reads the shared body');
  t.equal(await node.purge({ url: 'http://www.example.com/shared' }), 1, 'purge from the main thread');
  t.equal((await get(workers[0].port, '/shared')).headers['x-cache'], 'MISS');
  t.equal(await node.purge({ prefix: '/' }), 1);
});

t.test('a worker that goes away releases its leases', async (t) => {
  const cache = new PageCache({ maxBytes: 1 << 20 });
  const host = new PageCacheHost(cache);
  const { port1, port2 } = new MessageChannel();
  host.attach(port1);
  const { PageCacheClient } = await import('../../engine/cdn/cache-channel.js');
  const client = new PageCacheClient(port2);
  t.equal((await client.lookup('h/y', {})).kind, 'miss');
  const waiter = cache.lookup('h/y', {});
  client.close();
  t.equal((await waiter).kind, 'miss', 'the waiter takes the lease');
});

t.test('a worker answers repeated hits from its local index until the host purges or replaces', async (t) => {
  const cache = new PageCache({ maxBytes: 1 << 20 });
  const host = new PageCacheHost(cache);
  const { port1, port2 } = new MessageChannel();
  host.attach(port1);
  const { PageCacheClient } = await import('../../engine/cdn/cache-channel.js');
  const client = new PageCacheClient(port2);
  t.teardown(() => client.close());
  const store = async (body: string) => {
    const r = await client.lookup('h/z', { 'accept-language': 'de' });
    const lease = r.kind === 'miss' || r.kind === 'stale' ? r.lease : -1;
    const bytes = new Uint8Array(new SharedArrayBuffer(body.length));
    bytes.set(Buffer.from(body));
    await client.complete('h/z', lease, { kind: 'store', page: { key: 'h/z', vary: ['accept-language'], varyValues: ['de'], status: 200, headers: {}, bodies: { identity: bytes }, storedAt: 0, freshUntil: Date.now() + 60_000, rules: '' } });
  };
  await store('one');
  t.equal((await client.lookup('h/z', { 'accept-language': 'de' })).kind, 'hit', 'hit from the host');
  t.equal(client.localHits, 0);
  const again = await client.lookup('h/z', { 'accept-language': 'de' });
  t.equal(again.kind, 'hit');
  t.equal(client.localHits, 1, 'then from the local index, no message');
  const fr = await client.lookup('h/z', { 'accept-language': 'fr' });
  t.equal(fr.kind, 'miss', 'another Vary variant is not taken from it');
  await client.complete('h/z', fr.kind === 'miss' ? fr.lease : -1, { kind: 'abandon' });
  t.equal(await client.purge('h/z', false), 1);
  t.equal((await client.lookup('h/z', { 'accept-language': 'de' })).kind, 'miss', 'purged: the local index is dropped');
  t.equal(client.localHits, 1);
});

t.test('RouteCdn: streaming plan without a cache, caching with one', async (t) => {
  const route = new RouteCdn(rules, [rules], undefined);
  t.equal(route.caching, undefined);
  t.ok(route.plan({ method: 'GET', url: new URL('http://a.example/') }, { status: 200, headers: { 'content-type': 'text/html' } }));
  const cached = new RouteCdn({ ...rules, cache: { enabled: true } }, [rules], new PageCache({ maxBytes: 1000 }));
  t.ok(cached.caching);
  const disabled = new RouteCdn({ ...rules, cache: { enabled: false } }, [rules], new PageCache({ maxBytes: 1000 }));
  t.equal(disabled.caching, undefined);
});

/** A node's cache with room for two 1000-byte pages, and one worker's client of it (on a clock the test moves). */
async function twoPageCache(t: Tap.Test) {
  const body = 1000;
  const cache = new PageCache({ maxBytes: 2 * (512 + 3 + body) + 100 });
  const host = new PageCacheHost(cache);
  const { port1, port2 } = new MessageChannel();
  host.attach(port1);
  const { PageCacheClient } = await import('../../engine/cdn/cache-channel.js');
  const clock = { t: Date.now() };
  const client = new PageCacheClient(port2, () => clock.t);
  t.teardown(() => client.close());
  const store = async (key: string) => {
    const r = await client.lookup(key, {});
    const bytes = new Uint8Array(new SharedArrayBuffer(body));
    await client.complete(key, r.kind === 'miss' ? r.lease : -1, { kind: 'store', page: { key, vary: [], varyValues: [], status: 200, headers: {}, bodies: { identity: bytes }, storedAt: clock.t, freshUntil: clock.t + 600_000, rules: '' } });
  };
  return { cache, client, clock, store };
}

t.test("pages a worker serves from its local index stay recently used in the node's LRU", async (t) => {
  const { cache, client, clock, store } = await twoPageCache(t);
  await store('h/a');
  await store('h/b');
  t.equal((await client.lookup('h/a', {})).kind, 'hit', 'a from the node (its index now has a)');
  t.equal((await client.lookup('h/b', {})).kind, 'hit', 'b from the node: b is the most recent there');
  clock.t += 5_000;
  for (let i = 0; i < 3; i++) await client.lookup('h/a', {});
  t.equal(client.localHits, 3, 'a is then served from the local index only');
  await store('h/c'); // one page must go
  t.equal(cache.store.size, 2);
  t.equal((await cache.lookup('h/a', {})).kind, 'hit', 'a, used last (locally), stays');
  t.equal((await cache.lookup('h/b', {})).kind, 'miss', 'b, used longest ago, went');
});

t.test('a page the node evicts is dropped from the workers too (its memory is not held past the byte bound)', async (t) => {
  const { cache, client, store } = await twoPageCache(t);
  await store('h/a');
  t.equal((await client.lookup('h/a', {})).kind, 'hit', 'a from the node: now in the local index');
  await store('h/b');
  await store('h/c'); // a goes
  t.equal(cache.store.size, 2);
  const again = await client.lookup('h/a', {});
  t.equal(again.kind, 'miss', 'the worker no longer serves the evicted page');
  if (again.kind === 'miss') await client.complete('h/a', again.lease, { kind: 'abandon' });
});
