// Lifecycle: reloads that apply or are refused (the running config stays), graceful stop within
// a grace period. In-process for the parts, then a real process with real signals.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Config } from '../../engine/config/index.js';
import { ConfigStore, restartRequired } from '../../engine/daemon/config-store.js';
import { StopRegistry } from '../../engine/daemon/stop-registry.js';
import { configureLogging } from '../../engine/log.js';
import { examples, root } from './fixtures/run-cli.js';

configureLogging({ level: 'silent' });
const minimal = fs.readFileSync(path.join(examples, 'minimal.yaml'), 'utf8');

function tempConfig(t: { teardown(fn: () => void): void }, text = minimal): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-life-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'array.yaml');
  fs.writeFileSync(file, text);
  return file;
}

t.test('a valid reload emits config with the new and the old', async (t) => {
  const file = tempConfig(t);
  const store = ConfigStore.load(file, 'lb1');
  const old = store.current;
  const seen: Array<[Config, Config]> = [];
  store.on('config', (next, prev) => seen.push([next, prev]));
  fs.writeFileSync(file, minimal.replace('port: 8080', 'port: 8081'));
  t.same(await store.reload(), { ok: true });
  t.equal(seen.length, 1);
  t.equal(seen[0][1], old);
  t.equal(seen[0][0], store.current);
  t.equal(store.current.pools.app.servers[0].port, 8081);
  t.equal(store.generation, 2);
});

t.test('a bad reload is refused: same config object, rejected event, no config event', async (t) => {
  const file = tempConfig(t);
  const store = ConfigStore.load(file, 'lb1');
  const old = store.current;
  let applied = 0;
  const rejected: unknown[] = [];
  store.on('config', () => applied++);
  store.on('rejected', (issues) => rejected.push(issues));
  const cases = [
    { name: 'a schema error', text: minimal.replace('port: 8080', 'port: 0'), issue: { path: 'pools.app.servers[0].port', line: 22 } },
    { name: 'a reference error', text: minimal.replace('pool: app', 'pool: gone'), issue: { path: 'routes[0].pool', line: 27 } },
    { name: 'this node removed', text: minimal.replace('id: lb1', 'id: lb9'), issue: { path: 'nodes', message: /lb1\) is no longer in the config/ } },
    { name: 'a YAML syntax error', text: `${minimal}\n  : : :\n`, issue: { path: '' } },
    { name: 'the file removed', text: undefined, issue: { path: '', message: /cannot read config file .* \(ENOENT\)/ } },
  ];
  for (const c of cases) {
    if (c.text === undefined) fs.rmSync(file); else fs.writeFileSync(file, c.text);
    const r = await store.reload();
    t.match(r, { ok: false, issues: [c.issue] }, c.name);
    t.equal(store.current, old, `${c.name}: the running config stays`);
  }
  t.equal(applied, 0);
  t.equal(rejected.length, cases.length);
  t.equal(store.generation, 1);
});

t.test('concurrent reloads share one read', async (t) => {
  const file = tempConfig(t);
  const store = ConfigStore.load(file);
  let applied = 0;
  store.on('config', () => applied++);
  const [a, b] = [store.reload(), store.reload()];
  t.equal(a, b);
  await a;
  t.equal(applied, 1);
});

t.test('restartRequired names what a reload cannot change in place', async (t) => {
  const file = tempConfig(t);
  const a = ConfigStore.load(file).current;
  fs.writeFileSync(file, minimal.replace('ipv4: 198.19.0.1', 'ipv4: 198.19.0.2').replace('port: 8080', 'port: 9090'));
  const b = ConfigStore.load(file).current;
  t.same(restartRequired(a, b), ['vip'], 'a pool change applies live; a VIP change needs a restart');
  t.same(restartRequired(a, a), []);
});

// What the election, node health, the scheduler's tables and logging take only at start: a reload
// that changes them says so (they were once applied silently, which is to say not at all).
t.test('a reload names every start-only field it changed', async (t) => {
  const cases: Array<{ change: string; names: string[] }> = [
    { change: 'election: { advertInterval: 200ms }', names: ['election'] },
    { change: 'election: { preempt: false }', names: ['election'] },
    { change: 'healthChecks: { nodes: { fall: 5 } }', names: ['healthChecks.nodes'] },
    { change: 'healthChecks: { backend: { fall: 5 } }', names: [] },
    { change: 'scheduler: { maglevTableSize: 65539 }', names: ['scheduler'] },
    { change: 'scheduler: { flowIdleTimeout: 60s }', names: ['scheduler'] },
    { change: 'scheduler: { flowSync: { interval: 50ms } }', names: ['scheduler'] },
    { change: 'logging: { level: debug }', names: ['logging.level'] },
    { change: 'logging: { format: json }', names: ['logging.format'] },
    { change: 'name: shop', names: ['name'] },
  ];
  const file = tempConfig(t);
  const a = ConfigStore.load(file).current;
  for (const c of cases) {
    fs.writeFileSync(file, `${minimal}\n${c.change}\n`);
    t.same(restartRequired(a, ConfigStore.load(file).current), c.names, c.change);
  }
  fs.writeFileSync(file, minimal.replace('ipv4: 198.18.0.12', 'ipv4: 198.18.0.12\n    priority: 200'));
  t.same(restartRequired(a, ConfigStore.load(file).current), ['nodes'], 'a node priority');
  fs.writeFileSync(file, minimal.replace('ipv4: 198.18.0.12', 'ipv4: 198.18.0.12\n    weight: 3'));
  t.same(restartRequired(a, ConfigStore.load(file).current), [], 'a node weight applies live');
});

