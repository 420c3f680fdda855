// Compressed and chunked back-end responses through a real loopback proxy built on planRewrite:
// the client gets the rewritten page in a coding it accepts, with correct framing; what must not
// be touched is forwarded byte for byte.
import t from 'tap';
import http from 'node:http';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { compilePolicy } from '../../engine/cdn/url-policy.js';
import { planRewrite } from '../../engine/cdn/encoding.js';
import { chooseCoding, parseContentEncoding } from '../../engine/cdn/content-coding.js';
import { rewriteHtml } from '../../engine/cdn/rewriter.js';
import { CdnStats } from '../../engine/cdn/stats.js';
import type { HeaderMap } from '../../engine/cdn/headers.js';
import { fixturesDir, loadRules } from '../fixtures/cdn/fixtures.js';

const policy = compilePolicy(loadRules());
const page = fs.readFileSync(path.join(fixturesDir, 'blog.html'));
const pageUrl = 'http://blog.example.org/2024/05/ten-things/';
const rewritten = rewriteHtml(page, { policy, pageUrl: new URL(pageUrl) });

type BackendCoding = 'identity' | 'gzip' | 'deflate' | 'deflate-raw' | 'br' | 'zstd' | 'corrupt-gzip';
interface Served { coding: BackendCoding; chunked: boolean; type: string; status?: number; cacheControl?: string }

function encode(c: BackendCoding, b: Buffer): Buffer {
  switch (c) {
    case 'gzip': return zlib.gzipSync(b);
    case 'deflate': return zlib.deflateSync(b);
    case 'deflate-raw': return zlib.deflateRawSync(b);
    case 'br': return zlib.brotliCompressSync(b);
    case 'zstd': return Buffer.concat([Buffer.from('not really zstd:'), b]);
    case 'corrupt-gzip': return Buffer.concat([Buffer.from('not gzip at all:'), b]);
    default: return b;
  }
}

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** The back-end: serves the page as the X-Serve request header (JSON) says. */
function backend(): http.Server {
  return http.createServer((req, res) => {
    const s = JSON.parse(String(req.headers['x-serve'])) as Served;
    const body = encode(s.coding, page);
    res.statusCode = s.status ?? 200;
    res.setHeader('content-type', s.type);
    res.setHeader('etag', '"v1"');
    if (s.cacheControl !== undefined) res.setHeader('cache-control', s.cacheControl);
    const label: Partial<Record<BackendCoding, string>> = { 'deflate-raw': 'deflate', 'corrupt-gzip': 'gzip' };
    if (s.coding !== 'identity') res.setHeader('content-encoding', label[s.coding] ?? s.coding);
    if (!s.chunked) {
      res.setHeader('content-length', body.length);
      res.end(body);
      return;
    }
    // Chunked, in uneven pieces with pauses: tags and compressed blocks split across chunks.
    let pos = 0;
    const sizes = [1, 7, 100, 3, 999, 50];
    const next = (i: number): void => {
      if (pos >= body.length) { res.end(); return; }
      const n = sizes[i % sizes.length];
      res.write(body.subarray(pos, pos + n));
      pos += n;
      setImmediate(() => next(i + 1));
    };
    next(0);
  });
}

/** The proxy under test: forwards to the back-end, rewriting through planRewrite. */
function proxy(backendPort: number, stats: CdnStats): http.Server {
  return http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: backendPort, path: req.url, method: req.method, headers: req.headers }, (ures) => {
      const head = { status: ures.statusCode ?? 502, headers: ures.headers as HeaderMap };
      const plan = planRewrite(policy, { method: req.method ?? 'GET', url: new URL(req.url ?? '/', pageUrl), acceptEncoding: req.headers['accept-encoding'] }, head, stats);
      const headers = plan?.headers ?? head.headers;
      for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') res.setHeader(k, v);
      res.statusCode = head.status;
      if (plan === null) pipeline(ures, res, () => {});
      else pipeline(ures, plan.transform, res, () => {});
    });
    up.end();
  });
}

