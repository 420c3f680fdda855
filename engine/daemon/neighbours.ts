// The MACs of the other LB nodes, the scheduler's next hops: from the config when it names them,
// else from the kernel's neighbour table, after a ping that makes the kernel resolve the address
// (ARP or NDP). A node whose MAC is not known takes no new flows until it is.
import { parseMac } from '../ring/mac.js';
import { hostCommand } from './host-command.js';

interface NeighbourEntry { dst: string; lladdr?: string; state?: string[] }

/** The MAC the kernel holds for `address` on `iface`, or null (none, or FAILED/INCOMPLETE). */
export async function neighbourMac(iface: string, address: string): Promise<string | null> {
  const out = await hostCommand(['ip', '-j', 'neigh', 'show', 'to', address, 'dev', iface]).catch(() => '[]');
  const entries = JSON.parse(out || '[]') as NeighbourEntry[];
  const e = entries.find((n) => n.lladdr && !n.state?.some((s) => s === 'FAILED' || s === 'INCOMPLETE'));
  return e?.lladdr ?? null;
}

/** Resolves `address` on `iface`: the table first, else one ping (bounded to 1 s) and the table again. */
export async function resolveMac(iface: string, address: string): Promise<Uint8Array | null> {
  let mac = await neighbourMac(iface, address);
  if (mac === null) {
    await hostCommand(['ping', '-c', '1', '-W', '1', '-I', iface, address], { timeoutMs: 2000 }).catch(() => undefined);
    mac = await neighbourMac(iface, address);
  }
  return mac === null ? null : parseMac(mac, `neighbour ${address}`);
}
