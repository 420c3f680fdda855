// A worker's listening sockets: the kernel spreads connections per SO_REUSEPORT socket, so
// every worker must hold as many as the others, including the one that bound port 0 first.
import t from 'tap';
import fs from 'node:fs';
import { ACCEPT_SOCKETS, openServiceSockets } from '../../engine/l7/acceptors.js';
import { boundPort } from '../../engine/ring/reuseport.js';

t.test('on port 0, the first worker opens as many sockets as the others, all on the port it got', async (t) => {
  const first = openServiceSockets('127.0.0.1', 0, false);
  const port = boundPort(first[0]);
  const second = openServiceSockets('127.0.0.1', port, false);
  t.teardown(() => { for (const fd of [...first, ...second]) fs.closeSync(fd); });
  t.equal(first.length, ACCEPT_SOCKETS, 'first worker');
  t.equal(second.length, ACCEPT_SOCKETS, 'second worker');
  t.same([...first, ...second].map(boundPort), [...first, ...second].map(() => port), 'one port');
});

t.test('with a connection limit, one socket a worker (the limit is counted per server)', async (t) => {
  const fds = openServiceSockets('::1', 0, true);
  t.teardown(() => { for (const fd of fds) fs.closeSync(fd); });
  t.equal(fds.length, 1);
});
