// CDN rewriting and the shared page cache in the live proxy: a real L7Node with two workers, a
// real HTML back-end on loopback, node's HTTP client. The cache lives in this thread (CdnNode),
// as the daemon runs it.
import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CdnNode } from '../../engine/cdn/index.js';
import { nodeCdnRules } from '../../engine/l7/proxy.js';
import type { L7Options, RouteCdnOptions } from '../../engine/l7/types.js';
import { L7Node } from '../../engine/l7/workers.js';
import { makeCertDir } from './fixtures/certs.js';
import { get, type Reply } from './fixtures/client.js';

const PAGE = '<!doctype html><html><head><link rel="stylesheet" href="/static/site.css"><script src="/app/main.js"></script></head>'
  + '<body><img src=\'/img/logo.png\' alt="x"><a href="/static/doc.html">doc</a><p>Text /static/a.css</p></body></html>';
const REWRITTEN = PAGE.replace('"/static/site.css"', '"http://cdn1.test/static/site.css"').replace("'/img/logo.png'", "'http://cdn1.test/img/logo.png'");
const CDN: RouteCdnOptions = { baseUrls: ['http://cdn1.test'], include: { prefixes: ['/static/'], extensions: ['.png'] } };

/** Counts requests per path; /gz/ pages come gzip-encoded and uncacheable, the others cacheable with an ETag. */
async function htmlBackend(t: Tap.Test): Promise<{ port: number; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (path.startsWith('/gz/')) {
      res.setHeader('content-encoding', 'gzip');
      res.setHeader('cache-control', 'no-store');
      res.end(zlib.gzipSync(PAGE));
      return;
    }
    res.setHeader('cache-control', 'max-age=60');
    res.setHeader('etag', '"v1"');
    res.end(PAGE);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  return { port: (server.address() as AddressInfo).port, hits };
}

declare global { namespace Tap { type Test = import('tap').Test } }

/** Two workers; /raw/ has no CDN block, every other path takes the default route's. */
async function cdnNode(t: Tap.Test) {
  const backend = await htmlBackend(t);
  const options: L7Options = {
    workers: 2,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, routes: [{ pathPrefix: '/raw/', pool: 'p' }], defaultPool: 'p', defaultCdn: CDN }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }], health: { intervalMs: 60_000 } }],
  };
  const cdn = new CdnNode({ maxBytes: 1 << 20 });
  cdn.configure(nodeCdnRules(options));
  const l7 = await L7Node.start(options, {}, { pageCache: cdn });
  t.teardown(() => l7.stop());
  return { l7, cdn, options, port: l7.ports.web, hits: backend.hits };
}

const raw = (r: Reply) => Buffer.from(r.body, 'latin1');

t.test('a CDN route: select URLs rewritten, every other byte as the back-end sent it', async (t) => {
  const { port } = await cdnNode(t);
  const r = await get(port, '/page');
  t.equal(r.status, 200);
  t.equal(raw(r).toString('utf8'), REWRITTEN);
  t.equal(r.headers['x-cache'], 'MISS');
  t.equal(r.headers.etag, 'W/"v1"', 'the validator is weak: the bytes changed');
  t.equal(r.headers['content-length'], String(Buffer.byteLength(REWRITTEN)));
});

t.test('a gzip back-end response is rewritten as it streams and re-encoded for a gzip client', async (t) => {
  const { port, hits } = await cdnNode(t);
  const gz = await get(port, '/gz/page', { headers: { 'accept-encoding': 'gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gz.headers['x-cache'], 'PASS', 'no-store: streamed, not stored');
  t.equal(zlib.gunzipSync(raw(gz)).toString('utf8'), REWRITTEN);
  const plain = await get(port, '/gz/page');
  t.equal(plain.headers['content-encoding'], undefined, 'a client without gzip gets identity');
  t.equal(plain.body, REWRITTEN);
  t.equal(hits.get('/gz/page'), 2);
});

t.test('the page cache is shared by both workers; If-None-Match gets 304 from it; purge empties it', async (t) => {
  const { l7, cdn, port, hits } = await cdnNode(t);
  const first = await get(port, '/shared');
  t.equal(first.headers['x-cache'], 'MISS');
  // New connections spread over both workers (SO_REUSEPORT); each request is its own connection.
  const states: string[] = [];
  for (let i = 0; i < 16; i++) {
    const r = await get(port, '/shared');
    states.push(String(r.headers['x-cache']));
    if (r.body !== REWRITTEN) t.fail(`request ${i}: body differs`);
  }
  const served = (await l7.stats()).map((s) => s.requests);
  t.ok(served.every((n) => n > 0), `both workers served the page (${served.join('/')})`);
  t.same(new Set(states), new Set(['HIT']), 'every later request is a hit');
  t.equal(hits.get('/shared'), 1, 'the back-end saw one request');

  const cond = await get(port, '/shared', { headers: { 'if-none-match': String(first.headers.etag) } });
  t.equal(cond.status, 304);
  t.equal(cond.body, '');
  t.equal(hits.get('/shared'), 1, 'the 304 came from the cache');

  t.equal(await cdn.purge({ url: `http://127.0.0.1:${port}/shared` }), 1, 'purge drops the page the workers stored');
  const after = await get(port, '/shared');
  t.equal(after.headers['x-cache'], 'MISS');
  t.equal(hits.get('/shared'), 2, 'after the purge the back-end is asked again');
});

t.test('HEAD from the cache: the length of the page, no body; keep-alive holds', async (t) => {
  const { port, hits } = await cdnNode(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  await get(port, '/head', { agent });
  const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path: '/head', method: 'HEAD', agent }, resolve).on('error', reject).end();
  });
  head.resume();
  await once(head, 'end');
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-length'], String(Buffer.byteLength(REWRITTEN)));
  const again = await get(port, '/head', { agent });
  t.equal(again.body, REWRITTEN, 'the connection carries on after the HEAD');
  t.equal(hits.get('/head'), 1);
});