async function fetchRaw(port: number, served: Served, accept: string | undefined): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const headers: http.OutgoingHttpHeaders = { 'x-serve': JSON.stringify(served) };
  if (accept !== undefined) headers['accept-encoding'] = accept;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/2024/05/ten-things/', headers }, resolve).on('error', reject));
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

function decode(coding: string | undefined, b: Buffer): Buffer {
  switch (coding) {
    case 'gzip': return zlib.gunzipSync(b);
    case 'deflate': return zlib.inflateSync(b);
    case 'br': return zlib.brotliDecompressSync(b);
    default: return b;
  }
}

const html = 'text/html; charset=UTF-8';
/** `givenUpLate`: the body turned out unreadable after the head went out as a rewrite's (weak ETag). */
const cases: Array<{ name: string; served: Served; accept?: string; coding: string | undefined; rewritten: boolean; givenUpLate?: boolean }> = [
  { name: 'identity with Content-Length', served: { coding: 'identity', chunked: false, type: html }, accept: undefined, coding: undefined, rewritten: true },
  { name: 'identity chunked in odd pieces', served: { coding: 'identity', chunked: true, type: 'text/html' }, accept: 'gzip', coding: 'gzip', rewritten: true },
  { name: 'gzip to a gzip client', served: { coding: 'gzip', chunked: false, type: html }, accept: 'gzip, deflate, br', coding: 'gzip', rewritten: true },
  { name: 'gzip chunked to an identity client', served: { coding: 'gzip', chunked: true, type: html }, accept: undefined, coding: undefined, rewritten: true },
  { name: 'deflate (zlib) to a deflate client', served: { coding: 'deflate', chunked: true, type: html }, accept: 'deflate', coding: 'deflate', rewritten: true },
  { name: 'raw deflate read, re-encoded as gzip', served: { coding: 'deflate-raw', chunked: true, type: html }, accept: 'gzip', coding: 'gzip', rewritten: true },
  { name: 'br to a br client', served: { coding: 'br', chunked: true, type: html }, accept: 'br', coding: 'br', rewritten: true },
  { name: 'br to a client refusing br', served: { coding: 'br', chunked: false, type: html }, accept: 'gzip;q=0.5, br;q=0', coding: 'gzip', rewritten: true },
  { name: 'not HTML: untouched', served: { coding: 'gzip', chunked: false, type: 'text/plain' }, accept: 'gzip', coding: 'gzip', rewritten: false },
  { name: 'a 404 page: untouched', served: { coding: 'identity', chunked: false, type: html, status: 404 }, accept: undefined, coding: undefined, rewritten: false },
  { name: 'Cache-Control: no-transform: untouched', served: { coding: 'identity', chunked: false, type: html, cacheControl: 'max-age=60, no-transform' }, accept: undefined, coding: undefined, rewritten: false },
  { name: 'a coding the node cannot read: untouched, counted', served: { coding: 'zstd', chunked: false, type: html }, accept: 'zstd', coding: 'zstd', rewritten: false },
  { name: 'a gzip body that does not decode, to a gzip client: the bytes as they came, counted', served: { coding: 'corrupt-gzip', chunked: true, type: html }, accept: 'gzip', coding: 'gzip', rewritten: false, givenUpLate: true },
  { name: 'a charset that is not ASCII-compatible: untouched, counted', served: { coding: 'identity', chunked: false, type: 'text/html; charset=utf-16le' }, accept: undefined, coding: undefined, rewritten: false },
];

