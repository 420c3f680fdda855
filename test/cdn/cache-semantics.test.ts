// What a user of nginx's proxy_cache or Varnish expects of the page cache, through real HTTP on
// loopback: HEAD served from (and filling) the cache, an Age that counts the back-end's own, no
// shared pages for Authorization requests, Range requests on cached pages, Vary: * not stored.
import t from 'tap';
import { clientAgent, expected, request, get, setup } from '../fixtures/cdn/cache-rig.js';

t.teardown(() => clientAgent.destroy());

t.test('a HEAD on a cold page fills the cache with a GET (as nginx and Varnish do); the GET after it is a hit', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/h', { headers: { 'cache-control': 'max-age=60' } });
  const head = await request(front.port, '/h', {}, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.raw.length, 0, 'no body');
  t.equal(head.headers['content-length'], String(Buffer.byteLength(expected('/h', 1))), 'the length of the rewritten page');
  t.same(backend.requests, ['GET /h'], 'the back-end was asked for the page, not its head');
  const page = await get(front.port, '/h');
  t.equal(page.headers['x-cache'], 'HIT', 'the GET after the HEAD is served from the cache');
  t.equal(page.body, expected('/h', 1));
});

t.test('HEADs of pages that are not stored do not hold connections to the back-end', async (t) => {
  // One connection to the back-end: a HEAD whose back-end response is never read would keep it.
  const { backend, front } = await setup(t, { originSockets: 1 });
  backend.behave.set('/ns', { headers: { 'cache-control': 'no-store' } });
  for (let i = 0; i < 3; i++) t.equal((await request(front.port, '/ns', {}, 'HEAD')).status, 200, `HEAD ${i + 1}`);
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
  const got = await Promise.race([get(front.port, '/ns').then((r) => r.body), timeout]);
  t.equal(got, expected('/ns', 4), 'a GET after them gets its page');
});

t.test("Age counts the age the back-end's response arrived with, and starts again at a revalidation", async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/a', { headers: { 'cache-control': 'max-age=60', age: '30' } });
  backend.behave.set('/rv', { headers: { 'cache-control': 'max-age=10', etag: '"rv"' } });
  // [what it proves, path, seconds after the step before, X-Cache, Age]
  const steps: Array<[string, string, number, string, string]> = [
    ['on the miss: the age it came with', '/a', 0, 'MISS', '30'],
    ['30 s old on arrival, 10 s in the cache', '/a', 10, 'HIT', '40'],
    ['stale once Age passes max-age (65 > 60), not 35 s after storing', '/a', 25, 'MISS', '30'],
    ['stored', '/rv', 0, 'MISS', '0'],
    ['the back-end has just confirmed it: Age starts again', '/rv', 15, 'REVALIDATED', '0'],
    ['and counts from the revalidation', '/rv', 3, 'HIT', '3'],
  ];
  for (const [name, path, later, state, age] of steps) {
    front.clock.t += later * 1000;
    const r = await get(front.port, path);
    t.same([r.headers['x-cache'], r.headers['age']], [state, age], name);
  }
});

t.test('requests with Authorization are neither answered from the cache nor stored, and do not disturb it', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/acct', { headers: { 'cache-control': 'max-age=60, s-maxage=60' } });
  t.equal((await get(front.port, '/acct')).headers['x-cache'], 'MISS');
  const authed = await get(front.port, '/acct', { authorization: 'Basic dTpw' });
  t.equal(authed.headers['x-cache'], 'PASS', 'the signed-in user is not given the shared page');
  t.equal(authed.body, expected('/acct', 2), "the back-end's answer for that user, rewritten");
  t.equal((await get(front.port, '/acct')).headers['x-cache'], 'HIT', 'the shared page is still served to others');

  backend.behave.set('/cold', { headers: { 'cache-control': 'max-age=60' } });
  t.equal((await get(front.port, '/cold', { authorization: 'Bearer x' })).headers['x-cache'], 'PASS');
  t.equal((await get(front.port, '/cold')).headers['x-cache'], 'MISS', 'an anonymous request after it fills the cache (no pass mark left)');
  t.equal((await get(front.port, '/cold')).headers['x-cache'], 'HIT');
});

