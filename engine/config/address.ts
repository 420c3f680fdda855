// IP address spelling: equal addresses compare equal ("2001:2::1" and "2001:2:0::1"); prefixes.
import net from 'node:net';

export function canonicalAddress(a: string): string {
  // The WHATWG URL parser writes IPv6 addresses in their canonical compressed form.
  return net.isIPv6(a) ? new URL(`http://[${a}]/`).hostname.slice(1, -1) : a;
}

/** Parses "a.b.c.d", "a.b.c.d/len", "x::y" or "x::y/len"; undefined when it is none of these. */
export function parsePrefix(text: string): { address: string; family: 'ipv4' | 'ipv6'; bits: number } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const bitsText = slash < 0 ? String(max) : text.slice(slash + 1);
  const bits = Number(bitsText);
  if (!/^\d{1,3}$/.test(bitsText) || bits > max) return undefined;
  return { address, family: version === 4 ? 'ipv4' : 'ipv6', bits };
}