t.test('new CDN rules (a reload) invalidate the cached pages', async (t) => {
  const { cdn, options, port, hits } = await cdnNode(t);
  await get(port, '/rules');
  t.equal((await get(port, '/rules')).headers['x-cache'], 'HIT');
  cdn.configure([...nodeCdnRules(options), { ...CDN, baseUrls: ['http://cdn2.test'] }]);
  t.equal((await get(port, '/rules')).headers['x-cache'], 'MISS');
  t.equal(hits.get('/rules'), 2);
});

t.test('a route without a cdn block passes HTML through untouched', async (t) => {
  const { port, hits } = await cdnNode(t);
  for (let i = 0; i < 2; i++) {
    const r = await get(port, '/raw/page');
    t.equal(r.body, PAGE);
    t.equal(r.headers['x-cache'], undefined);
    t.equal(r.headers.etag, '"v1"');
  }
  t.equal(hits.get('/raw/page'), 2, 'nothing cached');
});

t.test('through the live proxy: a HEAD fills the cache, a Range of a cached page is 206, Authorization skips the cache', async (t) => {
  const { port, hits } = await cdnNode(t);
  const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path: '/cold', method: 'HEAD', agent: false }, resolve).on('error', reject).end();
  });
  head.resume();
  await once(head, 'end');
  t.equal(head.headers['content-length'], String(Buffer.byteLength(REWRITTEN)), 'HEAD: the length of the rewritten page');
  t.equal((await get(port, '/cold')).headers['x-cache'], 'HIT', 'the GET after the HEAD is a hit');
  const range = await get(port, '/cold', { headers: { range: 'bytes=10-19' } });
  t.equal(range.status, 206);
  t.equal(range.headers['content-range'], `bytes 10-19/${Buffer.byteLength(REWRITTEN)}`);
  t.equal(range.body, Buffer.from(REWRITTEN).subarray(10, 20).toString('latin1'));
  const authed = await get(port, '/cold', { headers: { authorization: 'Basic dTpw' } });
  t.equal(authed.headers['x-cache'], 'PASS', 'a signed-in request goes to the back-end');
  t.equal(hits.get('/cold'), 2, 'the back-end saw the fill and the signed-in request');
});

t.test("Vary names the request as the back-end got it: X-Forwarded-Proto keeps http and https pages apart", async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'max-age=60', vary: 'X-Forwarded-Proto' });
    res.end(`<a href="${String(req.headers['x-forwarded-proto'])}://www.example.com/">home</a>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const certs = makeCertDir();
  const cert = certs.make(['www.example.com']);
  t.teardown(() => { server.close(); certs.cleanup(); });
  const pool = { name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: (server.address() as AddressInfo).port }], health: { intervalMs: 60_000 } };
  const options: L7Options = {
    workers: 1,
    services: [
      { name: 'web', host: '127.0.0.1', port: 0, routes: [], defaultPool: 'p', defaultCdn: CDN },
      { name: 'secure', host: '127.0.0.1', port: 0, routes: [], defaultPool: 'p', defaultCdn: CDN, tls: { certificates: [{ cert: cert.cert, key: cert.key }] } },
    ],
    pools: [pool],
  };
  const cdn = new CdnNode({ maxBytes: 1 << 20 });
  cdn.configure(nodeCdnRules(options));
  const l7 = await L7Node.start(options, {}, { pageCache: cdn });
  t.teardown(() => l7.stop());
  const plain = await get(l7.ports.web, '/', { headers: { host: 'www.example.com' } });
  t.equal(plain.body, '<a href="http://www.example.com/">home</a>');
  const secure = await new Promise<string>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: l7.ports.secure, path: '/', servername: 'www.example.com', rejectUnauthorized: false, agent: false, headers: { host: 'www.example.com' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += String(d); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  t.equal(secure, '<a href="https://www.example.com/">home</a>', 'the https client gets the page made for https, not the cached http one');
});
