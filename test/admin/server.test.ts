// The admin endpoint over real HTTP on loopback: what each endpoint answers, token checks on the
// actions, and the addresses it refuses to listen on.
import net from 'node:net';
import t from 'tap';
import { createMetrics, METRIC_NAMES } from '../../engine/admin/metrics.js';
import { LATENCY_BUCKETS } from '../../engine/l7/request-metrics.js';
import { startAdminServer, type AdminServer } from '../../engine/admin/server.js';
import type { AdminState } from '../../engine/l7/admin-state.js';
import type { NodeStatus, PurgeRequest, ReloadResult, StatusSource } from '../../engine/admin/status.js';
import { configureLogging } from '../../engine/log.js';

configureLogging({ level: 'silent' });

const TOKEN = 'secret-token-123';

// A node as the admin endpoint sees it: plain state the requests can change and the test reads.
class TestNode implements StatusSource {
  draining = false;
  healthy = true;
  purges: PurgeRequest[] = [];
  nextReload: ReloadResult = { ok: true };
  status(): NodeStatus {
    return {
      node: 'lb1', role: 'scheduler', scheduler: 'lb1', draining: this.draining, uptimeSeconds: 5,
      nodes: [{ id: 'lb1', up: true, weight: 1, draining: this.draining }, { id: 'lb2', up: false, weight: 1, draining: false }],
      backends: [{ pool: 'app', address: '198.18.0.101', port: 8080, up: true, state: this.servers.get('app 198.18.0.101:8080') ?? 'ready' }],
      counters: { packets: 42 },
    };
  }
  health() { return this.healthy ? { ok: true } : { ok: false, reason: 'no healthy back-end' }; }
  purge(req: PurgeRequest) { this.purges.push(req); return 3; }
  drain(on: boolean) { this.draining = on; }
  readonly servers = new Map<string, AdminState>();
  server(pool: string, server: string, state: AdminState) {
    if (`${pool} ${server}` !== 'app 198.18.0.101:8080') return false;
    this.servers.set(`${pool} ${server}`, state);
    return true;
  }
  async reload() { return this.nextReload; }
}

async function withServer(token: string | undefined, fn: (s: AdminServer, node: TestNode, metrics: ReturnType<typeof createMetrics>) => Promise<void>) {
  const node = new TestNode();
  const metrics = createMetrics({ defaultLabels: { node: 'lb1' } });
  const server = await startAdminServer({ address: '127.0.0.1', port: 0, token, vips: ['198.19.0.1'], source: node, metrics });
  try { await fn(server, node, metrics); } finally { await server.close(); }
}

const post = (url: string, body?: unknown, token?: string) => fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});

t.test('GET /status answers the node status as JSON', (t) => withServer(TOKEN, async (s) => {
  const res = await fetch(`${s.url}/status`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/json/);
  const body = await res.json() as NodeStatus;
  t.equal(body.role, 'scheduler');
  t.equal(body.scheduler, 'lb1');
  t.same(body.nodes.map((n) => n.up), [true, false]);
}));

t.test('GET /metrics is Prometheus text with every engine metric and its updates', (t) => withServer(TOKEN, async (s, _n, metrics) => {
  metrics.requests.inc({ pool: 'app', status: '200' }, 7);
  metrics.drops.inc({ reason: 'malformed' });
  metrics.requestDuration.observe({ pool: 'app' }, 0.003);
  let scrapes = 0;
  metrics.beforeScrape(() => { scrapes++; metrics.flows.set(1234); });
  const res = await fetch(`${s.url}/metrics`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  for (const name of METRIC_NAMES) t.match(text, new RegExp(`# TYPE ${name} `), `${name} is exported`);
  t.match(text, 'lbarray_requests_total{pool="app",status="200",node="lb1"} 7');
  t.match(text, 'lbarray_scheduler_drops_total{reason="malformed",node="lb1"} 1');
  t.match(text, 'lbarray_scheduler_flows{node="lb1"} 1234', 'beforeScrape hooks copy counters in first');
  const line = (name: string, labels: string[], value: number) => new RegExp(`^${name}\\{${labels.map((l) => `(?=[^}]*${l})`).join('')}[^}]*\\} ${value}$`, 'm');
  t.match(text, line('lbarray_request_duration_seconds_bucket', ['le="0.005"', 'node="lb1"', 'pool="app"'], 1));
  // Bucket counts from the workers: 3 requests ≤ 1 ms, 1 above every bound; cumulative on export.
  const counts = LATENCY_BUCKETS.map((_, i) => (LATENCY_BUCKETS[i] === 0.001 ? 3 : 0)).concat(1);
  metrics.requestDuration.add({ pool: 'api' }, counts, 12.5);
  const again = await (await fetch(`${s.url}/metrics`)).text();
  t.match(again, line('lbarray_request_duration_seconds_bucket', ['le="0.0005"', 'pool="api"'], 0));
  t.match(again, line('lbarray_request_duration_seconds_bucket', ['le="0.001"', 'pool="api"'], 3));
  t.match(again, line('lbarray_request_duration_seconds_bucket', ['le="10"', 'pool="api"'], 3));
  t.match(again, line('lbarray_request_duration_seconds_bucket', ['le="\\+Inf"', 'pool="api"'], 4));
  t.match(again, line('lbarray_request_duration_seconds_count', ['pool="api"'], 4));
  t.match(again, line('lbarray_request_duration_seconds_sum', ['pool="api"'], 12.5));
  t.equal(scrapes, 2);
}));

