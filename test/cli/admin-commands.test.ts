// status, drain and reload against real admin endpoints on loopback (127.0.0.1 and 127.0.0.2,
// same port, as two nodes would have; 127.0.0.3 answers nothing, like a dead node).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createMetrics } from '../../engine/admin/metrics.js';
import { startAdminServer, type AdminServer } from '../../engine/admin/server.js';
import type { AdminState } from '../../engine/l7/admin-state.js';
import type { NodeStatus, PurgeRequest, ReloadResult, StatusSource } from '../../engine/admin/status.js';
import { bufferIo } from '../../engine/cli/io.js';
import { runCli } from '../../engine/cli/main.js';
import { configureLogging } from '../../engine/log.js';
import { lbarray } from './fixtures/run-cli.js';

configureLogging({ level: 'silent' });
const TOKEN = 'cli-test-token';

class TestNode implements StatusSource {
  draining = false;
  reloads = 0;
  constructor(readonly id: string, readonly role: 'scheduler' | 'node', readonly reloadResult: ReloadResult) {}
  status(): NodeStatus {
    return {
      node: this.id, role: this.role, scheduler: 'lb1', draining: this.draining, uptimeSeconds: 12.4,
      nodes: [{ id: 'lb1', up: true, weight: 1, draining: false }, { id: 'lb2', up: true, weight: 1, draining: false }, { id: 'lb3', up: false, weight: 1, draining: false }],
      backends: [{ pool: 'app', address: '198.18.0.101', port: 8080, up: true, state: this.servers.get('198.18.0.101:8080') ?? 'ready' },
        { pool: 'app', address: '2001:2::102', port: 8080, up: false, state: 'ready' }],
      counters: { requests: 1000, packets: 5000 },
    };
  }
  health() { return { ok: true }; }
  purges: PurgeRequest[] = [];
  purge(req: PurgeRequest) { this.purges.push(req); return 5; }
  drain(on: boolean) { this.draining = on; }
  readonly servers = new Map<string, AdminState>();
  server(pool: string, server: string, state: AdminState) {
    if (pool !== 'app' || !['198.18.0.101:8080', '[2001:2::102]:8080'].includes(server)) return false;
    this.servers.set(server, state);
    return true;
  }
  async reload() { this.reloads++; return this.reloadResult; }
}

const lb1 = new TestNode('lb1', 'scheduler', { ok: true });
const lb2 = new TestNode('lb2', 'node', { ok: false, issues: [{ path: 'pools.app.servers[0].port', line: 9, message: 'expected a number 1-65535' }] });
const servers: AdminServer[] = [];
let configFile = '';

t.before(async () => {
  servers.push(await startAdminServer({ address: '127.0.0.1', port: 0, token: TOKEN, vips: [], source: lb1, metrics: createMetrics() }));
  const port = servers[0].port;
  servers.push(await startAdminServer({ address: '127.0.0.2', port, token: TOKEN, vips: [], source: lb2, metrics: createMetrics() }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-status-'));
  configFile = path.join(dir, 'array.yaml');
  fs.writeFileSync(configFile, `vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes:
  - { id: lb1, interface: lo, ipv4: 198.18.0.11, adminAddress: 127.0.0.1 }
  - { id: lb2, interface: lo, ipv4: 198.18.0.12, adminAddress: 127.0.0.2 }
  - { id: lb3, interface: lo, ipv4: 198.18.0.13, adminAddress: 127.0.0.3 }
pools:
  app:
    servers: [{ address: 198.18.0.101, port: 8080 }]
routes: [{ pool: app }]
admin: { port: ${port}, token: ${TOKEN} }
`);
});
t.teardown(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
});

async function cli(...args: string[]) {
  const io = bufferIo();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

t.test('status asks every node; an unreachable node is shown and makes the exit code 1', async (t) => {
  const r = await cli('status', '-c', configFile);
  t.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^NODE\s+ROLE\s+SCHEDULER\s+DRAINING\s+NODES\s+BACKENDS\s+UPTIME$/);
  t.match(lines[1], /^lb1\s+scheduler\s+lb1\s+no\s+2\/3 up\s+1\/2 up\s+12s$/);
  t.match(lines[2], /^lb2\s+node\s+lb1\s+no\s+2\/3 up/);
  t.match(lines[3], /^lb3\s+unreachable/);
  t.match(r.stderr, /^node lb3 does not answer at http:\/\/127\.0\.0\.3:\d+ \(ECONNREFUSED\)\.\n$/);
});

t.test('status --node shows that node\'s back-ends and counters', async (t) => {
  const r = await cli('status', '-c', configFile, '--node', 'lb1');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /BACKEND\s+POOL\s+HEALTH\s+STATE\n/);
  t.match(r.stdout, /198\.18\.0\.101:8080\s+app\s+up\s+ready/);
  t.match(r.stdout, /\[2001:2::102\]:8080\s+app\s+down/);
  t.match(r.stdout, /requests\s+1000/);
});

