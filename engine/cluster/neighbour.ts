// A node's MAC from the kernel's neighbour table: a datagram to the discard port makes the kernel
// resolve the address (ARP or NDP), then the table gives the answer. Used for nodes whose MAC the
// config does not give, every few seconds on every node. IPv4 reads /proc/net/arp: spawning
// `ip` from a daemon that maps hundreds of MB stalls its event loop for 50-100 ms each time (the
// fork), long enough to make VRRP adverts late. IPv6 has no such file: `ip -6 neigh` it is.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DISCARD_PORT = 9;
/** ATF_COM: the entry is complete (an answer was heard). */
const ATF_COM = 0x2;

/** The MAC of `address` on `iface` in /proc/net/arp's text, or null (absent, incomplete). */
export function arpTableMac(table: string, address: string, iface: string): string | null {
  for (const line of table.split('\n').slice(1)) {
    const [ip, , flags, mac, , dev] = line.trim().split(/\s+/);
    if (ip === address && dev === iface && (parseInt(flags ?? '0', 16) & ATF_COM) !== 0 && mac !== '00:00:00:00:00:00') return mac ?? null;
  }
  return null;
}

async function lookup(address: string, iface: string): Promise<string | null> {
  if (!address.includes(':')) {
    const table = await fs.promises.readFile('/proc/net/arp', 'utf8').catch(() => '');
    return arpTableMac(table, address, iface);
  }
  try {
    const { stdout } = await run('ip', ['-j', '-6', 'neigh', 'show', 'to', address, 'dev', iface]);
    const rows = JSON.parse(stdout || '[]') as { lladdr?: string; state?: string[] }[];
    const good = rows.find((r) => r.lladdr && !(r.state ?? []).some((s) => s === 'FAILED' || s === 'INCOMPLETE'));
    return good?.lladdr ?? null;
  } catch {
    return null;
  }
}

function kick(address: string): Promise<void> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
    s.on('error', () => { s.close(); resolve(); });
    s.send(new Uint8Array(0), DISCARD_PORT, address, () => { s.close(); resolve(); });
  });
}

/** The MAC of `address` on `iface` ("aa:bb:…"), or null if it does not answer within `waitMs`. */
export async function resolveMac(address: string, iface: string, waitMs = 300): Promise<string | null> {
  const known = await lookup(address, iface);
  if (known) return known;
  await kick(address);
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    const mac = await lookup(address, iface);
    if (mac) return mac;
  }
  return null;
}
