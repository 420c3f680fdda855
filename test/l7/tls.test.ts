// TLS termination checked with the real clients: openssl s_client and curl.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { tlsServerSetup } from '../../engine/l7/tls.js';
import { readShared } from '../../engine/l7/shared-reads.js';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';
import { sClient } from './fixtures/client.js';
import { mib, receivePattern, sendPattern, stalled } from './fixtures/pattern.js';

const exec = promisify(execFile);
const certs = makeCertDir();
t.teardown(() => certs.cleanup());
const a = certs.make(['a.test']);
const b = certs.make(['b.test', 'www.b.test']);
const w = certs.make(['*.wild.test']);

const tlsService = { certificates: [a, b, w].map((c) => ({ cert: c.cert, key: c.key })) };

t.test('SNI picks the certificate; TLS 1.2 and 1.3; ALPN http/1.1; X-Forwarded-Proto https', async (t) => {
  const be = await startBackend('be');
  const proxy = new L7Proxy({ services: [{ name: 's', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: tlsService }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await be.close(); });
  const port = proxy.port('s');
  const cases = [
    { sni: 'a.test', cn: 'a.test' }, { sni: 'www.b.test', cn: 'b.test' }, { sni: 'x.wild.test', cn: '*.wild.test' }, { sni: 'unknown.test', cn: 'a.test' },
  ];
  for (const c of cases) {
    const out = await sClient(port, ['-servername', c.sni]);
    t.match(out, new RegExp(`subject=CN ?= ?${c.cn.replace('.', '\\.').replace('*', '\\*')}`), `${c.sni} → ${c.cn}`);
  }
  for (const v of ['1_2', '1_3']) {
    const out = await sClient(port, ['-servername', 'a.test', `-tls${v}`, '-alpn', 'http/1.1']);
    t.match(out, new RegExp(`(New|Protocol).*TLSv${v.replace('_', '\\.')}`), `TLS ${v}`);
    t.match(out, /ALPN protocol: http\/1\.1/);
    t.match(out, /"x-forwarded-proto":"https"/, 'back-end told the scheme');
  }
  const curl = await exec('curl', ['-sS', '-k', '--resolve', `b.test:${port}:127.0.0.1`, '-w', '\\n%{http_version} %{ssl_verify_result}', `https://b.test:${port}/size/5`]);
  t.match(curl.stdout, /^aaaaa\n1\.1 /, 'curl over TLS, HTTP/1.1');
});

t.test('re-encryption: a pool with tls speaks HTTPS to its back-ends', async (t) => {
  const c = certs.make(['backend.test']);
  const be = https.createServer({ cert: c.cert, key: c.key }, (req, res) => res.end(`secure back-end saw ${req.headers['x-forwarded-proto']}\n`));
  await new Promise<void>((r) => be.listen(0, '127.0.0.1', () => r()));
  const proxy = new L7Proxy({ services: [{ name: 's', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: (be.address() as AddressInfo).port }], tls: { servername: 'backend.test' } }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); be.close(); });
  const out = await exec('curl', ['-sS', `http://127.0.0.1:${proxy.port('s')}/`]);
  t.equal(out.stdout, 'secure back-end saw http\n');
});

t.test('bad certificates and keys stop start-up with clear codes', async (t) => {
  const cases = [
    { name: 'not PEM', certificates: [{ cert: 'garbage', key: a.key }], code: 'ERR_TLS_CERT_INVALID' },
    { name: 'key of another certificate', certificates: [{ cert: a.cert, key: b.key }], code: 'ERR_TLS_CERT_KEY_MISMATCH' },
    { name: 'broken key', certificates: [{ cert: a.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }], code: 'ERR_TLS_KEY_INVALID' },
    { name: 'no certificate', certificates: [], code: 'ERR_TLS_CERT_MISSING' },
  ];
  for (const c of cases) t.throws(() => tlsServerSetup({ certificates: c.certificates }), { code: c.code }, c.name);
  await t.rejects(L7Node.start({ workers: 1, services: [{ name: 's', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: a.cert, key: b.key }] } }],
    pools: [{ name: 'p', servers: [{ id: 'x', host: '127.0.0.1', port: 1 }] }] }), { code: 'ERR_TLS_CERT_KEY_MISMATCH' }, 'the node refuses to start');
  const setup = tlsServerSetup({ certificates: [{ cert: a.cert, key: a.key }, { cert: b.cert, key: b.key, servernames: ['Explicit.Test'] }] });
  t.equal(setup.select('explicit.test'), 1, 'configured servernames win over the certificate names');
  t.equal(setup.select('b.test'), 0, 'names not configured fall back to the first certificate');
});