t.test('stop functions run last-registered first within the grace period', async (t) => {
  const stops = new StopRegistry();
  const order: string[] = [];
  stops.add('election', () => { order.push('election'); });
  const remove = stops.add('never', () => { order.push('never'); });
  stops.add('proxy', async () => { await new Promise((r) => setTimeout(r, 20)); order.push('proxy'); });
  stops.add('broken', () => { throw new Error('socket already closed'); });
  remove();
  t.equal(stops.size, 3);
  const results = await stops.stopAll(1000);
  t.same(order, ['proxy', 'election']);
  t.match(results, [
    { name: 'broken', ok: false, timedOut: false, error: 'socket already closed' },
    { name: 'proxy', ok: true },
    { name: 'election', ok: true },
  ]);
  t.equal(stops.size, 0, 'a second stopAll has nothing left to stop');
});

t.test('past the grace period the rest still run, told to hurry', async (t) => {
  const stops = new StopRegistry();
  const seen: Array<[string, boolean]> = [];
  stops.add('leave-role', (late) => { seen.push(['leave-role', late.aborted]); });
  stops.add('drain', (late) => new Promise<void>((resolve) => {
    const hurry = () => { seen.push(['drain', late.aborted]); resolve(); };
    if (late.aborted) hurry(); else late.addEventListener('abort', hurry);
  }));
  stops.add('stuck', () => new Promise<void>(() => {}));
  const started = Date.now();
  const results = await stops.stopAll(100, 50);
  const took = Date.now() - started;
  t.match(results, [{ name: 'stuck', ok: false, timedOut: true }, { name: 'drain', ok: true }, { name: 'leave-role', ok: true }]);
  t.same(seen, [['drain', true], ['leave-role', true]]);
  t.ok(took >= 100 && took < 1000, `bounded by grace + force (${took} ms)`);
});

// The real thing: a process, SIGHUP with a bad then a good file, SIGTERM.
function startDaemon(file: string, slowMs: number, graceMs: number): { child: ChildProcess; next: (event: string) => Promise<Record<string, unknown>>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/cli/fixtures/daemon.ts', file, String(slowMs), String(graceMs)], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { lines.push(JSON.parse(line)); } catch { lines.push({ raw: line }); }
      for (const w of waiters.splice(0)) w();
    }
  });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let read = 0;
  const next = async (event: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      while (read < lines.length) {
        const l = lines[read++];
        if (l.event === event || l.msg === event) return l;
      }
      if (Date.now() > deadline) throw new Error(`no "${event}" (saw ${JSON.stringify(lines)})`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  return { child, next, exited };
}

t.test('a running process: SIGHUP refuses a bad config, applies a good one; SIGTERM stops in order, exit 0', async (t) => {
  const file = tempConfig(t);
  const d = startDaemon(file, 50, 2000);
  t.teardown(() => { d.child.kill('SIGKILL'); });
  t.match(await d.next('ready'), { name: 'lbarray' });

  fs.writeFileSync(file, minimal.replace('port: 8080', 'port: 70000'));
  d.child.kill('SIGHUP');
  t.match(await d.next('config refused; the running config stays'), { level: 'error', component: 'config', issues: [{ path: 'pools.app.servers[0].port', line: 22 }] });
  t.match(await d.next('rejected'), { running: 'lbarray' });

  fs.writeFileSync(file, `name: renamed\n${minimal}`);
  d.child.kill('SIGHUP');
  t.match(await d.next('config'), { name: 'renamed', previous: 'lbarray', generation: 2 });

  d.child.kill('SIGTERM');
  t.match(await d.next('stop'), { part: 'finish-requests', late: false });
  t.match(await d.next('stop'), { part: 'leave-scheduler-role' });
  t.equal(await d.exited, 0);
});

t.test('a running process: a stop that outlasts the grace period still ends with exit 0', async (t) => {
  const file = tempConfig(t);
  const d = startDaemon(file, 400, 100);
  t.teardown(() => { d.child.kill('SIGKILL'); });
  await d.next('ready');
  d.child.kill('SIGTERM');
  t.match(await d.next('stop'), { part: 'finish-requests', late: true });
  t.match(await d.next('stop'), { part: 'leave-scheduler-role' });
  t.equal(await d.exited, 0);
});

t.test('a running process: a second SIGTERM exits at once with 1', async (t) => {
  const file = tempConfig(t);
  const d = startDaemon(file, 10_000, 20_000);
  t.teardown(() => { d.child.kill('SIGKILL'); });
  await d.next('ready');
  d.child.kill('SIGTERM');
  await d.next('stopping gracefully');
  d.child.kill('SIGTERM');
  t.equal(await d.exited, 1);
});
