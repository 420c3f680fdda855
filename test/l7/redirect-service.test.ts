// A redirect service in the proxy (services[].redirect): every request is answered with the
// redirect, keep-alive kept, and none reaches a back-end. Real clients: curl, and raw bytes for the
// cases curl will not send.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { L7Proxy } from '../../engine/l7/proxy.js';
import { rawExchange, startBackend, statuses } from './fixtures/backends.js';

const exec = promisify(execFile);

t.test('a redirect service answers every request itself, keep-alive kept, and sends none to a back-end', async (t) => {
  const backend = await startBackend('a');
  const proxy = new L7Proxy({
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p', redirect: { scheme: 'https', status: 301 } }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }] }],
  });
  await proxy.listen();
  t.teardown(async () => { await proxy.close(); await backend.close(); });
  const port = proxy.port('web');

  const { stdout } = await exec('curl', ['-sS', '-H', 'Host: shop.example', '-w', '%{http_code} %{redirect_url} %{num_connects}\\n',
    '-o', '/dev/null', `http://127.0.0.1:${port}/cart?id=7`, '-o', '/dev/null', `http://127.0.0.1:${port}/a/b.png`]);
  t.same(stdout.trim().split('\n'), ['301 https://shop.example/cart?id=7 1', '301 https://shop.example/a/b.png 0'],
    'both redirected to https with path and query; the second on the same connection');

  const post = await exec('curl', ['-sS', '-H', 'Host: shop.example', '-d', 'x'.repeat(100_000), '-w', '%{http_code} %{redirect_url}',
    '-o', '/dev/null', `http://127.0.0.1:${port}/form`]);
  t.equal(post.stdout, '301 https://shop.example/form', 'a POST with a body too');

  const noHost = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
  t.same(statuses(noHost.text), [400], 'a request without a Host cannot be redirected: 400');
  t.ok(noHost.closed, 'and its connection closed');
  t.equal(backend.requests, 0, 'no request reached the back-end');
});
