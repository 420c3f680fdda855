// IP address spelling: equal addresses compare equal ("2001:2::1" and "2001:2:0::1").
import net from 'node:net';

export function canonicalAddress(a: string): string {
  // The WHATWG URL parser writes IPv6 addresses in their canonical compressed form.
  return net.isIPv6(a) ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a;
}
