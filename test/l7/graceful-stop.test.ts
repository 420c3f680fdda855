// A graceful stop of the L7 node (SIGTERM, a replaced config): idle keep-alive client connections
// close at once, a request in flight still gets its whole response, and the node is gone long
// before the grace period.
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { L7Node } from '../../engine/l7/workers.js';
import { startBackend } from './fixtures/backends.js';

const GRACE_MS = 10_000;

/** A raw keep-alive connection that has finished one exchange and sits idle. */
async function idleConnection(port: number): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.write('GET /size/3 HTTP/1.1\r\nHost: x\r\n\r\n');
  let got = '';
  await new Promise<void>((resolve) => sock.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    if (got.endsWith('aaa')) resolve();
  }));
  return sock;
}

t.test('graceful stop: idle keep-alive connections close now, an in-flight request finishes', async (t) => {
  const backend = await startBackend('a');
  t.teardown(() => backend.close());
  const l7 = await L7Node.start({
    workers: 2,
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p', timeouts: { keepAliveMs: 60_000 } }],
    pools: [{ name: 'p', servers: [{ id: 'a', host: '127.0.0.1', port: backend.port }], health: { intervalMs: 60_000 } }],
  });
  const port = l7.ports.web;
  const idle = await Promise.all([idleConnection(port), idleConnection(port), idleConnection(port)]);
  const closedAt = idle.map((s) => once(s, 'close').then(() => Date.now()));

  const busy = net.connect(port, '127.0.0.1');
  let answer = '';
  busy.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
  const busyClosed = once(busy, 'close');
  busy.write('GET /slow/600 HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 150));

  const start = Date.now();
  await l7.stop({ graceful: true, graceMs: GRACE_MS });
  const took = Date.now() - start;
  t.ok(took < 3000, `the node stopped in ${took} ms (grace ${GRACE_MS} ms)`);
  const idleMs = (await Promise.all(closedAt)).map((at) => at - start);
  t.ok(idleMs.every((ms) => ms < 400), `idle connections closed at once (${idleMs.join(', ')} ms)`);
  await busyClosed;
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/, 'the request in flight got its response');
  t.match(answer, /\r\nconnection: close\r\n/i, 'announcing the close');
  t.ok(answer.endsWith('\r\n\r\nslow\n'), 'with its whole body');
});
