import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { readShared } from '../../engine/l7/shared-reads.js';
import type { L7Options } from '../../engine/l7/types.js';
import { once } from 'node:events';
import { freePort, rawExchange, startBackend, statuses, type Backend } from './fixtures/backends.js';
import { BIG, mib, receivePattern, sendPattern, stalled } from './fixtures/pattern.js';

const exec = promisify(execFile);

async function setup(t: Tap.Test, opts: Partial<L7Options['services'][0]> = {}, poolExtra: object = {}) {
  const a = await startBackend('a');
  const b = await startBackend('b');
  const options: L7Options = {
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p', ...opts }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }, { id: 'b', host: '127.0.0.1', port: b.port }], ...poolExtra }],
  };
  const proxy = new L7Proxy(options);
  await proxy.listen();
  const port = proxy.port('web');
  t.teardown(async () => { await proxy.close(); await a.close(); await b.close(); });
  return { a, b, proxy, port };
}

declare global { namespace Tap { type Test = import('tap').Test } }

t.test('curl: 100 requests on one kept-alive connection use one client TCP connection and reuse upstream connections', async (t) => {
  const { a, b, proxy, port } = await setup(t);
  const urls = Array.from({ length: 100 }, (_, i) => `http://127.0.0.1:${port}/size/1024?i=${i}`);
  const { stdout, stderr } = await exec('curl', ['-sS', '-w', '%{http_code} %{num_connects}\\n', ...urls.flatMap((u) => ['-o', '/dev/null', u])]);
  const lines = stdout.trim().split('\n');
  t.equal(lines.length, 100, 'one line per request');
  t.same(lines.filter((l) => !l.startsWith('200 ')), [], 'every response 200');
  const connects = lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  t.equal(connects, 1, 'curl opened exactly one connection for 100 requests');
  t.equal(proxy.stats.accepted, 1, 'the proxy accepted one client connection');
  t.equal(a.requests + b.requests, 100);
  t.equal(a.accepts, 1, 'back-end a accepted one upstream connection');
  t.equal(b.accepts, 1, 'back-end b accepted one upstream connection');
  t.equal(stderr, '');
});

