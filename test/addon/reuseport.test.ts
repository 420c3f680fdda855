// SO_REUSEPORT listeners: two servers on one port both accept connections,
// the way L7 worker_threads share a port.
import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { boundPort, openReusePortListener } from '../../engine/ring/reuseport.js';

async function serversShareAPort(t: Test, host: string) {
  const fdA = openReusePortListener(host, 0);
  const port = boundPort(fdA);
  const a = net.createServer((s) => s.end('a'));
  a.listen({ fd: fdA });
  await once(a, 'listening');
  t.equal((a.address() as net.AddressInfo).port, port, `${host}: boundPort names the port the kernel chose`);
  const b = net.createServer((s) => s.end('b'));
  b.listen({ fd: openReusePortListener(host, port) });
  await once(b, 'listening');
  t.teardown(() => { a.close(); b.close(); });

  const seen = { a: 0, b: 0 };
  for (let i = 0; i < 40; i++) {
    const c = net.connect({ host, port });
    let reply = '';
    c.on('data', (d) => { reply += d; });
    await once(c, 'close');
    seen[reply as 'a' | 'b']++;
  }
  t.equal(seen.a + seen.b, 40, `${host}: every connection was accepted`);
  t.ok(seen.a > 0 && seen.b > 0, `${host}: both listeners accepted some (a=${seen.a}, b=${seen.b})`);
}

t.test('two IPv4 listeners share a port', (t) => serversShareAPort(t, '127.0.0.1'));
t.test('two IPv6 listeners share a port', (t) => serversShareAPort(t, '::1'));

t.test('errors carry stable codes', async (t) => {
  const cases = [
    { name: 'a host name is not an address literal', args: ['localhost', 0] as const, code: 'ERR_INVALID_ARG' },
    { name: 'a port out of range', args: ['127.0.0.1', 70000] as const, code: 'ERR_INVALID_ARG' },
    { name: 'an address this host does not have', args: ['198.18.255.254', 0] as const, code: 'ERR_ADDRESS_NOT_AVAILABLE' },
  ];
  for (const c of cases) t.throws(() => openReusePortListener(c.args[0], c.args[1]), { code: c.code }, c.name);

  const plain = net.createServer().listen(0, '127.0.0.1');
  await once(plain, 'listening');
  const port = (plain.address() as net.AddressInfo).port;
  t.throws(() => openReusePortListener('127.0.0.1', port), { code: 'ERR_ADDRESS_IN_USE' }, 'a port held without SO_REUSEPORT');
  plain.close();
  t.throws(() => boundPort(-1), { code: 'ERR_INVALID_ARG' }, 'boundPort of a negative fd');
  t.throws(() => boundPort(0x7ffffff0), { code: 'ERR_INVALID_ARG' }, 'boundPort of an fd that is not open');
});