t.test('GET /healthz: 200 when fit, 503 with the reason when not', (t) => withServer(TOKEN, async (s, node) => {
  let res = await fetch(`${s.url}/healthz`);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'ok\n');
  node.healthy = false;
  res = await fetch(`${s.url}/healthz`);
  t.equal(res.status, 503);
  t.match(await res.text(), 'no healthy back-end');
}));

t.test('actions need the bearer token when one is configured', (t) => withServer(TOKEN, async (s, node) => {
  const cases = [
    { path: '/purge', body: { url: 'http://www.lab.test/' } },
    { path: '/drain', body: {} },
    { path: '/reload', body: {} },
    { path: '/server', body: { pool: 'app', server: '198.18.0.101:8080', state: 'maint' } },
  ];
  for (const c of cases) {
    const none = await post(`${s.url}${c.path}`, c.body);
    t.equal(none.status, 401, `${c.path} without a token`);
    t.match(none.headers.get('www-authenticate'), /^Bearer/);
    const wrong = await post(`${s.url}${c.path}`, c.body, 'not-the-token');
    t.equal(wrong.status, 401, `${c.path} with a wrong token`);
  }
  t.same(node.purges, [], 'nothing was purged');
  t.equal(node.draining, false, 'nothing was drained');
  t.equal(node.servers.size, 0, 'no server changed state');
  const ok = await post(`${s.url}/purge`, { prefix: 'http://www.lab.test/static/' }, TOKEN);
  t.equal(ok.status, 200);
  t.same(await ok.json(), { purged: 3 });
  t.same(node.purges, [{ prefix: 'http://www.lab.test/static/' }]);
}));

t.test('without a configured token the actions are open', (t) => withServer(undefined, async (s, node) => {
  const res = await post(`${s.url}/drain`, { drain: true });
  t.equal(res.status, 200);
  t.equal(node.draining, true);
}));

t.test('POST /drain drains and undrains', (t) => withServer(TOKEN, async (s, node) => {
  t.same(await (await post(`${s.url}/drain`, undefined, TOKEN)).json(), { draining: true });
  t.equal(node.draining, true);
  t.same(await (await post(`${s.url}/drain`, { drain: false }, TOKEN)).json(), { draining: false });
  t.equal(node.draining, false);
  t.equal((await post(`${s.url}/drain`, { drain: 'yes' }, TOKEN)).status, 400);
}));

t.test('POST /server sets a back-end server\'s state; /status shows it', (t) => withServer(TOKEN, async (s, node) => {
  const res = await post(`${s.url}/server`, { pool: 'app', server: '198.18.0.101:8080', state: 'drain' }, TOKEN);
  t.equal(res.status, 200);
  t.same(await res.json(), { pool: 'app', server: '198.18.0.101:8080', state: 'drain' });
  t.match(await (await fetch(`${s.url}/status`)).json(), { backends: [{ address: '198.18.0.101', state: 'drain' }] });
  const unknown = await post(`${s.url}/server`, { pool: 'app', server: '198.18.0.102:8080', state: 'drain' }, TOKEN);
  t.equal(unknown.status, 404);
  t.same(await unknown.json(), { error: 'there is no server "198.18.0.102:8080" in pool "app"' });
  t.same([...node.servers.values()], ['drain'], 'the unknown server changed nothing');
}));

t.test('POST /reload: 200 when applied, 422 with the issues when refused', (t) => withServer(TOKEN, async (s, node) => {
  t.equal((await post(`${s.url}/reload`, undefined, TOKEN)).status, 200);
  node.nextReload = { ok: false, issues: [{ path: 'pools.app.servers[0].port', line: 12, message: 'expected a number 1-65535' }] };
  const res = await post(`${s.url}/reload`, undefined, TOKEN);
  t.equal(res.status, 422);
  t.match(await res.json(), { ok: false, issues: [{ path: 'pools.app.servers[0].port', line: 12 }] });
}));