t.test('Range requests on a cached page: one range 206, an unsatisfiable one 416, several or a stale If-Range the whole page', async (t) => {
  const { backend, front } = await setup(t);
  const lm = 'Tue, 24 Nov 2026 10:00:00 GMT';
  backend.behave.set('/r', { headers: { 'cache-control': 'max-age=60', etag: '"r"', 'last-modified': lm } });
  const whole = Buffer.from(expected('/r', 1));
  const size = whole.length;
  const first = await get(front.port, '/r', { range: 'bytes=0-9' });
  t.equal(first.status, 206, 'a range on the miss that stored the page');
  t.equal(first.raw.toString(), whole.subarray(0, 10).toString());
  const cases: Array<{ name: string; headers: Record<string, string>; status: number; range?: string; body?: Buffer }> = [
    { name: 'first bytes', headers: { range: 'bytes=0-9' }, status: 206, range: `bytes 0-9/${size}`, body: whole.subarray(0, 10) },
    { name: 'open-ended', headers: { range: 'bytes=100-' }, status: 206, range: `bytes 100-${size - 1}/${size}`, body: whole.subarray(100) },
    { name: 'suffix', headers: { range: 'bytes=-7' }, status: 206, range: `bytes ${size - 7}-${size - 1}/${size}`, body: whole.subarray(size - 7) },
    { name: 'end past the length is cut', headers: { range: `bytes=5-${size + 100}` }, status: 206, range: `bytes 5-${size - 1}/${size}`, body: whole.subarray(5) },
    { name: 'past the end', headers: { range: `bytes=${size}-` }, status: 416, range: `bytes */${size}`, body: Buffer.alloc(0) },
    { name: 'several ranges: the whole page', headers: { range: 'bytes=0-1,5-6' }, status: 200, body: whole },
    { name: 'not bytes: the whole page', headers: { range: 'lines=1-2' }, status: 200, body: whole },
    { name: 'If-Range with the Last-Modified date', headers: { range: 'bytes=0-3', 'if-range': lm }, status: 206, range: `bytes 0-3/${size}`, body: whole.subarray(0, 4) },
    { name: 'If-Range with another date', headers: { range: 'bytes=0-3', 'if-range': 'Mon, 23 Nov 2026 10:00:00 GMT' }, status: 200, body: whole },
    { name: 'If-Range with the (weak) ETag: never a strong match', headers: { range: 'bytes=0-3', 'if-range': 'W/"r"' }, status: 200, body: whole },
  ];
  for (const c of cases) {
    const r = await get(front.port, '/r', c.headers);
    t.equal(r.status, c.status, `${c.name}: ${c.status}`);
    t.equal(r.headers['content-range'], c.range, `${c.name}: Content-Range`);
    t.equal(r.raw.toString(), c.body?.toString(), `${c.name}: the bytes`);
    t.equal(r.headers['x-cache'], 'HIT', `${c.name}: from the cache`);
  }
  const gz = await get(front.port, '/r', { range: 'bytes=0-1', 'accept-encoding': 'gzip' });
  t.equal(gz.status, 206);
  t.same([...gz.raw], [0x1f, 0x8b], 'a range of the gzip body a gzip client is sent');
  t.equal((await get(front.port, '/r')).headers['accept-ranges'], 'bytes', 'cached pages say they take ranges');
  t.equal(backend.hits.get('/r'), 1, 'the back-end saw one request');
  t.same(backend.requests, ['GET /r'], 'and no Range');
});

t.test('Vary: * is never stored', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/vs', { headers: { 'cache-control': 'max-age=60', vary: '*' } });
  for (let i = 1; i <= 2; i++) {
    const r = await get(front.port, '/vs');
    t.equal(r.headers['x-cache'], 'PASS');
    t.equal(r.body, expected('/vs', i), 'rewritten, fetched each time');
  }
  t.equal(front.cache.store.size, 0);
});

