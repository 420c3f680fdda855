// The config as the L7 node receives it (engine/l7/types.ts options), from examples/lab.yaml.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadConfig, parseConfig } from '../../engine/config/index.js';
import { l7Options, l7Policy } from '../../engine/config/to-l7.js';

const examples = path.resolve(import.meta.dirname, '../../examples');
const lab = loadConfig(path.join(examples, 'lab.yaml'));
const opts = l7Options(lab, lab.nodes[0]);

t.test('policies map one to one', async (t) => {
  const cases = [
    [{ type: 'roundrobin' }, { kind: 'round-robin' }],
    [{ type: 'weighted' }, { kind: 'weighted-round-robin' }],
    [{ type: 'leastconn' }, { kind: 'least-connections' }],
    [{ type: 'hash', by: 'url', includeQuery: true }, { kind: 'hash', on: 'url' }],
    [{ type: 'hash', by: 'url', includeQuery: false }, { kind: 'hash', on: 'path' }],
    [{ type: 'hash', by: 'client' }, { kind: 'hash', on: 'client-address' }],
    [{ type: 'hash', by: 'header', name: 'X-User' }, { kind: 'hash', on: { header: 'X-User' } }],
    [{ type: 'hash', by: 'cookie', name: 'sid' }, { kind: 'hash', on: { cookie: 'sid' } }],
  ] as const;
  for (const [from, to] of cases) t.same(l7Policy(from), to, JSON.stringify(from));
});

t.test('one listener per service and VIP family, with PEM text for TLS', async (t) => {
  t.same(opts.services.map((s) => [s.name, s.host, s.port]), [
    ['web', '198.19.0.1', 80], ['web-ipv6', '2001:2:0:100::1', 80], ['web-tls', '198.19.0.1', 443], ['web-tls-ipv6', '2001:2:0:100::1', 443],
  ]);
  const tls = opts.services[2].tls!;
  t.equal(tls.certificates[0].cert, fs.readFileSync(path.join(examples, 'certs/lab.pem'), 'utf8'));
  t.same(tls.certificates.map((c) => c.servernames), [['www.lab.test', '*.lab.test'], ['static.lab.test']]);
  t.equal(tls.minVersion, 'TLSv1.2');
  t.equal(tls.sessionTickets, true, 'tickets on by default');
  t.equal(opts.services[0].tls, undefined);
  t.same(opts.services[0].timeouts, { headersMs: 10_000, bodyMs: 30_000, keepAliveMs: 60_000 });
  t.equal(opts.workers, 2);
});

t.test('routes in order; the catch-all is the default pool; a route policy gets its own pool', async (t) => {
  t.same(opts.services[0].routes, [
    { pool: 'static', pathPrefix: '/static/' },
    { pool: 'api', host: 'api.lab.test' },
    { pool: 'static@images', pathRegex: '^/img/.*\\.(png|jpe?g|webp)$' },
  ]);
  t.equal(opts.services[0].defaultPool, 'app');
  t.same(opts.pools.map((p) => p.name), ['app', 'static', 'api', 'static@images']);
  const images = opts.pools[3];
  t.same(images.servers, opts.pools[1].servers, 'same servers as its pool');
  t.same(images.policy, { kind: 'hash', on: 'path' }, 'includeQuery: false hashes the path alone');
});