t.test('drain and drain --undo reach the node with the token', async (t) => {
  let r = await cli('drain', 'lb2', '-c', configFile);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, 'node lb2 is draining');
  t.equal(lb2.draining, true);
  r = await cli('drain', 'lb2', '-c', configFile, '--undo');
  t.equal(r.code, 0);
  t.equal(lb2.draining, false);
  r = await cli('drain', 'lb3', '-c', configFile);
  t.equal(r.code, 1);
  t.match(r.stderr, /^lbarray: node lb3 does not answer/);
  r = await cli('drain', 'lb9', '-c', configFile);
  t.equal(r.code, 1);
  t.match(r.stderr, 'node "lb9" is not in the config');
});

t.test('drain without the right token is refused by the node', async (t) => {
  const wrong = fs.readFileSync(configFile, 'utf8').replace(`token: ${TOKEN}`, 'token: not-the-token');
  const file = path.join(path.dirname(configFile), 'wrong-token.yaml');
  fs.writeFileSync(file, wrong);
  const r = await cli('drain', 'lb1', '-c', file);
  t.equal(r.code, 1);
  t.match(r.stderr, /^lbarray: node lb1 answered 401: this action needs the admin token/);
  t.equal(lb1.draining, false);
});

t.test('reload: applied, refused with the issues, unreachable', async (t) => {
  const r = await cli('reload', '-c', configFile);
  t.equal(r.code, 1);
  t.match(r.stdout, 'node lb1: config reloaded.');
  t.match(r.stderr, 'node lb2 refused the config and keeps the running one:\n  pools.app.servers[0].port (line 9): expected a number 1-65535');
  t.match(r.stderr, 'node lb3 does not answer');
  const one = await cli('reload', '-c', configFile, '--node', 'lb1');
  t.equal(one.code, 0);
  t.equal(lb1.reloads, 2);
});

t.test('purge: a URL or a prefix, on every node', async (t) => {
  const r = await cli('purge', 'http://www.lab.test/static/', '--prefix', '-c', configFile);
  t.equal(r.code, 1, 'lb3 does not answer');
  t.match(r.stdout, 'node lb1: 5 cached page(s) purged.\nnode lb2: 5 cached page(s) purged.\n');
  t.match(r.stderr, 'node lb3 does not answer');
  t.same(lb1.purges, [{ prefix: 'http://www.lab.test/static/' }]);
  const one = await cli('purge', 'http://www.lab.test/index.html', '-c', configFile, '--node', 'lb2');
  t.equal(one.code, 0);
  t.same(lb2.purges.at(-1), { url: 'http://www.lab.test/index.html' });
  // Not an absolute http(s) URL: refused before any node is asked (the node would answer 400).
  const asked = lb1.purges.length;
  for (const url of ['/index.html', 'ftp://www.lab.test/']) {
    const bad = await cli('purge', url, '-c', configFile, '--node', 'lb1');
    t.equal(bad.code, 1);
    t.match(bad.stderr, `value '${url}' is invalid for argument 'url'. expected an absolute http(s) URL`);
  }
  t.equal(lb1.purges.length, asked, 'no node was asked');
});