t.test('bad requests get a clear 4xx', (t) => withServer(TOKEN, async (s) => {
  const cases: Array<{ name: string; res: () => Promise<Response>; status: number; error?: RegExp }> = [
    { name: 'unknown path', res: () => fetch(`${s.url}/nope`), status: 404 },
    { name: 'wrong method', res: () => fetch(`${s.url}/purge`), status: 405 },
    { name: 'purge body not JSON', res: () => post(`${s.url}/purge`, '{nope', TOKEN), status: 400, error: /not JSON/ },
    { name: 'purge body a list', res: () => post(`${s.url}/purge`, [1], TOKEN), status: 400, error: /JSON object/ },
    { name: 'purge with url and prefix', res: () => post(`${s.url}/purge`, { url: 'http://a/', prefix: 'http://a/' }, TOKEN), status: 400, error: /exactly one/ },
    { name: 'purge with neither', res: () => post(`${s.url}/purge`, {}, TOKEN), status: 400, error: /exactly one/ },
    { name: 'purge of a relative URL', res: () => post(`${s.url}/purge`, { url: '/index.html' }, TOKEN), status: 400, error: /absolute/ },
    { name: 'server without a pool', res: () => post(`${s.url}/server`, { server: '198.18.0.101:8080', state: 'maint' }, TOKEN), status: 400, error: /"pool" must be a pool name/ },
    { name: 'server without a server', res: () => post(`${s.url}/server`, { pool: 'app', state: 'maint' }, TOKEN), status: 400, error: /"server" must be a server as address:port/ },
    { name: 'server with a bad state', res: () => post(`${s.url}/server`, { pool: 'app', server: '198.18.0.101:8080', state: 'down' }, TOKEN), status: 400, error: /"state" must be one of ready, drain, maint/ },
    { name: 'body over 64 KiB', res: () => post(`${s.url}/purge`, { url: `http://a/${'x'.repeat(70_000)}` }, TOKEN), status: 413 },
  ];
  for (const c of cases) {
    const res = await c.res();
    t.equal(res.status, c.status, c.name);
    const body = await res.json() as { error: string };
    if (c.error) t.match(body.error, c.error, c.name);
  }
  t.equal((await fetch(`${s.url}/purge`)).headers.get('allow'), 'POST');
}));

t.test('a failing source answers 500, not a crash', async (t) => {
  const node = new TestNode();
  node.status = () => { throw new Error('boom'); };
  const server = await startAdminServer({ address: '127.0.0.1', port: 0, vips: [], source: node, metrics: createMetrics() });
  t.teardown(() => server.close());
  const res = await fetch(`${server.url}/status`);
  t.equal(res.status, 500);
  t.same(await res.json(), { error: 'boom' });
});

t.test('listens on IPv6 loopback too', async (t) => {
  const server = await startAdminServer({ address: '::1', port: 0, vips: [], source: new TestNode(), metrics: createMetrics() });
  t.teardown(() => server.close());
  t.match(server.url, /^http:\/\/\[::1\]:\d+$/);
  t.equal((await fetch(`${server.url}/healthz`)).status, 200);
});

t.test('refuses to listen on a VIP, on every address, or where it cannot', async (t) => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as net.AddressInfo).port;
  const cases = [
    { name: 'the IPv4 VIP', address: '198.19.0.1', port: 0, code: 'ERR_ADMIN_ADDRESS' },
    { name: 'the IPv6 VIP spelled differently', address: '2001:2:0:100:0::1', port: 0, code: 'ERR_ADMIN_ADDRESS' },
    { name: 'every IPv4 address', address: '0.0.0.0', port: 0, code: 'ERR_ADMIN_ADDRESS' },
    { name: 'every IPv6 address', address: '::', port: 0, code: 'ERR_ADMIN_ADDRESS' },
    { name: 'a host name', address: 'localhost', port: 0, code: 'ERR_ADMIN_ADDRESS' },
    { name: 'an address this host lacks', address: '198.18.255.254', port: 0, code: 'ERR_ADMIN_LISTEN' },
    { name: 'a port in use', address: '127.0.0.1', port: busyPort, code: 'ERR_ADMIN_LISTEN' },
  ];
  for (const c of cases) {
    await t.rejects(startAdminServer({
      address: c.address, port: c.port, vips: ['198.19.0.1', '2001:2:0:100::1'], source: new TestNode(), metrics: createMetrics(),
    }), { code: c.code }, c.name);
  }
});

// The README: every metric carries the `node` and `array` labels of the node reporting. A metric
// with a label of either name would overwrite it (lbarray_node_up once named its peer `node`).
t.test('no metric has a label of its own named node or array', async (t) => {
  const metrics = createMetrics({ defaultLabels: { array: 'lab', node: 'lb2' } });
  metrics.nodeUp.set({ peer: 'lb1' }, 0);
  metrics.requestDuration.observe({ pool: 'app' }, 0.003);
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    for (const v of m.values) t.match(v.labels, { array: 'lab', node: 'lb2' }, `${m.name} ${JSON.stringify(v.labels)}`);
  }
  for (const name of METRIC_NAMES) {
    // The merged histogram has no label names: its labels come with each sample, checked above.
    const names = (metrics.registry.getSingleMetric(name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    t.notOk(names.includes('node') || names.includes('array'), `${name} labels: ${names.join(', ') || 'none'}`);
  }
});
