// Full TLS handshakes against a port: `count` connections, `parallel` at a time, each with one
// request (Connection: close) read to the end. The client side of perf/l7-profile.ts's recipe for
// instructions per handshake under callgrind (load on a shared machine does not move them).
//   node --import tsx perf/l7-tls-client.ts <port> <count> [parallel]
// Waits for the port to accept first; exits 1 when a connection failed or got no 200.
import net from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

const [port, count, parallel = 4] = process.argv.slice(2).map(Number);
if (!(port > 0) || !(count >= 0)) {
  console.error('usage: perf/l7-tls-client.ts <port> <count> [parallel]');
  process.exit(2);
}

async function listening(): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const c = net.connect(port, '127.0.0.1'); c.on('connect', () => { c.destroy(); r(true); }); c.on('error', () => r(false)); });
    if (ok) return;
    await sleep(500);
  }
}

/** One connection: handshake, one request, the response up to the server's close. True on a 200. */
function exchange(): Promise<boolean> {
  return new Promise((resolve) => {
    // No session reuse: every handshake is a full one.
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'bench.test', rejectUnauthorized: false, session: undefined });
    let head = '';
    s.on('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n'));
    s.on('data', (d: Buffer) => { if (head.length < 12) head += d.toString('latin1', 0, 12); });
    s.on('error', () => {});
    s.on('close', () => resolve(head.startsWith('HTTP/1.1 200')));
  });
}

await listening();
let started = 0;
let failed = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
  while (started < count) {
    started++;
    if (!(await exchange())) failed++;
  }
}));
console.log(`${count} full handshakes, ${failed} failed, ${(performance.now() - t0).toFixed(0)} ms`);
process.exit(failed === 0 ? 0 : 1);
