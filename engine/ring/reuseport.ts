// SO_REUSEPORT listening sockets for worker_threads: Node's `net` has no
// reusePort option and workers cannot share a listening handle, so each worker
// asks for its own socket and passes it to server.listen({ fd }). The kernel
// spreads incoming connections over all sockets bound to the same address.
import { isIP } from 'node:net';
import { native } from '../native.js';
import { callNative } from './native-error.js';
import * as is from './validate.js';

/** Returns the fd of a bound, listening TCP socket with SO_REUSEPORT (IPv6 literals get
 *  IPV6_V6ONLY). The fd is non-blocking and close-on-exec; server.listen({ fd }) takes it.
 *  Throws LbError ERR_INVALID_ARG, ERR_ADDRESS_IN_USE, ERR_ADDRESS_NOT_AVAILABLE, ERR_NO_PRIVILEGE. */
export function openReusePortListener(host: string, port: number, backlog = 511): number {
  if (isIP(host) === 0) throw is.invalid('an IPv4 or IPv6 address literal', 'host', host);
  is.integer(port, 'port', 0, 65535);
  is.integer(backlog, 'backlog', 1, 65535);
  return callNative(() => native.openReusePortListener(host, port, backlog));
}

/** The local port `fd` is bound to: how further sockets join one that was bound to port 0. */
export function boundPort(fd: number): number {
  is.integer(fd, 'fd', 0, 0x7fffffff);
  return callNative(() => native.boundPort(fd));
}
