// A service's header rules (services[].headers): set fields replace what the client or back-end
// sent, removed ones never pass, on the byte-forwarding path and on a CDN route alike; the
// proxy's own error pages are left alone. Real clients: curl against a real Node back-end that
// echoes the request it got.
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { startBackend } from './fixtures/backends.js';

const exec = promisify(execFile);
const HSTS = 'max-age=31536000; includeSubDomains';

/** The response heads curl saw (one per transfer) as field maps, and the body. */
async function curl(...args: string[]): Promise<{ heads: Array<Map<string, string[]>>; body: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-heads-'));
  const file = path.join(dir, 'heads');
  const { stdout } = await exec('curl', ['-sS', '-D', file, ...args], { encoding: 'utf8' });
  const text = fs.readFileSync(file, 'latin1');
  fs.rmSync(dir, { recursive: true, force: true });
  const heads = text.split(/\r\n\r\n/).filter((h) => h.startsWith('HTTP/')).map((h) => {
    const fields = new Map<string, string[]>();
    for (const line of h.split('\r\n').slice(1)) {
      const at = line.indexOf(':');
      const name = line.slice(0, at).toLowerCase();
      fields.set(name, [...(fields.get(name) ?? []), line.slice(at + 1).trim()]);
    }
    return fields;
  });
  return { heads, body: stdout };
}

t.test('header rules set and remove fields of requests to back-ends and of their responses', async (t) => {
  const backend = await startBackend('a');
  const proxy = new L7Proxy({
    services: [{
      name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p',
      routes: [{ pathPrefix: '/cdn/', pool: 'p', cdn: { baseUrls: ['http://cdn1.test'], include: { prefixes: ['/static/'] } } }],
      headers: {
        request: { set: { 'X-Origin-Token': 's3cret' }, remove: ['X-Debug'] },
        response: { set: { 'Strict-Transport-Security': HSTS }, remove: ['x-server'] },
      },
    }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }] }],
  });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await backend.close(); });
  const base = `http://127.0.0.1:${proxy.port('web')}`;
  const client = ['-H', 'X-Origin-Token: forged', '-H', 'X-Debug: 1', '-H', 'X-Kept: yes'];

  for (const [what, target] of [['forwarded bytes', '/echo'], ['a CDN route', '/cdn/echo']]) {
    const { heads, body } = await curl(...client, `${base}${target}`);
    const seen = JSON.parse(body) as { headers: Record<string, string> };
    t.equal(heads[0].has('x-cache'), target.startsWith('/cdn/'), `${what}: served by ${target.startsWith('/cdn/') ? 'the CDN layer' : 'the byte path'}`);
    t.equal(seen.headers['x-origin-token'], 's3cret', `${what}: the back-end gets the set value, not the client's`);
    t.notOk('x-debug' in seen.headers, `${what}: a removed request field never reaches the back-end`);
    t.equal(seen.headers['x-kept'], 'yes', `${what}: other request fields pass`);
    t.same(heads[0].get('strict-transport-security'), [HSTS], `${what}: the response carries the set field, once`);
    t.notOk(heads[0].has('x-server'), `${what}: a removed response field never reaches the client`);
    t.ok(heads[0].has('content-type'), `${what}: other response fields pass`);
  }

  // Keep-alive and framing still right with the rules: two requests on one connection.
  const { stdout } = await exec('curl', ['-sS', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\\n', `${base}/size/5000`, `${base}/echo`]);
  t.equal(stdout, '200 1\n200 0\n', 'both answered on one connection');

  // The proxy's own answers are not back-end responses.
  const { heads } = await curl('-X', 'GET', '-H', 'Transfer-Encoding: chunked', '-H', 'Content-Length: 3', `${base}/echo`);
  t.equal(heads.length, 1, 'one answer');
  t.notOk(heads[0].has('strict-transport-security'), "a 400 of the proxy's own carries no response rule");
});
