// proxy.compression: back-end responses leave gzip- or brotli-encoded when the client takes it,
// the bytes decode to what the back-end sent, the head says so (chunked, Vary, weak ETag), and
// everything that must pass as it came does. Real clients: curl; a real Node back-end.
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { createMetrics } from '../../engine/admin/metrics.js';
import { applyRequestMetrics } from '../../engine/daemon/l7-metrics.js';
import { rawExchange } from './fixtures/backends.js';

const exec = promisify(execFile);

/** `n` bytes that hardly compress (an LCG's high bytes), the same for the same n. */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0, x = 12345; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** A page of `n` bytes of HTML-ish text, the same for the same n. */
const LINE = '<p>lbarray compresses this line of a page, number 0000000.</p>\n';
const page = (n: number) => Buffer.from(LINE.repeat(Math.ceil(n / LINE.length)).slice(0, n), 'latin1');

async function backend(t: Tap.Test): Promise<number> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = Number(url.searchParams.get('n') ?? 20_000);
    const type = url.searchParams.get('type') ?? 'text/html; charset=utf-8';
    res.setHeader('Content-Type', type);
    switch (url.pathname) {
      case '/length': res.setHeader('Content-Length', n); res.end(page(n)); return;
      case '/chunked': { // several writes, no length: chunked to the proxy
        const body = page(n);
        for (let i = 0; i < body.length; i += 4096) res.write(body.subarray(i, i + 4096));
        res.end();
        return;
      }
      case '/validators': res.setHeader('ETag', '"v7"'); res.setHeader('Vary', 'Cookie'); res.end(page(n)); return;
      case '/no-transform': res.setHeader('Cache-Control', 'public, no-transform'); res.end(page(n)); return;
      case '/gzipped': res.setHeader('Content-Encoding', 'gzip'); res.end(zlib.gzipSync(page(n))); return;
      case '/missing': res.statusCode = 404; res.end(page(n)); return;
      case '/noise': res.setHeader('Content-Length', n); res.end(noise(n)); return;
      default: res.end(page(n));
    }
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  return (server.address() as AddressInfo).port;
}

declare global { namespace Tap { type Test = import('tap').Test } }

t.test('responses a client takes compressed leave compressed; the rest as they came', async (t) => {
  const proxy = new L7Proxy({
    compression: { types: ['text/html', 'application/json'], minBytes: 1024 },
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: await backend(t) }] }],
  });
  await proxy.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-gzip-'));
  t.teardown(async () => { await proxy.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const base = `http://127.0.0.1:${proxy.port('web')}`;
  /** One request with curl (no decoding of its own): the head's fields (lower-case names) and the body's raw bytes. */
  const get = async (target: string, ...args: string[]) => {
    const [headFile, bodyFile] = [path.join(dir, 'head'), path.join(dir, 'body')];
    await exec('curl', ['-sS', '-D', headFile, '-o', bodyFile, ...args, `${base}${target}`]);
    const fields = new Map<string, string>();
    for (const line of fs.readFileSync(headFile, 'latin1').split('\r\n').slice(1)) {
      const at = line.indexOf(':');
      if (at > 0) fields.set(line.slice(0, at).toLowerCase(), line.slice(at + 1).trim());
    }
    return { fields, body: fs.readFileSync(bodyFile) };
  };

  for (const [what, target, n] of [['a page with a length', '/length', 20_000], ['a chunked page', '/chunked', 20_000], ['a 2 MB page', '/length', 2_000_000]] as const) {
    const gz = await get(`${target}?n=${n}`, '-H', 'Accept-Encoding: gzip');
    t.equal(gz.fields.get('content-encoding'), 'gzip', `${what}: gzip when the client takes gzip`);
    t.equal(gz.fields.get('transfer-encoding'), 'chunked', `${what}: sent chunked`);
    t.notOk(gz.fields.has('content-length'), `${what}: no Content-Length of the uncompressed body`);
    t.equal(gz.fields.get('vary'), 'Accept-Encoding', `${what}: Vary: Accept-Encoding`);
    t.ok(zlib.gunzipSync(gz.body).equals(page(n)), `${what}: decodes to the back-end's bytes`);
    t.ok(gz.body.length < n / 4, `${what}: smaller (${gz.body.length} of ${n} bytes)`);
  }
  // A body that does not shrink, to a client reading at 4 MB/s: the encoder outruns the client and
  // the back-end outruns the encoder, so both backpressure paths are taken.
  const slow = await get('/noise?n=3000000', '-H', 'Accept-Encoding: gzip', '--limit-rate', '4M');
  t.ok(zlib.gunzipSync(slow.body).equals(noise(3_000_000)), 'an incompressible 3 MB body to a slow client decodes to the same bytes');
  const br = await get('/length?n=50000', '-H', 'Accept-Encoding: gzip;q=0.5, br');
  t.equal(br.fields.get('content-encoding'), 'br', 'brotli when the client ranks it first');
  t.ok(zlib.brotliDecompressSync(br.body).equals(page(50_000)), 'and it decodes to the same bytes');

  const validators = await get('/validators', '-H', 'Accept-Encoding: gzip');
  t.equal(validators.fields.get('etag'), 'W/"v7"', 'a strong ETag made weak');
  t.equal(validators.fields.get('vary'), 'Cookie, Accept-Encoding', "the back-end's Vary kept, Accept-Encoding added");

  const plain = await get('/length');
  t.notOk(plain.fields.has('content-encoding'), 'no Accept-Encoding: not compressed');
  t.ok(plain.body.equals(page(20_000)) && plain.fields.get('content-length') === '20000', 'no Accept-Encoding: the bytes and length as they came');
  for (const [what, target] of [['below minBytes', '/length?n=1000'], ['a type not listed', '/length?type=image/png'], ['Cache-Control: no-transform', '/no-transform'], ['a 404', '/missing']]) {
    const r = await get(target, '-H', 'Accept-Encoding: gzip');
    t.notOk(r.fields.has('content-encoding'), `${what}: not compressed`);
  }
  const gzipped = await get('/gzipped', '-H', 'Accept-Encoding: gzip');
  t.ok(zlib.gunzipSync(gzipped.body).equals(page(20_000)), 'an already gzipped page is not compressed twice');
  const head = await get('/length', '-I', '-H', 'Accept-Encoding: gzip');
  t.equal(head.fields.get('content-length'), '20000', 'HEAD: the head as it came');
  t.notOk(head.fields.has('content-encoding'), 'HEAD: no coding');
  const old = await rawExchange(proxy.port('web'), 'GET /length HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n');
  t.notMatch(old.text, /content-encoding/i, 'an HTTP/1.0 client gets it uncompressed (as nginx by default)');

  // Keep-alive holds across compressed bodies: three requests, one connection, all whole.
  const { stdout } = await exec('curl', ['-sS', '--compressed', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects} %{size_download}\\n',
    `${base}/chunked?n=30000`, `${base}/length?n=500`, `${base}/length?n=40000`]);
  const lines = stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
  t.same(lines.map(([code, connects]) => [code, connects]), [[200, 1], [200, 0], [200, 0]], 'three 200s on one connection');
  t.equal(lines[1][2], 500, 'the small page between two compressed ones came whole');
});

