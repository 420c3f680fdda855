// The per-client connection limit (proxy.maxConnectionsPerClient): its counts (a row per worker,
// summed), and real connections from two loopback addresses through proxies that share them:
// the connection beyond the limit is reset when accepted, before TLS, and counted.
import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { ClientLimit, createClientLimitBuffer } from '../../engine/l7/client-limit.js';
import { createSharedState, L7Proxy } from '../../engine/l7/proxy.js';
import { L7Node } from '../../engine/l7/workers.js';
import type { L7Options } from '../../engine/l7/types.js';
import { startBackend } from './fixtures/backends.js';
import { makeCertDir } from './fixtures/certs.js';

t.test('the limit holds over the rows of every worker; a closed connection frees its place', async (t) => {
  const buffer = createClientLimitBuffer(64, 2);
  const [w0, w1] = [new ClientLimit(3, buffer, 64, 0), new ClientLimit(3, buffer, 64, 1)];
  const held = [w0.admit('198.18.0.1'), w1.admit('198.18.0.1'), w0.admit('198.18.0.1')];
  t.ok(held.every((g) => g >= 0), 'three admitted, on two workers');
  t.equal(w1.admit('198.18.0.1'), -1, 'a fourth is refused, whichever worker accepts it');
  t.equal(w0.admit('198.18.0.1'), -1);
  t.equal(w0.openOf('198.18.0.1'), 3, 'a refused connection is not counted');
  t.ok(w1.admit('198.18.0.2') >= 0, 'another client has its own count');
  w1.release(held[1]);
  t.equal(w0.openOf('198.18.0.1'), 2);
  t.ok(w0.admit('198.18.0.1') >= 0, 'after a close, one more is admitted');
});

t.test('a worker that replaces a crashed one clears its row: the connections it counted died with it', async (t) => {
  const buffer = createClientLimitBuffer(64, 2);
  const crashed = new ClientLimit(2, buffer, 64, 1);
  crashed.admit('198.18.0.9');
  crashed.admit('198.18.0.9');
  const w0 = new ClientLimit(2, buffer, 64, 0);
  t.equal(w0.admit('198.18.0.9'), -1, 'at the limit while the worker lives');
  const replacement = new ClientLimit(2, buffer, 64, 1);
  t.equal(replacement.openOf('198.18.0.9'), 0, 'its row starts empty');
  t.ok(w0.admit('198.18.0.9') >= 0, 'so the client is served again');
});

t.test('bad sizes and rows are refused with a clear error', async (t) => {
  t.throws(() => createClientLimitBuffer(0, 1), { code: 'ERR_L7_CLIENT_GROUPS' });
  t.throws(() => new ClientLimit(1, createClientLimitBuffer(8, 2), 8, 2), { code: 'ERR_L7_CLIENT_ROW', message: 'Expected a worker row below 2 in the client-limit table, but received 2.' });
});

/** A kept-alive connection from `from` that got a 200, or the error that ended it before any response. */
async function connection(port: number, from: string, secure: boolean): Promise<{ ok: true; socket: net.Socket } | { ok: false; error: string }> {
  const socket = secure
    ? tls.connect({ port, host: '127.0.0.1', localAddress: from, rejectUnauthorized: false, servername: 'a.test' })
    : net.connect({ port, host: '127.0.0.1', localAddress: from });
  socket.on('error', () => {});
  return new Promise((resolve) => {
    let got = '';
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got)) resolve(got.startsWith('HTTP/1.1 200') ? { ok: true, socket } : { ok: false, error: got.slice(0, 12) });
    });
    socket.once('error', (e: Error & { code?: string }) => resolve({ ok: false, error: e.code ?? e.message }));
    socket.once('close', () => resolve({ ok: false, error: 'closed' }));
  });
}

t.test('real connections: two proxies sharing the counts (two workers), plain and TLS; the one beyond is reset before TLS and counted', async (t) => {
  const be = await startBackend('be');
  const certs = makeCertDir();
  const cert = certs.make(['a.test']);
  const options: L7Options = {
    clientLimit: { perClient: 3 },
    services: [
      { name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' },
      { name: 'tls', host: '127.0.0.1', port: 0, defaultPool: 'p', tls: { certificates: [{ cert: cert.cert, key: cert.key }] } },
    ],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  };
  const shared = createSharedState(options, undefined, 2);
  const proxies = [new L7Proxy(options, shared, { workerIndex: 0 }), new L7Proxy(options, shared, { workerIndex: 1 })];
  for (const p of proxies) await p.listen();
  const open: net.Socket[] = [];
  t.teardown(async () => { for (const s of open) s.destroy(); for (const p of proxies) await p.close(); await be.close(); certs.cleanup(); });
  const [a, b] = proxies;
  const served = async (port: number, from: string, secure = false) => {
    const c = await connection(port, from, secure);
    if (c.ok) open.push(c.socket);
    return c.ok ? 'served' : c.error;
  };
  t.equal(await served(a.port('web'), '127.0.0.1'), 'served', 'first, on worker 0');
  t.equal(await served(b.port('web'), '127.0.0.1'), 'served', 'second, on worker 1');
  t.equal(await served(b.port('tls'), '127.0.0.1', true), 'served', 'third, TLS on worker 1');
  t.match(await served(a.port('web'), '127.0.0.1'), /^(ECONNRESET|closed)$/, 'a fourth is reset, on worker 0');
  t.match(await served(b.port('tls'), '127.0.0.1', true), /^(ECONNRESET|closed)$/, 'and a fourth TLS one, before its handshake');
  t.equal(await served(a.port('web'), '127.0.0.2'), 'served', 'another client address is served meanwhile');
  const first = open.shift()!;
  first.destroy();
  await once(first, 'close');
  // The proxy sees the close on its next turn: retry for a moment.
  let again = '';
  for (let i = 0; i < 50 && again !== 'served'; i++) again = await served(a.port('web'), '127.0.0.1');
  t.equal(again, 'served', 'once one of its connections closed, the client gets one more');
  const deltas = proxies.map((p) => p.requestMetrics.take());
  const refused = deltas.reduce((n, d) => n + d.clientLimited, 0);
  t.ok(refused >= 2, `counted for the metrics (${refused} refused)`);
  t.equal(a.stats.clientLimited + b.stats.clientLimited, refused, 'and in the proxies\' stats');
  t.equal(deltas.reduce((n, d) => n + d.tls.failed, 0), 0, 'a refused TLS client is not a failed handshake: none was begun');
  t.equal(be.requests, 5, 'the back-end saw the five served connections\' requests, none of the refused');
});

t.test('through an L7 node of two worker threads: the third connection of a client is reset', async (t) => {
  const be = await startBackend('be');
  const node = await L7Node.start({
    workers: 2, clientLimit: { perClient: 2 },
    services: [{ name: 'web', host: '127.0.0.1', port: 0, defaultPool: 'p' }],
    pools: [{ name: 'p', servers: [{ id: 'be', host: '127.0.0.1', port: be.port }] }],
  });
  const open: net.Socket[] = [];
  t.teardown(async () => { for (const s of open) s.destroy(); await node.stop(); await be.close(); });
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await connection(node.ports.web, '127.0.0.1', false);
    if (c.ok) open.push(c.socket);
    outcomes.push(c.ok ? 'served' : c.error);
  }
  t.match(outcomes, ['served', 'served', /^(ECONNRESET|closed)$/]);
  const refused = (await node.takeMetrics()).reduce((n, d) => n + d.clientLimited, 0);
  t.equal(refused, 1, 'counted once, over both workers');
});
