// proxy.maxBodyBytes: a request body over the limit is answered 413 and its connection closed;
// a Content-Length over it is refused before anything reaches a back-end (curl's Expect:
// 100-continue then sends no body at all), and a chunked body when a chunk takes it over, the
// back-end request aborted. Bodies up to the limit pass whole. Real clients: curl, raw bytes.
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { rawExchange, startBackend, statuses } from './fixtures/backends.js';

const exec = promisify(execFile);
const LIMIT = 64 * 1024;

t.test('request bodies over proxy.maxBodyBytes get 413 and a closed connection; the rest pass whole', async (t) => {
  const backend = await startBackend('a');
  const proxy = new L7Proxy({
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p', maxBodyBytes: LIMIT }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }] }],
  });
  await proxy.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-body-'));
  t.teardown(async () => { await proxy.close(); await backend.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const url = `http://127.0.0.1:${proxy.port('web')}/upload`;
  const file = (name: string, bytes: number) => { const f = path.join(dir, name); fs.writeFileSync(f, Buffer.alloc(bytes, 'b')); return f; };
  const atLimit = file('at', LIMIT);
  const over = file('over', LIMIT + 1);
  const big = file('big', 4 * LIMIT);
  // curl prints per transfer: status, bytes it uploaded, connections it opened.
  const curl = async (...args: string[]) => (await exec('curl', ['-sS', '-w', '%{http_code} %{size_upload} %{num_connects}\\n', ...args])).stdout;

  const ok = await curl('-o', path.join(dir, 'echo'), '--data-binary', `@${atLimit}`, url);
  t.equal(ok, `200 ${LIMIT} 1\n`, 'a body of exactly the limit is forwarded');
  t.equal(JSON.parse(fs.readFileSync(path.join(dir, 'echo'), 'utf8')).body.length, LIMIT, 'and the back-end got all of it');

  const before = backend.requests;
  const refused = await curl('-o', '/dev/null', '--data-binary', `@${over}`, url);
  t.match(refused, /^413 /, 'one byte over the limit: 413');
  const expect = await curl('-o', '/dev/null', '-H', 'Expect: 100-continue', '--expect100-timeout', '30', '--data-binary', `@${big}`, url);
  const [status, uploaded] = expect.trim().split(' ').map(Number);
  t.equal(status, 413, 'Expect: 100-continue with a Content-Length over the limit: 413');
  t.ok(uploaded < 4 * LIMIT, `and the client did not send its body (${uploaded} of ${4 * LIMIT} bytes)`);
  t.equal(backend.requests, before, 'no request over the limit by its Content-Length reached the back-end');

  const chunked = await curl('-o', '/dev/null', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${big}`, url);
  t.match(chunked, /^413 /, 'a chunked body that grows past the limit: 413');
  const small = await curl('-o', '/dev/null', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${atLimit}`, url);
  t.match(small, /^200 /, 'a chunked body within the limit is forwarded');

  // Raw bytes: the 413 closes the connection, so a request pipelined after the refused one is never read.
  const raw = await rawExchange(proxy.port('web'), `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT + 1}\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.same(statuses(raw.text), [413], 'one answer, 413');
  t.match(raw.text, /Connection: close/i, 'that says the connection closes');
  t.ok(raw.closed, 'and the connection is closed');
  t.equal(proxy.stats.errors[413], 4, 'every refusal counted as a 413');
});