t.test('a body the back-end ends by closing leaves compressed and whole', async (t) => {
  // A back-end that frames nothing: the body ends when it closes the connection.
  const server = net.createServer((s) => {
    s.once('data', () => { s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n'), page(100_000)])); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy = new L7Proxy({
    compression: { types: ['text/html'], minBytes: 1024 },
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: (server.address() as AddressInfo).port }] }],
  });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); server.close(); });
  const { stdout } = await exec('curl', ['-sS', '-H', 'Accept-Encoding: gzip', '-D', '/dev/null', '-o', '-', `http://127.0.0.1:${proxy.port('web')}/`],
    { encoding: 'buffer' });
  t.ok(zlib.gunzipSync(stdout).equals(page(100_000)), 'gzip of the whole body, though the back-end closed as it ended');
});

t.test('the node counts compressed responses by coding and the bytes into and out of the encoders', async (t) => {
  const proxy = new L7Proxy({
    compression: { types: ['text/html'], minBytes: 1024 },
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: await backend(t) }] }],
  });
  await proxy.listen();
  t.teardown(() => proxy.close());
  const base = `http://127.0.0.1:${proxy.port('web')}`;
  const sent = async (coding: string, n: number) => (await exec('curl', ['-sS', '-H', `Accept-Encoding: ${coding}`, '-o', '-', `${base}/length?n=${n}`],
    { encoding: 'buffer' })).stdout.length;
  const out = (await sent('gzip', 20_000)) + (await sent('gzip', 30_000)) + (await sent('br', 40_000));
  await sent('identity', 50_000);
  const counts = proxy.requestMetrics.take().compressed;
  t.same(counts, { gzip: 2, br: 1, bytesIn: 90_000, bytesOut: out }, 'two gzip, one br; every body byte in, every encoded byte out');
  const metrics = createMetrics({ defaultLabels: { node: 'lb1' } });
  applyRequestMetrics(metrics, [{ ...proxy.requestMetrics.take(), compressed: counts }]);
  const text = await metrics.registry.metrics();
  t.match(text, /lbarray_compressed_responses_total\{coding="gzip",node="lb1"\} 2\n/, 'exported by coding');
  t.match(text, new RegExp(`lbarray_compression_bytes_total\\{direction="out",node="lb1"\\} ${out}\\n`), 'and the bytes out');
});
