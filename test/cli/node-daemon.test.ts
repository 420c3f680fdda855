// The node daemon's control plane with a stand-in part, over its real admin endpoint on loopback:
// status and health come from the parts, reload applies to them or is refused, stop is ordered.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { NodeStatus, PurgeRequest } from '../../engine/admin/status.js';
import type { Config } from '../../engine/config/index.js';
import { startNodeDaemon, type NodePart, type PartContext } from '../../engine/daemon/node-daemon.js';
import { configureLogging } from '../../engine/log.js';
import { startWorker } from '../../engine/worker-thread.js';
import { freePort } from '../l7/fixtures/backends.js';

configureLogging({ level: 'silent' });

/** The niceness of the calling thread (Linux: field 19 of its stat). */
function threadNice(): number {
  const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** This process's niceness before any daemon here raised its main thread's. */
const processNice = threadNice();

function configText(port: number, serverPort = 8080) {
  return `name: daemon-test
vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes:
  - { id: lb1, interface: lo, ipv4: 198.18.0.11, adminAddress: 127.0.0.1 }
  - { id: lb2, interface: lo, ipv4: 198.18.0.12, adminAddress: 127.0.0.2 }
pools:
  app:
    servers: [{ address: 198.18.0.101, port: ${serverPort} }]
routes: [{ pool: app }]
admin: { port: ${port}, token: daemon-token }
`;
}

// A part as the L7 proxy would be: it records what the daemon asks of it.
class ProxyPart implements NodePart {
  readonly name: string;
  log: string[] = [];
  healthy = true;
  applied: Config[] = [];
  constructor(name: string, readonly order: string[]) { this.name = name; }
  async start(ctx: PartContext) { this.log.push(`start ${ctx.node.id} ${ctx.config.name}`); }
  async stop() { this.order.push(this.name); }
  apply(next: Config) { this.applied.push(next); }
  status(s: NodeStatus) {
    s.role = 'scheduler';
    s.scheduler = 'lb1';
    s.backends.push({ pool: 'app', address: '198.18.0.101', port: 8080, up: true });
    s.counters[`${this.name}.requests`] = 7;
  }
  health() { return this.healthy ? { ok: true } : { ok: false, reason: 'no worker' }; }
  purge(_r: PurgeRequest) { return 2; }
  drain(on: boolean) { this.log.push(`drain ${on}`); }
}

t.test('the daemon serves its parts over the admin endpoint', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-daemon-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  const port = await freePort();
  fs.writeFileSync(file, configText(port));
  const order: string[] = [];
  const proxy = new ProxyPart('proxy', order);
  const cache = new ProxyPart('cache', order);
  const d = await startNodeDaemon({ configFile: file, nodeId: 'lb1', parts: [proxy, cache], signals: false, graceMs: 500 });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await d.stop(); });
  t.equal(d.admin.url, `http://127.0.0.1:${port}`, 'listens on the node\'s admin address');
  t.same(proxy.log, ['start lb1 daemon-test']);

  const auth = { authorization: 'Bearer daemon-token', 'content-type': 'application/json' };
  const status = await (await fetch(`${d.admin.url}/status`)).json() as NodeStatus;
  t.match(status, { node: 'lb1', role: 'scheduler', scheduler: 'lb1', draining: false, backends: [{ up: true }, { up: true }] });
  t.same(status.counters, { 'proxy.requests': 7, 'cache.requests': 7 });
  t.same(status.nodes.map((n) => n.id), ['lb1', 'lb2']);

  t.equal((await fetch(`${d.admin.url}/healthz`)).status, 200);
  cache.healthy = false;
  const unhealthy = await fetch(`${d.admin.url}/healthz`);
  t.equal(unhealthy.status, 503);
  t.match(await unhealthy.text(), 'cache: no worker');

  t.same(await (await fetch(`${d.admin.url}/purge`, { method: 'POST', headers: auth, body: '{"url":"http://www.lab.test/"}' })).json(), { purged: 4 });
  await fetch(`${d.admin.url}/drain`, { method: 'POST', headers: auth, body: '{}' });
  t.same(proxy.log.slice(1), ['drain true']);
  t.equal(((await (await fetch(`${d.admin.url}/status`)).json()) as NodeStatus).draining, true);

  const metrics = await (await fetch(`${d.admin.url}/metrics`)).text();
  t.match(metrics, 'lbarray_process_cpu_seconds_total', 'process metrics');
  t.match(metrics, /lbarray_process_cpu_seconds_total\{array="daemon-test",node="lb1"\} /, 'labelled with the array (its config name) and the node');

  // A bad file is refused; the parts see nothing and the old config stays.
  fs.writeFileSync(file, configText(port, 0));
  const refused = await fetch(`${d.admin.url}/reload`, { method: 'POST', headers: auth });
  t.equal(refused.status, 422);
  t.match(await refused.json(), { ok: false, issues: [{ path: 'pools.app.servers[0].port', line: 9 }] });
  t.equal(proxy.applied.length, 0);
  t.equal(d.store.current.pools.app.servers[0].port, 8080);

  // A good one is applied by every part before the answer.
  fs.writeFileSync(file, configText(port, 8081));
  const ok = await fetch(`${d.admin.url}/reload`, { method: 'POST', headers: auth });
  t.equal(ok.status, 200);
  t.equal(proxy.applied[0]?.pools.app.servers[0].port, 8081);
  t.equal(cache.applied.length, 1);

  await d.stop();
  stopped = true;
  t.same(order, ['cache', 'proxy'], 'parts stop last-started first');
  await t.rejects(fetch(`${d.admin.url}/status`), 'the admin endpoint is closed');
});