t.test("what the cache does not answer goes to the back-end with the client's Range and validators", async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/v.mp4', { type: 'video/mp4', ranges: true, headers: { etag: '"m"', 'cache-control': 'max-age=60' } });
  const whole = await get(front.port, '/v.mp4');
  t.equal(whole.status, 200, 'the first request: the whole file (the cache learns it is not a page)');
  const range = await get(front.port, '/v.mp4', { range: 'bytes=2-5' });
  t.equal(range.status, 206, "a seek gets the back-end's 206");
  t.equal(range.headers['content-range'], `bytes 2-5/${whole.raw.length}`);
  t.equal(range.raw.toString(), whole.raw.subarray(2, 6).toString());
  const cond = await get(front.port, '/v.mp4', { 'if-none-match': '"m"' });
  t.equal(cond.status, 304, "a revalidation gets the back-end's 304");

  backend.behave.set('/ns', { ranges: true, headers: { 'cache-control': 'no-store' } });
  await get(front.port, '/ns');
  const page = await get(front.port, '/ns', { range: 'bytes=0-3' });
  t.equal(page.status, 200, 'a range of a page that is rewritten: the whole page (offsets would be wrong)');
  t.equal(page.body, expected('/ns', 3), 'rewritten');
  t.same(backend.requests.slice(-2), ['GET /ns', 'GET /ns'], 'asked again without the range');
});

t.test("a client's Cache-Control: no-store keeps its answer out of the cache, and only its answer", async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/q', { headers: { 'cache-control': 'max-age=60' } });
  t.equal((await get(front.port, '/q', { 'cache-control': 'no-store' })).headers['x-cache'], 'PASS');
  t.equal(front.cache.store.size, 0, 'not stored');
  t.equal((await get(front.port, '/q')).headers['x-cache'], 'MISS', 'the next client fills the cache (no pass mark for the page)');
  t.equal((await get(front.port, '/q')).headers['x-cache'], 'HIT');
});

t.test('a purge while the page is being fetched keeps that fetch out of the cache', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/p', { delayMs: 400, headers: { 'cache-control': 'max-age=600' } });
  const inFlight = get(front.port, '/p');
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal(await front.cache.purge('/p', false), 0, 'nothing stored yet');
  t.equal((await inFlight).body, expected('/p', 1), 'the fetch still answers its client');
  t.equal(front.cache.store.size, 0, 'but what it fetched before the purge is not stored');
  backend.behave.set('/p', { headers: { 'cache-control': 'max-age=600' } });
  t.equal((await get(front.port, '/p')).body, expected('/p', 2), 'the next request fetches afresh');
});

t.test('a page with Set-Cookie is stored only when the back-end says to keep the cookie out, and then without it', async (t) => {
  const { backend, front } = await setup(t);
  backend.behave.set('/sc', { headers: { 'cache-control': 'max-age=60, private="Set-Cookie"', 'set-cookie': ['sid=first; Path=/'] } });
  const miss = await get(front.port, '/sc');
  t.equal(miss.headers['x-cache'], 'MISS');
  t.same(miss.headers['set-cookie'], ['sid=first; Path=/'], 'the client whose request filled the cache gets its cookie');
  const hit = await get(front.port, '/sc');
  t.equal(hit.headers['x-cache'], 'HIT');
  t.equal(hit.headers['set-cookie'], undefined, "nobody else gets that client's cookie");
  t.equal(hit.body, expected('/sc', 1));
});

t.test('a compressed page that decodes past the page limit is streamed (rewritten, not stored), never inflated whole', async (t) => {
  const { backend, front } = await setup(t, { maxPageBytes: 4096 });
  backend.behave.set('/z', { gzip: true, filler: 100_000, headers: { 'cache-control': 'max-age=60' } });
  const r = await get(front.port, '/z', { 'accept-encoding': 'gzip' });
  t.equal(r.headers['x-cache'], 'PASS', 'a few hundred bytes of gzip, 100 kB of page: over the 4 kB limit');
  t.equal(r.body, expected('/z', 1) + ' '.repeat(100_000), 'rewritten as it streams');
  t.equal(front.cache.store.size, 0, 'not stored');
});
