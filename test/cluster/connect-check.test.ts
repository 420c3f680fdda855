// A node's check of its own service must not fail because the node itself stalled: on a loaded
// machine the timeout timer and the connection's completion come due together, and a timer-first
// verdict made a master resign and the election flap (seen in the failover benchmark).
import net from 'node:net';
import t from 'tap';
import { connectCheck } from '../../engine/cluster/node-prober.js';

const stall = (ms: number) => { const until = Date.now() + ms; while (Date.now() < until); };

t.test('a connect that completed during a stall longer than the timeout passes', async (t) => {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const check = connectCheck('127.0.0.1', port, 50);
  stall(300); // the kernel completes the handshake meanwhile; both the timer and the connect are due
  t.equal(await check, true, 'passes');
});

t.test('nothing listening: fails', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  t.equal(await connectCheck('127.0.0.1', port, 200), false, 'refused');
});