t.test('compressed and chunked back-end responses through a loopback proxy', async (t) => {
  const be = backend();
  const stats = new CdnStats();
  const px = proxy(await listen(be), stats);
  const port = await listen(px);
  t.teardown(() => { be.close(); px.close(); });
  for (const c of cases) {
    const r = await fetchRaw(port, c.served, c.accept);
    t.equal(r.headers['content-encoding'], c.coding, `${c.name}: Content-Encoding ${c.coding ?? 'none'}`);
    if (c.rewritten) {
      t.ok(decode(c.coding, r.body).equals(rewritten), `${c.name}: the rewritten page`);
      t.equal(r.headers['content-length'], undefined, `${c.name}: no stale Content-Length`);
      t.equal(r.headers['transfer-encoding'], 'chunked', `${c.name}: sent chunked`);
      t.equal(r.headers['etag'], 'W/"v1"', `${c.name}: ETag made weak`);
      t.match(r.headers['vary'], /Accept-Encoding/, `${c.name}: Vary names Accept-Encoding`);
    } else {
      t.ok(r.body.equals(encode(c.served.coding, page)), `${c.name}: the back-end's bytes`);
      t.equal(r.headers['etag'], c.givenUpLate ? 'W/"v1"' : '"v1"', `${c.name}: ETag as sent${c.givenUpLate ? ' (made weak with the head)' : ''}`);
    }
  }
  t.equal(stats.pagesPassedThrough, 3, 'the unreadable coding, the corrupt gzip body and the charset are counted');
  t.equal(stats.urls % 12, 0, 'every rewritten page had its 12 URLs rewritten');
});

t.test('a corrupt gzip body errors the stream, it does not throw', async (t) => {
  const plan = planRewrite(policy, { method: 'GET', url: new URL(pageUrl) }, { status: 200, headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' } });
  t.ok(plan);
  const err = once(plan!.transform, 'error');
  plan!.transform.end(Buffer.from('this is not gzip at all'));
  plan!.transform.resume();
  const [e] = await err;
  t.match((e as Error & { code?: string }).code, /Z_DATA_ERROR|ERR_/);
});

const choices: Array<[string | undefined, string, string]> = [
  [undefined, 'identity', 'identity'],
  ['gzip, br', 'br', 'br'],
  ['gzip, br', 'identity', 'gzip'],
  ['br', 'identity', 'br'],
  ['*', 'identity', 'gzip'],
  ['gzip;q=0, *;q=0', 'gzip', 'identity'],
  ['deflate', 'gzip', 'identity'],
  ['br;q=0.1, gzip', 'br', 'gzip'], // the client's q-values rank first, our preference breaks ties
  ['gzip;q=0.4, br;q=0.8', 'gzip', 'br'],
  ['gzip ;q=1', 'identity', 'gzip'], // whitespace before the ';' is allowed (RFC 9110 §12.4.2)
  ['br ; q=0.5, gzip;q=0', 'identity', 'br'],
];
for (const [accept, preferred, want] of choices) {
  t.equal(chooseCoding(accept, preferred as 'identity'), want, `Accept-Encoding ${accept} with ${preferred} preferred → ${want}`);
}
t.equal(parseContentEncoding('x-gzip'), 'gzip');
t.equal(parseContentEncoding('gzip, br'), undefined, 'stacked codings are not decoded');
t.equal(planRewrite(policy, { method: 'PUT', url: new URL(pageUrl) }, { status: 200, headers: { 'content-type': 'text/html' } }), null, 'PUT is not rewritten');

t.test('a client that does not read holds the back-end back: the pipeline buffers a bounded amount', async (t) => {
  // Random letters: gzip shrinks them little, so what the pipeline buffers is about what went in.
  const text = Buffer.from(Array.from({ length: 4 << 20 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join(''));
  const body = zlib.gzipSync(text, { level: 1 });
  for (const accept of ['gzip', undefined]) {
    const plan = planRewrite(policy, { method: 'GET', url: new URL(pageUrl), acceptEncoding: accept }, { status: 200, headers: { 'content-type': 'text/html', 'content-encoding': 'gzip' } })!;
    plan.transform.on('error', () => {});
    let taken = 0;
    for (let at = 0; at < body.length; at += 16_384) {
      const chunk = body.subarray(at, at + 16_384);
      taken += chunk.length;
      if (plan.transform.write(chunk)) continue;
      // Full: it must stay full while nobody reads.
      const drained = await Promise.race([once(plan.transform, 'drain').then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);
      if (!drained) break;
    }
    t.ok(taken < 1 << 20, `${accept ?? 'identity'} client: ${taken} of ${body.length} bytes taken while nothing is read`);
    plan.transform.destroy();
  }
});