t.test('server: a back-end\'s state on every node; an unknown server or state is refused', async (t) => {
  const r = await cli('server', 'app', '198.18.0.101:8080', 'maint', '-c', configFile);
  t.equal(r.code, 1, 'lb3 does not answer');
  t.match(r.stdout, 'node lb1: app 198.18.0.101:8080 in maintenance: no requests.\nnode lb2: app 198.18.0.101:8080 in maintenance: no requests.\n');
  t.match(r.stderr, 'node lb3 does not answer');
  t.same([lb1.servers.get('198.18.0.101:8080'), lb2.servers.get('198.18.0.101:8080')], ['maint', 'maint']);
  const shown = await cli('status', '-c', configFile, '--node', 'lb1');
  t.match(shown.stdout, /198\.18\.0\.101:8080\s+app\s+up\s+maint/, 'status shows the state');
  const one = await cli('server', 'app', '[2001:2::102]:8080', 'drain', '-c', configFile, '--node', 'lb2');
  t.equal(one.code, 0, one.stderr);
  t.match(one.stdout, 'node lb2: app [2001:2::102]:8080 draining: no new clients, persistent ones stay.');
  t.equal(lb1.servers.get('[2001:2::102]:8080'), undefined, 'only lb2 was asked');
  const unknown = await cli('server', 'app', '198.18.0.250:8080', 'ready', '-c', configFile, '--node', 'lb1');
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, 'node lb1 answered 404: there is no server "198.18.0.250:8080" in pool "app"');
  const badState = await cli('server', 'app', '198.18.0.101:8080', 'down', '-c', configFile);
  t.equal(badState.code, 1);
  t.match(badState.stderr, "value 'down' is invalid for argument 'state'. Allowed choices are ready, drain, maint.");
});

t.test('the real CLI prints the status table too', async (t) => {
  const r = await lbarray(['status', '-c', configFile, '--node', 'lb2']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^NODE\s+ROLE/);
  t.match(r.stdout, /lb2\s+node\s+lb1/);
});

t.test('in-process: schema, version, check --json, help', async (t) => {
  const schema = await cli('schema');
  t.equal(schema.code, 0);
  t.match(JSON.parse(schema.stdout), { type: 'object', required: ['vip', 'services', 'nodes', 'pools', 'routes'] });
  const v = await cli('--version');
  t.equal(v.code, 0);
  t.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  const json = await cli('check', '--json', '-c', configFile);
  t.equal(json.code, 0);
  t.equal(JSON.parse(json.stdout).nodes[2].adminAddress, '127.0.0.3');
  const help = await cli('--help');
  t.equal(help.code, 0);
  for (const c of ['run', 'check', 'demo', 'lab', 'replay', 'status', 'drain', 'reload', 'purge', 'server', 'schema', 'version']) t.match(help.stdout, new RegExp(`\\n  ${c}\\b`), c);
  const missing = await cli('replay', 'no-such-capture.pcap');
  t.equal(missing.code, 1, 'replay of a missing capture fails');
  t.match(missing.stderr, /no-such-capture\.pcap/, 'and names the file in one sentence');
  t.notMatch(missing.stderr, /\n\s+at /, 'without a stack trace');
  const badLevel = await cli('--log-level', 'loud', 'version');
  t.equal(badLevel.code, 1);
  t.match(badLevel.stderr, 'log level "loud" is not one of fatal, error, warn, info, debug, trace, silent');
  const badSeconds = await cli('demo', '--seconds', '0');
  t.equal(badSeconds.code, 1);
  t.match(badSeconds.stderr, 'expected a positive whole number');
});

t.test('an admin reply without a reason says so, instead of ending in ": "', async (t) => {
  const { replyError } = await import('../../engine/cli/admin-client.js');
  const node = { id: 'lb1' } as Parameters<typeof replyError>[0];
  t.equal(replyError(node, { status: 404, body: '' }), 'node lb1 answered 404: no reason given (is this an lbarray admin endpoint?)');
  t.equal(replyError(node, { status: 404, body: { error: 'no such endpoint /x' } }), 'node lb1 answered 404: no such endpoint /x', 'lbarray\'s own reason as it came');
});
