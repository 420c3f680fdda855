// proxy.requestId: every request gets an ID that the back-end receives, the client gets back and
// the access log records; the same one in all three, a new one per request (across workers too),
// the client's own kept only when asked for and well formed. Real clients: curl, two workers.
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { L7Node } from '../../engine/l7/workers.js';
import type { L7Options } from '../../engine/l7/types.js';
import { startBackend } from './fixtures/backends.js';

const exec = promisify(execFile);
const ID = /^[0-9a-f]{32}$/;

declare global { namespace Tap { type Test = import('tap').Test } }

async function node(t: Tap.Test, keepClient: boolean) {
  const backend = await startBackend('a');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-reqid-'));
  const log = path.join(dir, 'access.log');
  const options: L7Options = {
    workers: 2,
    accessLog: log,
    requestId: { header: 'X-Request-Id', keepClient },
    services: [{
      name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p',
      routes: [{ pathPrefix: '/cdn/', pool: 'p', cdn: { baseUrls: ['http://cdn1.test'], include: { prefixes: ['/static/'] } } }],
    }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }] }],
  };
  const l7 = await L7Node.start(options);
  t.teardown(async () => { await l7.stop(); await backend.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const base = `http://127.0.0.1:${l7.ports.web}`;
  /** One request: the ID the back-end saw (its echo) and the response's X-Request-Id fields. */
  const get = async (target: string, ...args: string[]) => {
    const heads = path.join(dir, 'heads');
    const { stdout } = await exec('curl', ['-sS', '-D', heads, ...args, `${base}${target}`], { encoding: 'utf8' });
    const echoed = (JSON.parse(stdout) as { headers: Record<string, string> }).headers['x-request-id'];
    const returned = [...fs.readFileSync(heads, 'latin1').matchAll(/^x-request-id: (.*)\r$/gim)].map((m) => m[1]);
    return { echoed, returned };
  };
  const logged = async (count: number) => {
    for (let i = 0; i < 100; i++) {
      const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim() : '';
      const lines = text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as { id?: string; target: string });
      if (lines.length >= count) return lines;
      await sleep(50);
    }
    throw new Error(`fewer than ${count} access log lines`);
  };
  return { get, logged };
}

t.test('each request gets a new ID: the back-end, the client and the access log see the same one', async (t) => {
  const { get, logged } = await node(t, false);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const target = i % 2 === 0 ? `/echo/${i}` : `/cdn/echo/${i}`;
    const { echoed, returned } = await get(target, '-H', 'X-Request-Id: from-the-client');
    t.match(echoed, ID, `${target}: the back-end got a fresh 32-hex ID, not the client's`);
    t.same(returned, [echoed], `${target}: the client got the same ID back, once`);
    seen.add(echoed);
  }
  t.equal(seen.size, 20, 'every request its own ID (20 fresh connections)');
  t.equal(new Set([...seen].map((id) => id.slice(0, 16))).size, 2, 'both workers answered, each with a prefix of its own');
  const lines = await logged(20);
  t.same(new Set(lines.map((l) => l.id)), seen, 'the access log records each request under its ID');
});

t.test('keepClient keeps a well-formed client ID and replaces a malformed one', async (t) => {
  const { get } = await node(t, true);
  const kept = await get('/echo', '-H', 'X-Request-Id: edge-7f3a.42');
  t.equal(kept.echoed, 'edge-7f3a.42', "the client's ID reaches the back-end");
  t.same(kept.returned, ['edge-7f3a.42'], 'and comes back');
  const bad = await get('/echo', '-H', 'X-Request-Id: two words, "quoted"');
  t.match(bad.echoed, ID, 'a malformed one is replaced by a fresh ID');
  const none = await get('/cdn/echo');
  t.match(none.echoed, ID, 'no client ID: a fresh one, on a CDN route too');
});
