// Sessions across an array: the L4 scheduler spreads a client's connections over the nodes, so
// every node must honour the cookie any node set, and resume the TLS session any node began
// (with the array's ticket key file), and a reload (new workers, new shared state) must too.
// Nodes built from one config, real back-ends, real clients (openssl s_client for TLS).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { parseConfig } from '../../engine/config/index.js';
import { l7Options } from '../../engine/config/to-l7.js';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';
import { cookieOf, get, sClient, serverOf } from './fixtures/client.js';

t.test('a cookie set by one node is honoured by another node of the array and by a reloaded node', async (t) => {
  const bs = await Promise.all(['a', 'b', 'c'].map((id) => startBackend(id)));
  t.teardown(() => Promise.all(bs.map((b) => b.close())));
  const config = () => parseConfig(`name: shop
vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes:
  - { id: lb1, interface: eth0, ipv4: 198.18.0.11 }
  - { id: lb2, interface: eth0, ipv4: 198.18.0.12 }
pools:
  app:
    persistence: cookie
    servers: [${bs.map((b) => `{ address: 127.0.0.1, port: ${b.port} }`).join(', ')}]
routes: [{ pool: app }]
`, { baseDir: '.' });
  // Each node's proxy as the daemon starts it, listening on loopback instead of the VIP.
  const start = async (c: ReturnType<typeof config>, node: number) => {
    const o = l7Options(c, c.nodes[node]);
    const l7 = await L7Node.start({ ...o, workers: 1, services: o.services.map((s) => ({ ...s, host: '127.0.0.1', port: 0 })) });
    t.teardown(() => l7.stop());
    return l7.ports.web;
  };
  const idOf = (r: Awaited<ReturnType<typeof get>>) => bs.find((b) => b.id === serverOf(r))!.id;

  // The key derived from the array's name (a configured secret takes the same path: test/config/to-l7).
  {
    const c = config();
    const [lb1, lb2] = [await start(c, 0), await start(c, 1)];
    const pinned = new Map<string, string>();
    for (let i = 0; i < 9; i++) {
      const r = await get(lb1, '/');
      pinned.set(cookieOf(r, 'LBSERVER')!, idOf(r));
    }
    t.equal(pinned.size, 3, 'lb1 set one cookie per server');
    const reloaded = await start(config(), 0);
    for (const [cookie, server] of pinned) {
      for (const [name, port] of [['lb2', lb2], ['lb1 after a reload', reloaded]] as const) {
        const r = await get(port, '/', { headers: { Cookie: cookie } });
        t.equal(serverOf(r), server, `${name} sends ${cookie.slice(0, 16)}… to ${server}`);
        t.notOk(r.headers['set-cookie'], 'and sets no new cookie');
      }
    }
  }
});

t.test('with a ticket key file, a TLS session begun on one node resumes on another and after a reload; without, it does not', async (t) => {
  const be = await startBackend('be');
  const certs = makeCertDir();
  const cert = certs.make(['www.shop.test']);
  t.teardown(async () => { await be.close(); certs.cleanup(); });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-tickets-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'cert.pem'), cert.cert);
  fs.writeFileSync(path.join(dir, 'key.pem'), cert.key);
  fs.writeFileSync(path.join(dir, 'ticket.key'), randomBytes(48));
  const config = (ticketKey: string) => parseConfig(`name: shop
vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 443, protocol: https, tls: { certificates: [{ cert: cert.pem, key: key.pem }]${ticketKey} } }]
nodes:
  - { id: lb1, interface: eth0, ipv4: 198.18.0.11 }
  - { id: lb2, interface: eth0, ipv4: 198.18.0.12 }
pools:
  app: { servers: [{ address: 127.0.0.1, port: ${be.port} }] }
routes: [{ pool: app }]
healthChecks: { nodes: { port: 443 } }
`, { baseDir: dir });
  const start = async (c: ReturnType<typeof config>, node: number) => {
    const o = l7Options(c, c.nodes[node]);
    const l7 = await L7Node.start({ ...o, workers: 1, services: o.services.map((s) => ({ ...s, host: '127.0.0.1', port: 0 })) });
    t.teardown(() => l7.stop());
    return l7.ports.web;
  };
  for (const [ticketKey, resumes] of [[', ticketKeyFile: ticket.key', true], ['', false]] as const) {
    const c = config(ticketKey);
    const [lb1, lb2] = [await start(c, 0), await start(c, 1)];
    const sess = path.join(dir, `sess${resumes}`);
    t.match(await sClient(lb1, ['-servername', 'www.shop.test', '-sess_out', sess]), /^New, TLSv1\.3/m, 'lb1: a full handshake');
    const reloaded = await start(config(ticketKey), 0);
    for (const [name, port] of [['lb2', lb2], ['lb1 after a reload', reloaded]] as const) {
      const out = await sClient(port, ['-servername', 'www.shop.test', '-sess_in', sess]);
      t.match(out, resumes ? /^Reused, TLSv1\.3/m : /^New, TLSv1\.3/m, `${ticketKey ? 'shared key file' : 'no key file'}: ${name} ${resumes ? 'resumes' : 'makes a full handshake'}`);
      t.match(out, /HTTP\/1\.1 200 OK/, 'and serves the request');
    }
  }
});

t.test('a reload keeps the session-ID table while the pool\'s servers stay the same list, and starts afresh when they change', async (t) => {
  const bs = await Promise.all(['a', 'b', 'c'].map((id) => startBackend(id)));
  t.teardown(() => Promise.all(bs.map((b) => b.close())));
  const options = (servers: typeof bs) => ({
    workers: 1,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', persistence: { kind: 'session-id' as const }, servers: servers.map((b) => ({ id: b.id, host: '127.0.0.1', port: b.port })) }],
  });
  const start = async (o: ReturnType<typeof options>, previous?: L7Node) => {
    const l7 = await L7Node.start(o, {}, { previous });
    t.teardown(() => l7.stop());
    return l7;
  };
  const first = await start(options(bs));
  const sessions: Array<{ cookie: string; server: string }> = [];
  for (let i = 0; i < 6; i++) {
    const r = await get(first.ports.web, '/login');
    sessions.push({ cookie: cookieOf(r, 'JSESSIONID')!, server: serverOf(r) });
  }
  t.equal(new Set(sessions.map((s) => s.server)).size, 3, 'six sessions learnt on the three servers');
  const reloaded = await start(options(bs), first);
  // In reverse order: round robin alone would give the first order's servers again.
  for (const s of [...sessions].reverse()) {
    t.equal(serverOf(await get(reloaded.ports.web, '/page', { headers: { Cookie: s.cookie } })), s.server, `after a reload ${s.cookie} still reaches ${s.server}`);
  }
  // Another server list: the old indexes would name other servers, so the table starts empty.
  const changed = await start(options([bs[2], bs[0], bs[1]]), reloaded);
  t.equal(reloaded.shared.groups.p, first.shared.groups.p, 'the reload shares the first node\'s table');
  t.not(changed.shared.groups.p, reloaded.shared.groups.p, 'with the servers reordered, a new table: old indexes would name other servers');
  t.same([...new Int32Array(changed.shared.groups.p)].filter((v) => v !== 0), [], 'and it starts empty');
});