t.test('a part that cannot start stops the ones already started', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-daemon-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  fs.writeFileSync(file, configText(await freePort()));
  const order: string[] = [];
  const first = new ProxyPart('first', order);
  const broken: NodePart = { name: 'broken', start: async () => { throw new Error('no interface'); }, stop: async () => {} };
  await t.rejects(startNodeDaemon({ configFile: file, nodeId: 'lb1', parts: [first, broken], signals: false }), { message: 'no interface' });
  t.same(order, ['first']);
});

t.test('the main thread, where the VRRP timers run, gets election.nice; a worker thread a part started keeps its own', async (t) => {
  const before = threadNice();
  t.teardown(() => os.setPriority(before));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-daemon-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  const port = await freePort();
  fs.writeFileSync(file, `${configText(port)}election: { nice: -3 }\n`);
  // A part that starts a thread, as the L7 part starts its workers: the thread reports its niceness when asked.
  let worker: Worker | undefined;
  const part: NodePart = {
    name: 'threads',
    async start() {
      worker = new Worker(`const { parentPort } = require('node:worker_threads'); const fs = require('node:fs');
        parentPort.on('message', () => { const s = fs.readFileSync('/proc/thread-self/stat', 'utf8'); parentPort.postMessage(Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16])); });`, { eval: true });
    },
    async stop() { await worker?.terminate(); },
  };
  const d = await startNodeDaemon({ configFile: file, nodeId: 'lb1', parts: [part], signals: false, graceMs: 500 });
  t.teardown(() => d.stop());
  const workerNice = async () => { worker!.postMessage(0); return (await once(worker!, 'message'))[0] as number; };
  t.equal(threadNice(), -3, 'the main thread runs at niceness -3');
  t.equal(await workerNice(), before, 'the worker thread keeps the niceness it started with');

  fs.writeFileSync(file, `${configText(port)}election: { nice: -4 }\n`);
  const reloaded = await fetch(`${d.admin.url}/reload`, { method: 'POST', headers: { authorization: 'Bearer daemon-token' } });
  t.equal(reloaded.status, 200);
  t.equal(threadNice(), -4, 'a reload sets the new niceness');

  // A thread started now (a reload's new workers, a respawn) would inherit -4: startWorker sets the process's own.
  const later = startWorker(new URL('./fixtures/nice-worker.ts', import.meta.url), null);
  t.teardown(() => later.terminate());
  t.equal((await once(later, 'message'))[0], processNice, 'a worker started after the raise runs at the niceness the process started with');
});
