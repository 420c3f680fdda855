// The access log: one JSON line per request, from real clients through a real proxy, including
// the requests the proxy answers itself and the ones whose client left.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { L7Node } from '../../engine/l7/workers.js';
import { AccessLog } from '../../engine/l7/access-log.js';
import { rawExchange, startBackend } from './fixtures/backends.js';

const exec = promisify(execFile);

function tmpLog(t: Tap.Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-access-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'logs', 'access.log');
}
const lines = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
declare global { namespace Tap { type Test = import('tap').Test } }

t.test('every request gets a line: served, answered by the proxy, and left by its client', async (t) => {
  const a = await startBackend('a');
  t.teardown(() => a.close());
  const file = tmpLog(t);
  const proxy = new L7Proxy({
    accessLog: file,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
  });
  await proxy.listen();
  const port = proxy.port('web');
  await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${port}/hello?x=1`]);
  await exec('curl', ['-sS', '-o', '/dev/null', '-H', 'Host: site.test', `http://127.0.0.1:${port}/status/404`]);
  await rawExchange(port, 'GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n');
  // A client that gives up (a reset) while the back-end is still working.
  const quitter = net.connect(port, '127.0.0.1');
  quitter.on('error', () => {});
  await once(quitter, 'connect');
  quitter.write('GET /slow/400 HTTP/1.1\r\nHost: x\r\n\r\n');
  await sleep(100);
  quitter.resetAndDestroy();
  await sleep(500);
  proxy.setServerState({ pool: 'p', server: 'a', up: false });
  await rawExchange(port, 'GET /none HTTP/1.1\r\nHost: x\r\n\r\n');
  await proxy.close();
  const got = lines(file);
  t.equal(got.length, 5, 'five requests, five lines');
  t.match(got[0], { log: 'access', worker: 0, client: '127.0.0.1', method: 'GET', host: `127.0.0.1:${port}`, target: '/hello?x=1', status: 200, pool: 'p', server: 'a' });
  t.ok(typeof got[0].ms === 'number' && (got[0].ms as number) >= 0 && typeof got[0].time === 'string', 'a duration in ms and a timestamp');
  t.match(got[1], { host: 'site.test', target: '/status/404', status: 404, server: 'a' }, 'the back-end\'s status');
  t.match(got[2], { method: '-', target: '-', status: 400 }, 'a malformed request: 400, nothing of it trusted');
  t.match(got[3], { target: '/slow/400', status: 499, server: 'a' }, 'the client left first: 499');
  t.ok((got[3].ms as number) >= 90 && (got[3].ms as number) < 390, `the 499 line says how long the client waited (${got[3].ms} ms), not the back-end`);
  t.match(got[4], { target: '/none', status: 503, pool: 'p' }, 'no server up: 503');
  t.notOk('server' in got[4], 'and no server');
});

t.test('workers append to one file; a stop writes every line', async (t) => {
  const a = await startBackend('a');
  t.teardown(() => a.close());
  const file = tmpLog(t);
  const l7 = await L7Node.start({
    workers: 2, accessLog: file,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
  });
  const port = l7.ports.web;
  const n = 60;
  for (let i = 0; i < n; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${port}/r${i}`]);
  await l7.stop();
  const got = lines(file);
  t.equal(got.length, n, `${n} requests, ${n} whole lines`);
  t.same(new Set(got.map((l) => l.target)).size, n, 'each request once');
  t.same([...new Set(got.map((l) => l.worker))].sort(), [0, 1], 'lines from both workers');
});

t.test('rotation: move the file away, reload; the new workers write a new file, the old one keeps its lines whole', async (t) => {
  const a = await startBackend('a');
  t.teardown(() => a.close());
  const file = tmpLog(t);
  const options = (port: number) => ({
    workers: 1, accessLog: file,
    services: [{ name: 'web', host: '127.0.0.1', port, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: a.port }] }],
  });
  // A reload, as the daemon does it: a second node on the same port (SO_REUSEPORT), then the old one stops.
  const old = await L7Node.start(options(0), {}, { reusePort: true });
  const port = old.ports.web;
  for (let i = 0; i < 5; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${port}/old${i}`]);
  const rotated = `${file}.1`;
  fs.renameSync(file, rotated);
  const next = await L7Node.start(options(port), {}, { reusePort: true });
  t.teardown(() => next.stop());
  await old.stop({ graceful: true });
  for (let i = 0; i < 5; i++) await exec('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${port}/new${i}`]);
  await next.stop({ graceful: true });
  t.same(lines(rotated).map((l) => l.target), ['/old0', '/old1', '/old2', '/old3', '/old4'], 'the rotated file: the lines written before');
  t.same(lines(file).map((l) => l.target), ['/new0', '/new1', '/new2', '/new3', '/new4'], 'a new file at the configured path: the lines after');
});

// docs/config.md: logging.accessLog "-" is standard output, not a file named "-" beside the config.
t.test('accessLog "-": the lines go to standard output', async (t) => {
  const { validateConfig } = await import('../../engine/config/index.js');
  const r = validateConfig(`vip: { ipv4: 198.19.0.1 }
services: [{ name: web, port: 80 }]
nodes: [{ id: lb1, interface: eth0, ipv4: 198.18.0.11 }]
pools: { p: { servers: [{ address: 198.18.0.101, port: 8080 }] } }
routes: [{ pool: p }]
logging: { accessLog: "-" }
`, { baseDir: os.tmpdir(), checkFiles: false });
  t.equal(r.ok && r.config.logging.accessLog, '-', 'kept as "-", not made a path');
  const script = `import { AccessLog } from './engine/l7/access-log.ts';
const log = new AccessLog('-', 2);
log.write({ client: '198.18.1.1', method: 'GET', host: 'a.test', target: '/x', status: 200, pool: 'p', server: 'a', ms: 1.25 });
await log.close();
process.stdout.write("still open\\n");`;
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(import.meta.dirname, '../..') });
  const [line, after] = stdout.trim().split('\n');
  t.match(JSON.parse(line), { log: 'access', worker: 2, client: '198.18.1.1', target: '/x', status: 200, ms: 1.3 }, 'one JSON line on stdout');
  t.equal(after, 'still open', 'closing the log leaves standard output open');
});

// A worker exits as soon as its proxy is closed: every line written must be in the file by then.
t.test('close() resolves only when every line is in the file', async (t) => {
  const file = tmpLog(t);
  const log = new AccessLog(file, 0);
  const n = 20_000;
  for (let i = 0; i < n; i++) log.write({ client: '198.18.0.1', method: 'GET', host: 'x', target: `/l${i}`, status: 200, pool: 'p', server: 'a', ms: 1 });
  await log.close();
  const got = lines(file);
  t.equal(got.length, n, `${n} lines written, ${n} in the file`);
  t.equal(got[n - 1].target, `/l${n - 1}`, 'the last one last');
});

t.test('a line written after close() is dropped, not thrown', async (t) => {
  const file = tmpLog(t);
  const log = new AccessLog(file, 0);
  log.write({ client: '198.18.0.1', method: 'GET', host: 'x', target: '/before', status: 200, pool: 'p', server: 'a', ms: 1 });
  await log.close();
  t.doesNotThrow(() => log.write({ client: '198.18.0.1', method: 'GET', host: 'x', target: '/after', status: 499, pool: 'p', server: 'a', ms: 1 }));
  t.same(lines(file).map((l) => l.target), ['/before']);
});