t.test('pools: servers, persistence, health, upstream TLS', async (t) => {
  const app = opts.pools[0];
  t.same(app.servers[0], { id: '198.18.0.101:8080', host: '198.18.0.101', port: 8080, weight: 2 });
  t.same(opts.pools[1].servers[0].id, '[2001:2::101]:8080');
  t.same(app.persistence, { kind: 'cookie', name: 'LBSERVER', secure: false, secret: 'lbarray cookie key of array lab' }, 'without a secret, the key comes from the array name: the same on every node');
  t.same(opts.pools[2].persistence, { kind: 'session-id', names: ['JSESSIONID', 'PHPSESSID'], groups: 4096, inUrl: true });
  t.equal(opts.pools[1].persistence, undefined);
  t.same(app.health, { path: '/healthz', expectStatus: [200, 204], intervalMs: 500, timeoutMs: 300, rise: 2, fall: 2 });
  t.equal(app.connectTimeoutMs, 3000);
  t.equal(app.maxIdlePerServer, 64, 'proxy.upstreamKeepAlive: 64 idle connections per server by default');
  t.equal(app.tls, undefined);

  const withTls = parseConfig(`vip: { ipv6: 2001:2:0:100::1 }
services:
  - { name: web, port: 80 }
  - name: web-tls
    port: 443
    protocol: https
    tls: { certificates: [{ names: [www.lab.test], cert: certs/lab.pem, key: certs/lab.key }], minVersion: TLSv1.3, sessionTickets: false }
nodes: [{ id: lb1, interface: eth0, ipv6: 2001:2::11 }]
pools:
  secure:
    persistence: cookie
    tls: { verify: false, servername: backend.lab.test, ca: certs/lab.pem }
    servers: [{ address: 2001:2::101, port: 8443, maxConnections: 50 }, { address: 2001:2::102, port: 8443, backup: true }]
routes: [{ pool: secure, match: { host: www.lab.test } }]
persistence: { cookie: { maxAge: 1h, secret: a-long-shared-cookie-secret } }
proxy: { via: true, upstreamKeepAlive: 0, maxConnections: 20000, maxConnectionsPerClient: 64, rateLimit: { requests: 200, interval: 10s }, deny: [198.18.200.0/24, "2001:2:0:99::/64"] }
logging: { accessLog: logs/access.log }
`, { baseDir: examples });
  const o = l7Options(withTls, withTls.nodes[0]);
  t.match(o.pools[0].tls, { rejectUnauthorized: false, servername: 'backend.lab.test', ca: /BEGIN CERTIFICATE/ });
  t.same(o.services.map((s) => s.name), ['web', 'web-tls'], 'one VIP family, one listener per service, no suffix');
  t.match(o.services[1].tls, { minVersion: 'TLSv1.3', sessionTickets: false }, 'the listener\'s TLS settings reach the proxy');
  t.equal(o.services[0].defaultPool, 'secure', 'without a catch-all, the last route\'s pool');
  t.equal(o.services[0].via, 'lbarray-lb1');
  t.equal(o.workers, undefined, 'auto: the proxy picks one per core');
  t.equal(o.accessLog, path.join(examples, 'logs/access.log'), 'the access log path is relative to the config file');
  t.equal(opts.accessLog, undefined, 'no access log unless asked');
  t.equal(o.maxConnections, 20000, 'the node\'s client connection limit');
  t.match(o.pools[0].persistence, { kind: 'cookie', secret: 'a-long-shared-cookie-secret', maxAgeSeconds: 3600 }, 'a configured cookie secret is the key');
  t.equal(o.pools[0].maxIdlePerServer, 0, 'upstreamKeepAlive 0: no idle back-end connection is kept');
  t.equal(o.pools[0].servers[0].maxConnections, 50, 'a server\'s connection limit');
  t.same([o.pools[0].servers[0].backup, o.pools[0].servers[1].backup], [undefined, true], 'backup servers marked');
  t.equal(opts.maxConnections, undefined, 'no limit unless asked');
  t.same(o.clientLimit, { perClient: 64 }, 'the per-client connection limit');
  t.equal(opts.clientLimit, undefined, 'no per-client connection limit unless asked');
  t.same(o.rateLimit, { requests: 200, intervalMs: 10_000, groups: 65536 }, 'the per-client rate limit, with the default groups');
  t.equal(opts.rateLimit, undefined, 'no rate limit unless asked');
  t.same(o.access, { allow: [], deny: ['198.18.200.0/24', '2001:2:0:99::/64'] }, 'the access lists');
  t.equal(opts.access, undefined, 'no access list unless asked');
});

t.test('client-address persistence: the pool remembers each client address\'s server in the shared hash groups', async (t) => {
  const c = parseConfig(`vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { app: { persistence: client-address, servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
persistence: { hashGroups: 1024 }
`);
  t.same(l7Options(c, c.nodes[0]).pools[0].persistence, { kind: 'client-address', groups: 1024 });
  t.throws(() => parseConfig(`vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { app: { persistence: source, servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
`), /pools\.app\.persistence.*expected none, cookie, session-id or client-address/, 'another value names the field and the choices');
});

