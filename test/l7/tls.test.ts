// TLS termination checked with the real clients: openssl s_client and curl.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { tlsServerSetup } from '../../engine/l7/tls.js';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';
import { sClient } from './fixtures/client.js';

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
