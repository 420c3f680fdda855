// A node's MAC from the kernel's neighbour table: a datagram to the discard port makes the kernel
// resolve the address (ARP or NDP), then `ip neigh` reads the answer. Used for nodes whose MAC
// the config does not give.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DISCARD_PORT = 9;

async function lookup(address: string, iface: string): Promise<string | null> {
  try {
    const { stdout } = await run('ip', ['-j', 'neigh', 'show', 'to', address, 'dev', iface]);
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
