// Node 20's libuv accepts one connection per listening socket per turn of the event loop (libuv
// #3696, "don't accept() connections in a loop"). A worker thread whose turns come slowly (on a
// loaded machine it waits for a CPU at every wakeup) then accepts fewer connections than arrive on
// a busy service: the accept queue grows until clients time out, while the same thread keeps up
// with a quieter service. Seen in the demo at load 10-14 on 2 cores: port 80 accept queues of
// 25-59 (one accept4 per socket per turn, turns 150-400 ms apart), port 443 empty; every client
// timeout was a connection the kernel had completed and no worker had accepted. Several
// SO_REUSEPORT sockets per service and worker accept that many per turn (the kernel spreads the
// connections over every socket of the port).
import net from 'node:net';
import { boundPort, openReusePortListener } from '../ring/reuseport.js';

/** Listening sockets per service in each worker thread. */
export const ACCEPT_SOCKETS = 4;

/**
 * A worker's SO_REUSEPORT sockets for a service on host:port. One where more cannot be: a
 * connection limit is counted by each socket's server. Every worker opens as many, since the
 * kernel spreads connections per socket, not per worker: the others join the port the first got.
 */
export function openServiceSockets(host: string, port: number, limited: boolean): number[] {
  const first = openReusePortListener(host, port, 1024);
  const bound = port === 0 ? boundPort(first) : port;
  return [first, ...Array.from({ length: limited ? 0 : ACCEPT_SOCKETS - 1 }, () => openReusePortListener(host, bound, 1024))];
}

/** What every client-facing server of the proxy is made with. */
export const SERVER_OPTIONS: net.ServerOpts = { allowHalfOpen: true, noDelay: true };

/** Listens on `fd` and hands every connection accepted there to `server`'s 'connection' handlers. */
export function acceptInto(server: net.Server, fd: number): Promise<net.Server> {
  const acceptor = net.createServer(SERVER_OPTIONS, (socket) => server.emit('connection', socket));
  acceptor.on('error', () => {}); // as the service's own server: a failed accept is not the worker's end
  return new Promise((resolve, reject) => {
    acceptor.once('error', reject);
    acceptor.listen({ fd }, () => {
      acceptor.removeListener('error', reject);
      resolve(acceptor);
    });
  });
}