t.test('forwarding fields set, hop-by-hop fields removed, Via added', async (t) => {
  const { port } = await setup(t, { via: 'lbarray' });
  const { text } = await rawExchange(port, 'GET /echo HTTP/1.1\r\nHost: site\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n'
    + 'Connection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: 5\r\nProxy-Authorization: x\r\nTE: trailers\r\nX-Keep: yes\r\n\r\n');
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  t.equal(body.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1');
  t.equal(body.headers['x-forwarded-proto'], 'http', 'the client claim is replaced');
  t.equal(body.headers.forwarded, 'for=127.0.0.1;proto=http');
  t.equal(body.headers.via, '1.1 lbarray');
  t.equal(body.headers['x-keep'], 'yes');
  for (const h of ['x-secret', 'keep-alive', 'proxy-authorization', 'te']) t.notOk(h in body.headers, `${h} removed`);
  t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(text, /\r\nVia: 1\.1 lbarray\r\n/);
  t.notMatch(text, /\r\nKeep-Alive:/i, 'the back-end Keep-Alive is not forwarded');
});

t.test('heads leave as HTTP/1.1 with the received field lines, less the hop-by-hop ones, byte for byte', async (t) => {
  // A raw back-end: records the head it receives, answers with an HTTP/1.0 status line and a hop field in the middle.
  const heads: string[] = [];
  const backend = net.createServer((s) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      heads.push(got);
      got = '';
      s.write('HTTP/1.0 200 Fine\r\nX-First:  1 \r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\nX-Last: z\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const proxy = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'raw', host: '127.0.0.1', port: (backend.address() as net.AddressInfo).port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await new Promise((r) => backend.close(r)); });
  const port = proxy.port('web');
  const tail = 'X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nForwarded: for=127.0.0.1;proto=http\r\n\r\n';

  // Empty lines before the request line are dropped; OWS and case of kept fields travel as received.
  const r1 = await rawExchange(port, '\r\n\r\nGET /a?b=1 HTTP/1.1\r\nHost: site\r\nx-one:  a b \r\nTE: trailers\r\nX-Two: c\r\n\r\n');
  t.equal(heads[0], `GET /a?b=1 HTTP/1.1\r\nHost: site\r\nx-one:  a b \r\nX-Two: c\r\n${tail}`);
  t.equal(r1.text, 'HTTP/1.1 200 Fine\r\nX-First:  1 \r\nContent-Length: 2\r\nX-Last: z\r\n\r\nok', 'status line restated as HTTP/1.1, hop fields gone');

  // An HTTP/1.0 request is restated as HTTP/1.1 (with the Host field it lacked); its answer closes the connection.
  const r2 = await rawExchange(port, 'GET /old HTTP/1.0\r\nConnection: close\r\nX-Keep: 1\r\n\r\n');
  t.equal(heads[1], `GET /old HTTP/1.1\r\nX-Keep: 1\r\nHost: \r\n${tail}`);
  t.equal(r2.text, 'HTTP/1.1 200 Fine\r\nX-First:  1 \r\nContent-Length: 2\r\nX-Last: z\r\nConnection: close\r\n\r\nok');
  t.ok(r2.closed, 'closed after the HTTP/1.0 exchange');
});

t.test('a Content-Length received as a list, a repeat or with tabs goes on restated as one field', async (t) => {
  // A raw back-end that records what it receives and answers with an odd Content-Length of its own.
  let received = '';
  const backend = net.createServer((s) => {
    s.on('data', (d) => {
      received += d.toString('latin1');
      if (received.endsWith('hi')) s.write('HTTP/1.1 200 OK\r\nContent-Length:\t2 \r\nX-B: 1\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const proxy = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'raw', host: '127.0.0.1', port: (backend.address() as net.AddressInfo).port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await new Promise((r) => backend.close(r)); });
  const r = await rawExchange(proxy.port('web'), 'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\nX-A: 1\r\ncontent-length:\t2\r\n\r\nhi');
  t.equal(received, 'POST /p HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nContent-Length: 2\r\n'
    + 'X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nForwarded: for=127.0.0.1;proto=http\r\n\r\nhi', 'the back-end gets one Content-Length, then the body');
  t.equal(r.text, 'HTTP/1.1 200 OK\r\nX-B: 1\r\nContent-Length: 2\r\n\r\nok', 'the client gets the response\'s length restated too');
});

t.test('pipelining: three requests in one write come back in order', async (t) => {
  const { port } = await setup(t);
  const { text } = await rawExchange(port, 'GET /size/3 HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /status/404 HTTP/1.1\r\nHost: a\r\n\r\n');
  t.same(statuses(text), [200, 200, 404]);
  t.ok(text.indexOf('aaa') < text.indexOf('"body":"hello"'), 'first response before second');
});

t.test('a request split across many writes', async (t) => {
  const { port } = await setup(t);
  const { text } = await rawExchange(port, ['PO', 'ST /echo HT', 'TP/1.1\r\nHost: a\r\nContent-', 'Length: 4\r\n\r', '\nab', 'cd']);
  t.match(text, /"body":"abcd"/);
});

t.test('chunked request and response bodies pass through with trailers', async (t) => {
  const { port } = await setup(t);
  const { text } = await rawExchange(port, 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  t.match(text, /"body":"abcde"/);
  const r = await rawExchange(port, 'GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n');
  t.match(r.text, /Transfer-Encoding: chunked\r\n/);
  t.match(r.text, /hello /);
  t.match(r.text, /0\r\nX-Sum: 42\r\n\r\n$/, 'trailer passed through');
  const old = await rawExchange(port, 'GET /chunked HTTP/1.0\r\n\r\n');
  t.match(old.text, /\r\n\r\nhello chunked world\n$/, 'decoded for an HTTP/1.0 client');
  t.ok(old.closed, 'and the connection closes to end the body');
});

t.test('curl: POST body, HEAD, 204 and big bodies', async (t) => {
  const { port } = await setup(t);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'l7-')), 'body');
  fs.writeFileSync(file, 'x'.repeat(300_000));
  const post = await exec('curl', ['-sS', '--data-binary', `@${file}`, `http://127.0.0.1:${port}/echo`], { maxBuffer: 4e6 });
  t.equal(JSON.parse(post.stdout).body.length, 300_000);
  const big = await exec('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', `http://127.0.0.1:${port}/size/2000000`]);
  t.equal(big.stdout, '2000000');
  const head = await exec('curl', ['-sS', '-I', `http://127.0.0.1:${port}/size/10`]);
  t.match(head.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(head.stdout, /X-Server: /);
  const nc = await exec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/status/204`]);
  t.equal(nc.stdout, '204');
});

/** A proxy in front of a raw back-end whose connections `onBackend` serves. */
async function rawProxy(t: Tap.Test, onBackend: (s: net.Socket) => void): Promise<number> {
  const backend = net.createServer((s) => { s.on('error', () => {}); onBackend(s); });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const proxy = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'raw', host: '127.0.0.1', port: (backend.address() as net.AddressInfo).port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); backend.close(); });
  return proxy.port('web');
}


t.test('a client that stops reading stalls the back-end (bounded buffering); the response body then arrives intact', async (t) => {
  const progress = { sent: 0 };
  const port = await rawProxy(t, (s) => s.once('data', () => sendPattern(s, `HTTP/1.1 200 OK\r\nContent-Length: ${BIG}\r\n\r\n`, progress)));
  const client = net.connect(port, '127.0.0.1');
  t.teardown(() => client.destroy());
  client.pause();
  client.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
  await stalled(progress);
  t.ok(progress.sent > 0 && progress.sent < BIG / 2, `the back-end stalled after ${mib(progress.sent)}`);
  const r = await receivePattern(client);
  t.match(r.head, /^HTTP\/1\.1 200 OK\r\n/);
  t.equal(r.bad, -1, 'no byte out of place');
  t.equal(r.got, BIG, 'the whole body');
});

t.test('a back-end that stops reading stalls the client (bounded buffering); the request body then arrives intact', async (t) => {
  let upstream: net.Socket | undefined;
  const port = await rawProxy(t, (s) => { upstream = s; s.pause(); });
  const client = net.connect(port, '127.0.0.1');
  t.teardown(() => client.destroy());
  const progress = { sent: 0 };
  sendPattern(client, `POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${BIG}\r\n\r\n`, progress);
  await stalled(progress, () => upstream !== undefined);
  t.ok(progress.sent > 0 && progress.sent < BIG / 2, `the client stalled after ${mib(progress.sent)}`);
  t.ok(upstream !== undefined, 'the request reached the back-end');
  const r = await receivePattern(upstream!);
  t.match(r.head, /^POST \/up HTTP\/1\.1\r\n/);
  t.equal(r.bad, -1, 'no byte out of place');
  t.equal(r.got, BIG, 'the whole body');
});

t.test('plain client sockets read into the shared buffer on this Node (no fallback to data events); end and pause still work', async (t) => {
  const got: string[] = [];
  let taken = false;
  const ended = new Promise<void>((resolve) => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      taken = readShared(s, (chunk) => { got.push(chunk.toString()); s.pause(); setTimeout(() => s.resume(), 20); return true; });
      s.on('end', () => { s.end(); server.close(); resolve(); });
    }).listen(0, '127.0.0.1', () => {
      const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => { c.write('one'); setTimeout(() => c.end('two'), 50); });
    });
  });
  await ended;
  t.ok(taken, 'Node\'s onread fields were found and set');
  t.equal(got.join(''), 'onetwo');
});

// Every error status, what the client sends, and whether the connection must close after it.
const errorCases: Array<{ name: string; send: string[]; status: number; closed: boolean }> = [
  { name: 'malformed request line', send: ['GET /x\r\nHost: a\r\n\r\n'], status: 400, closed: true },
  { name: 'malformed header', send: ['GET / HTTP/1.1\r\nHost a\r\n\r\n'], status: 400, closed: true },
  { name: 'CL and TE (smuggling)', send: ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'], status: 400, closed: true },
  { name: 'two different CL', send: ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'], status: 400, closed: true },
  { name: 'bad chunk size', send: ['POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], status: 400, closed: true },
  { name: 'headers over the limit', send: ['GET / HTTP/1.1\r\nHost: a\r\n' + 'X-A: b\r\n'.repeat(100) + '\r\n'], status: 431, closed: true },
  { name: 'request line over the limit', send: ['GET /' + 'a'.repeat(9000) + ' HTTP/1.1\r\n'], status: 414, closed: true },
  { name: 'unsupported transfer coding', send: ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'], status: 501, closed: true },
  { name: 'slow headers', send: ['GET / HTTP/1.1\r\nHost: a\r\n'], status: 408, closed: true },
  { name: 'slow body', send: ['POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc'], status: 408, closed: true },
];

t.test('error pages: each bad input gets its status, a short page, and a close', async (t) => {
  const { port, a, b } = await setup(t, { timeouts: { headersMs: 200, bodyMs: 200 } });
  for (const c of errorCases) {
    // A slow body's head is already on its way: bodies stream, so only earlier cases count.
    if (c.name === 'slow body') t.equal(a.requests + b.requests, 0, 'nothing bad reached a back-end');
    const { text, closed } = await rawExchange(port, c.send, 600);
    t.same(statuses(text), [c.status], c.name);
    t.equal(closed, c.closed, `${c.name}: connection ${c.closed ? 'closed' : 'kept'}`);
    t.ok(text.length < 400, `${c.name}: short page`);
  }
});

t.test('503 when no server is up; the connection stays usable', async (t) => {
  const { port, proxy } = await setup(t);
  proxy.setServerState({ pool: 'p', server: 'a', up: false });
  proxy.setServerState({ pool: 'p', server: 'b', up: false });
  const { text, closed } = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
  t.same(statuses(text), [503, 503]);
  t.notOk(closed);
  proxy.setServerState({ pool: 'p', server: 'b', up: true });
  const ok = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  t.match(ok.text, /"server":"b"/);
});

t.test('502 when the back-end refuses; 504 when it does not answer in time; 502 on a reset', async (t) => {
  const dead = await freePort();
  const slow = await startBackend('slow');
  const resetter = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', () => r()));
  const resetPort = (resetter.address() as net.AddressInfo).port;
  const passive: string[] = [];
  const proxy = new L7Proxy({
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'dead', routes: [
      { pathPrefix: '/slow', pool: 'slow' }, { pathPrefix: '/reset', pool: 'reset' }] }],
    pools: [
      { name: 'dead', servers: [{ id: 'd', host: '127.0.0.1', port: dead }] },
      { name: 'slow', servers: [{ id: 's', host: '127.0.0.1', port: slow.port }], responseTimeoutMs: 200 },
      { name: 'reset', servers: [{ id: 'r', host: '127.0.0.1', port: resetPort }] },
    ],
  }, undefined, { onPassive: (pool, server, kind) => passive.push(`${pool}/${server}/${kind}`) });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await slow.close(); resetter.close(); });
  const port = proxy.port('web');
  const refused = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  t.same(statuses(refused.text), [502]);
  t.notOk(refused.closed, 'a 502 after a complete request keeps the client connection');
  const timeout = await rawExchange(port, 'GET /slow/2000 HTTP/1.1\r\nHost: a\r\n\r\n', 800);
  t.same(statuses(timeout.text), [504]);
  const reset = await rawExchange(port, 'GET /reset HTTP/1.1\r\nHost: a\r\n\r\n');
  t.same(statuses(reset.text), [502]);
  t.same(passive, ['dead/d/error', 'slow/s/error', 'reset/r/error'], 'each failure reported to passive health');
});

t.test('WebSocket-style upgrade: after 101 bytes flow both ways', async (t) => {
  const { port, proxy } = await setup(t);
  const { text } = await rawExchange(port, ['GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n', 'ping-1', 'ping-2']);
  t.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  t.match(text, /Upgrade: echo/);
  t.match(text, /ping-1ping-2$/, 'echoed through the tunnel');
  t.equal(proxy.stats.tunnels, 1);
});

t.test('URL-based routing: host, prefix and regex rules choose pools', async (t) => {
  const a = await startBackend('a');
  const b = await startBackend('b');
  const c = await startBackend('c');
  const proxy = new L7Proxy({
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'pa', routes: [
      { host: 'images.example', pool: 'pb' }, { pathPrefix: '/api/', pool: 'pc' }, { pathRegex: '\\.php(\\?|$)', pool: 'pb' }] }],
    pools: [
      { name: 'pa', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }] },
      { name: 'pb', servers: [{ id: 'b', host: '127.0.0.1', port: b.port }] },
      { name: 'pc', servers: [{ id: 'c', host: '127.0.0.1', port: c.port }] },
    ],
  });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await a.close(); await b.close(); await c.close(); });
  const port = proxy.port('web');
  const cases = [
    { host: 'www.example', path: '/', server: 'a' },
    { host: 'Images.Example:8080', path: '/', server: 'b' },
    { host: 'www.example', path: '/api/v1', server: 'c' },
    { host: 'www.example', path: '/index.php?x=1', server: 'b' },
    { host: 'www.example', path: '/api', server: 'a' },
    // Rules read the path as the back-end will: dot segments, escaped unreserved chars and doubled slashes do not walk around them.
    { host: 'www.example', path: '/static/../api/v1', server: 'c' },
    { host: 'www.example', path: '/%61pi/v1', server: 'c' },
    { host: 'www.example', path: '//api//v1', server: 'c' },
    { host: 'www.example', path: '/api%2Fv1', server: 'a' },
  ];
  for (const c of cases) {
    const { text } = await rawExchange(port, `GET ${c.path} HTTP/1.1\r\nHost: ${c.host}\r\n\r\n`);
    t.match(text, new RegExp(`"server":"${c.server}"`), `${c.host}${c.path} → ${c.server}`);
  }
  // A target in absolute form: its host and path route the request (RFC 9112 3.2.2: the Host field
  // is ignored), and the back-end gets them as an origin-form request line and a Host field.
  const absolute = [
    { host: 'www.example', target: 'http://Images.Example/img.png', server: 'b', url: '/img.png', sent: 'Images.Example' },
    { host: 'images.example', target: 'http://www.example/api/v1?x=1', server: 'c', url: '/api/v1?x=1', sent: 'www.example' },
  ];
  for (const c of absolute) {
    const { text } = await rawExchange(port, `GET ${c.target} HTTP/1.1\r\nHost: ${c.host}\r\n\r\n`);
    const got = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { server: string; url: string; headers: Record<string, string> };
    t.same([got.server, got.url, got.headers.host], [c.server, c.url, c.sent], `${c.target} with Host ${c.host} → ${c.server}, sent as ${c.url} to ${c.sent}`);
  }
});

t.test('upstream pool limit: requests beyond max connections wait for a free one', async (t) => {
  const { port, a, b } = await setup(t, {}, { maxConnectionsPerServer: 1 });
  const results = await Promise.all(Array.from({ length: 6 }, () => rawExchange(port, 'GET /slow/50 HTTP/1.1\r\nHost: a\r\n\r\n', 500)));
  t.ok(results.every((r) => statuses(r.text)[0] === 200), 'all answered');
  t.equal(a.accepts, 1);
  t.equal(b.accepts, 1);
});

t.test('back-end closing keep-alive connections: the next request retries on a fresh one', async (t) => {
  const { port } = await setup(t);
  const first = await exec('curl', ['-sS', `http://127.0.0.1:${port}/close`, `http://127.0.0.1:${port}/close`, `http://127.0.0.1:${port}/size/2`]);
  t.equal(first.stdout, 'bye\nbye\naa');
});

t.test('hash scheduling on the URL and client-address persistence through a live proxy', async (t) => {
  const byUrl = await setup(t, {}, { policy: { kind: 'hash', on: 'url' } });
  for (const path of ['/a', '/b', '/c', '/d']) {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(/"server":"(\w)"/.exec((await rawExchange(byUrl.port, `GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`)).text)![1]);
    t.equal(seen.size, 1, `${path} always on one server`);
  }
  const sticky = await setup(t, {}, { persistence: { kind: 'client-address' } });
  const servers = new Set<string>();
  for (let i = 0; i < 6; i++) servers.add(/"server":"(\w)"/.exec((await rawExchange(sticky.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')).text)![1]);
  t.equal(servers.size, 1, 'one client address, one server, across connections');
  const [only] = servers;
  sticky.proxy.setServerState({ pool: 'p', server: only, up: false });
  const moved = /"server":"(\w)"/.exec((await rawExchange(sticky.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n')).text)![1];
  t.not(moved, only, 'the client moves when its server goes down');
  const header = await setup(t, {}, { policy: { kind: 'hash', on: { header: 'X-User' } } });
  const users = new Map<string, string>();
  for (let i = 0; i < 12; i++) {
    const user = `u${i % 3}`;
    const s = /"server":"(\w)"/.exec((await rawExchange(header.port, `GET /?i=${i} HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-User: ${user}\r\n\r\n`)).text)![1];
    if (users.has(user)) t.equal(users.get(user), s, `${user} stays`); else users.set(user, s);
  }
});

t.test('upstream keep-alive: at most maxIdlePerServer idle connections stay open after a burst; 0 means one connection per request', async (t) => {
  const burst = (port: number) => Promise.all(Array.from({ length: 4 }, () => rawExchange(port, 'GET /slow/150 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')));
  for (const maxIdlePerServer of [64, 1]) {
    const { a, b, port } = await setup(t, {}, { maxIdlePerServer });
    await burst(port);
    const first = a.accepts + b.accepts;
    await burst(port);
    const opened = a.accepts + b.accepts - first;
    // 4 concurrent requests over two servers need 2 connections each.
    t.equal(first, 4, `maxIdlePerServer ${maxIdlePerServer}: the first burst opened 4 connections`);
    t.equal(opened, maxIdlePerServer === 1 ? 2 : 0, `maxIdlePerServer ${maxIdlePerServer}: the second burst opened ${opened} more`);
  }
  const { a, b, port } = await setup(t, {}, { maxIdlePerServer: 0 });
  for (let i = 0; i < 6; i++) await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.equal(a.accepts + b.accepts, 6, 'maxIdlePerServer 0: six requests, six upstream connections');
});

t.test('proxy maxConnections: a connection over the limit is closed at once and counted; room again once one closes', async (t) => {
  const a = await startBackend('lim');
  t.teardown(() => a.close());
  const limited = new L7Proxy({ maxConnections: 2, services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }] }] });
  await limited.listen();
  t.teardown(() => limited.close());
  const lport = limited.port('web');
  const held = await Promise.all([0, 1].map(async () => { const s = net.connect(lport, '127.0.0.1'); await once(s, 'connect'); return s; }));
  await new Promise((r) => setTimeout(r, 50));
  const third = await rawExchange(lport, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.equal(third.text, '', 'the third connection got no answer');
  t.ok(third.closed, 'and was closed');
  t.equal(limited.stats.dropped, 1, 'one dropped, counted');
  held[0].destroy();
  await new Promise((r) => setTimeout(r, 50));
  const fourth = await rawExchange(lport, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.match(fourth.text, /^HTTP\/1\.1 200 /, 'a slot freed: the next connection is served');
  held[1].destroy();
});

t.test('server maxConnections: requests beyond the limit wait for a connection instead of opening more', async (t) => {
  const a = await startBackend('one');
  t.teardown(() => a.close());
  const p = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port, maxConnections: 1 }] }] });
  await p.listen();
  t.teardown(() => p.close());
  const results = await Promise.all([0, 1, 2].map(() => rawExchange(p.port('web'), 'GET /slow/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500)));
  t.same(results.map((r) => statuses(r.text)[0]), [200, 200, 200], 'all three answered');
  t.equal(a.accepts, 1, 'over one back-end connection, in turn');
});

t.test('a backup server takes the requests only while the pool\'s own server is down', async (t) => {
  const a = await startBackend('main');
  const b = await startBackend('spare');
  t.teardown(async () => { await a.close(); await b.close(); });
  const p = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }, { id: 'b', host: '127.0.0.1', port: b.port, backup: true }] }] });
  await p.listen();
  t.teardown(() => p.close());
  const serve = async () => /"server":"(\w+)"/.exec((await rawExchange(p.port('web'), 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text)?.[1];
  const seen = async (n: number) => { const out = new Set<string | undefined>(); for (let i = 0; i < n; i++) out.add(await serve()); return [...out]; };
  t.same(await seen(6), ['main'], 'the backup idles');
  p.setServerState({ pool: 'p', server: 'a', up: false });
  t.same(await seen(4), ['spare'], 'the pool\'s server down: the backup serves');
  p.setServerState({ pool: 'p', server: 'a', up: true });
  t.same(await seen(4), ['main'], 'back: the backup idles again');
});