t.test('TLS client sockets read decrypted bytes into the shared buffer on this Node (no fallback to data events); end and pause still work', async (t) => {
  const got: string[] = [];
  let taken = false;
  const secure = tls.createServer({ cert: a.cert, key: a.key, allowHalfOpen: true });
  const ended = new Promise<void>((resolve) => {
    secure.on('secureConnection', (s: tls.TLSSocket) => {
      taken = readShared(s, (chunk) => { got.push(chunk.toString()); s.pause(); setTimeout(() => s.resume(), 20); return true; });
      s.on('end', () => { s.end(); resolve(); });
    });
  });
  const server = net.createServer({ allowHalfOpen: true }, (s) => secure.emit('connection', s)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  t.teardown(() => server.close());
  const c = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
    c.write('one');
    setTimeout(() => c.end('two'), 50);
  });
  c.on('error', () => {});
  await ended;
  t.ok(taken, 'Node\'s onread fields were found and set on the TLS socket');
  t.equal(got.join(''), 'onetwo');
});

t.test('TLS: a back-end that stops reading stalls the client (bounded buffering); the request body then arrives intact', async (t) => {
  const total = 128 * 2 ** 20;
  let upstream: net.Socket | undefined;
  const backend = net.createServer((s) => { upstream = s; s.on('error', () => {}); s.pause(); });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const proxy = new L7Proxy({ services: [{ name: 's', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: a.cert, key: a.key }] } }],
    pools: [{ name: 'p', servers: [{ id: 'raw', host: '127.0.0.1', port: (backend.address() as AddressInfo).port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); backend.close(); });
  const client = tls.connect({ port: proxy.port('s'), host: '127.0.0.1', servername: 'a.test', rejectUnauthorized: false });
  t.teardown(() => client.destroy());
  client.on('error', () => {});
  const progress = { sent: 0 };
  client.once('secureConnect', () => sendPattern(client, `POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`, progress, total));
  await stalled(progress, () => upstream !== undefined);
  t.ok(progress.sent > 0 && progress.sent < total / 2, `the client stalled after ${mib(progress.sent, total)}`);
  t.ok(upstream !== undefined, 'the request reached the back-end');
  const r = await receivePattern(upstream!, total);
  t.match(r.head, /^POST \/up HTTP\/1\.1\r\n/);
  t.equal(r.bad, -1, 'no byte out of place');
  t.equal(r.got, total, 'the whole body');
});

/** Whether `cond` holds within `ms` (checked every 10 ms). */
async function within(ms: number, cond: () => boolean): Promise<boolean> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

t.test('Connection: close: with nothing unread the proxy closes once its end is written, without waiting for the client\'s; with bytes unread it waits (a close would reset them)', async (t) => {
  const be = await startBackend('be');
  const proxy = new L7Proxy({ services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' },
    { name: 'sec', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: a.cert, key: a.key }] } }],
  pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }] });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await be.close(); });
  const request = 'GET /size/10 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  // The client never ends its side on its own (allowHalfOpen): only the proxy can close the connection.
  const open = (service: string): net.Socket => service === 'web'
    ? net.connect({ port: proxy.port('web'), host: '127.0.0.1', allowHalfOpen: true })
    : tls.connect({ port: proxy.port('sec'), host: '127.0.0.1', servername: 'a.test', rejectUnauthorized: false, allowHalfOpen: true });
  for (const service of ['web', 'sec']) {
    for (const extra of ['', 'GET /after-close HTTP/1.1\r\nHost: a\r\n\r\n']) {
      const what = `${service}, ${extra === '' ? 'nothing' : 'a request'} after the close`;
      const client = open(service);
      client.on('error', () => {});
      let text = '';
      client.on('data', (d: Buffer) => { text += d.toString('latin1'); });
      const ended = new Promise((r) => client.once('end', r));
      client.write(request + extra);
      await ended;
      t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\naaaaaaaaaa$/, `${what}: the whole response, then the proxy's end`);
      const closed = await within(extra === '' ? 10_000 : 500, () => proxy.stats.connections === 0);
      t.equal(closed, extra === '', extra === '' ? `${what}: the proxy's socket closed with the client's still open` : `${what}: the proxy's socket waits for the client's end`);
      client.end();
      t.ok(await within(10_000, () => proxy.stats.connections === 0), `${what}: closed once the client ended`);
      client.destroy();
    }
  }
});