t.test('scheduler services, Maglev nodes, CDN rules and cache of lab.yaml', async (t) => {
  const { schedulerServices, maglevNodes, cdnRules, cdnCacheOptions } = await import('../../engine/config/index.js');
  t.same(schedulerServices(lab), [
    { vip: '198.19.0.1', proto: 'tcp', port: 80 }, { vip: '198.19.0.1', proto: 'tcp', port: 443 },
    { vip: '2001:2:0:100::1', proto: 'tcp', port: 80 }, { vip: '2001:2:0:100::1', proto: 'tcp', port: 443 },
  ]);
  t.same(maglevNodes(lab), [{ id: 'lb1', weight: 1 }, { id: 'lb2', weight: 1 }, { id: 'lb3', weight: 1 }]);
  t.equal(cdnRules(lab.routes[0]), undefined);
  t.match(cdnRules(lab.routes[3]), {
    baseUrls: ['http://cdn1.lab.test', 'http://cdn2.lab.test'],
    include: { prefixes: ['/static/', '/img/'], hosts: ['www.lab.test'] },
    exclude: { prefixes: ['/static/private/'] },
    rewriteAnchors: false,
  });
  t.same(cdnCacheOptions(lab.routes[3]), { maxBytes: 32 * 2 ** 20 });
  t.equal(cdnCacheOptions(lab.routes[0]), undefined);
});

t.test("a service's redirect reaches its listeners, status defaulted", async (t) => {
  const c = parseConfig(`vip: { ipv4: 198.19.0.1, ipv6: 2001:2:0:100::1 }
services: [{ name: web, port: 80, redirect: { scheme: https } }, { name: alt, port: 8080 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { app: { servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
`);
  const services = l7Options(c, c.nodes[0]).services;
  t.same(services.map((s) => [s.name, s.redirect]), [
    ['web', { scheme: 'https', status: 301 }], ['web-ipv6', { scheme: 'https', status: 301 }], ['alt', undefined], ['alt-ipv6', undefined],
  ]);
});

/** The L7 options of a small array (both VIP families, one service `web` on port 80) with `proxy` and services' extra fields. */
function smallArray(proxy = '', service = '') {
  const c = parseConfig(`vip: { ipv4: 198.19.0.1, ipv6: 2001:2:0:100::1 }
services: [{ name: web, port: 80${service} }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { app: { servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: app }]
${proxy === '' ? '' : `proxy: ${proxy}`}
`);
  return l7Options(c, c.nodes[0]);
}

t.test('proxy.maxBodyBytes reaches every listener in bytes; absent, no listener has a limit', async (t) => {
  t.same(smallArray('{ maxBodyBytes: 10MiB }').services.map((s) => s.maxBodyBytes), [10 * 1024 * 1024, 10 * 1024 * 1024]);
  t.same(smallArray().services.map((s) => s.maxBodyBytes), [undefined, undefined]);
});

t.test("a service's header rules reach its listeners as written, defaults filled", async (t) => {
  const services = smallArray('', ', headers: { response: { set: { Strict-Transport-Security: max-age=63072000 } }, request: { remove: [X-Debug] } }').services;
  const rules = { response: { set: { 'Strict-Transport-Security': 'max-age=63072000' }, remove: [] }, request: { set: {}, remove: ['X-Debug'] } };
  t.same(services.map((s) => s.headers), [rules, rules]);
});

t.test('proxy.requestId reaches the proxy with its defaults; absent, no IDs', async (t) => {
  t.same(smallArray('{ requestId: {} }').requestId, { header: 'X-Request-Id', keepClient: false });
  t.equal(smallArray().requestId, undefined);
});

t.test('proxy.compression reaches the proxy with its default types and size; absent, off', async (t) => {
  const on = smallArray('{ compression: {} }').compression;
  t.equal(on?.minBytes, 1024);
  t.ok(on?.types.includes('text/html') && on.types.includes('application/json'), 'HTML and JSON among the default types');
  t.equal(smallArray().compression, undefined);
});
