// Cookie persistence across an array: the L4 scheduler spreads a client's connections over the
// nodes, so every node must honour the cookie any node set, and a reload (new workers, new
// shared state) must too. Two nodes built from one config, real back-ends, real clients.
import t from 'tap';
import { parseConfig } from '../../engine/config/index.js';
import { l7Options } from '../../engine/config/to-l7.js';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';
import { cookieOf, get, serverOf } from './fixtures/client.js';

t.test('a cookie set by one node is honoured by another node of the array and by a reloaded node', async (t) => {
  const bs = await Promise.all(['a', 'b', 'c'].map((id) => startBackend(id)));
  t.teardown(() => Promise.all(bs.map((b) => b.close())));
  const config = (extra: string) => parseConfig(`name: shop
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
${extra}`, { baseDir: '.' });
  // Each node's proxy as the daemon starts it, listening on loopback instead of the VIP.
  const start = async (c: ReturnType<typeof config>, node: number) => {
    const o = l7Options(c, c.nodes[node]);
    const l7 = await L7Node.start({ ...o, workers: 1, services: o.services.map((s) => ({ ...s, host: '127.0.0.1', port: 0 })) });
    t.teardown(() => l7.stop());
    return l7.ports.web;
  };
  const idOf = (r: Awaited<ReturnType<typeof get>>) => bs.find((b) => b.id === serverOf(r))!.id;

  for (const extra of ['', 'persistence: { cookie: { secret: "a long shared secret value" } }']) {
    const c = config(extra);
    const [lb1, lb2] = [await start(c, 0), await start(c, 1)];
    const pinned = new Map<string, string>();
    for (let i = 0; i < 9; i++) {
      const r = await get(lb1, '/');
      pinned.set(cookieOf(r, 'LBSERVER')!, idOf(r));
    }
    t.equal(pinned.size, 3, `${extra || 'default key'}: lb1 set one cookie per server`);
    const reloaded = await start(config(extra), 0);
    for (const [cookie, server] of pinned) {
      for (const [name, port] of [['lb2', lb2], ['lb1 after a reload', reloaded]] as const) {
        const r = await get(port, '/', { headers: { Cookie: cookie } });
        t.equal(serverOf(r), server, `${name} sends ${cookie.slice(0, 16)}… to ${server}`);
        t.notOk(r.headers['set-cookie'], 'and sets no new cookie');
      }
    }
  }
});
