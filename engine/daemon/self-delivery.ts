// Claim 2: the scheduler is an LB node too. Frames Maglev gives to this node are sent into one end
// of a veth pair made for this; the far end hands them to this node's own stack, where the VIP on
// lo takes them (the VIP guard keeps every other frame out). Reverse-path filtering is relaxed on
// the far end: replies to the client leave by the client-facing interface, not by the veth.
import fs from 'node:fs';
import { hostCommand } from './host-command.js';

export interface SelfPath {
  /** The end the forwarding threads send on. */
  iface: string;
  /** The end that receives into the stack, and its MAC (the frames' destination). */
  peer: string;
  peerMac: string;
}

export const SELF_PATH = { iface: 'lbsd0', peer: 'lbsd1' } as const;

const sysctl = (key: string, value: string) => fs.writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, value);

/** Makes the pair (replacing a leftover one). LbError ERR_SELF_DELIVERY when `ip` refuses. */
export async function openSelfPath(): Promise<SelfPath> {
  const { iface, peer } = SELF_PATH;
  await closeSelfPath();
  const ip = (...args: string[]) => hostCommand(['ip', ...args], { code: 'ERR_SELF_DELIVERY' });
  await ip('link', 'add', iface, 'type', 'veth', 'peer', 'name', peer);
  // The sending end needs no addresses and must say nothing (no IPv6 link-local, no DAD).
  sysctl(`net.ipv6.conf.${iface}.disable_ipv6`, '1');
  sysctl(`net.ipv4.conf.${peer}.rp_filter`, '0');
  // The effective rp_filter is the larger of "all" and the interface's: strict (1) would still drop.
  if (fs.readFileSync('/proc/sys/net/ipv4/conf/all/rp_filter', 'utf8').trim() === '1') sysctl('net.ipv4.conf.all.rp_filter', '2');
  await ip('link', 'set', iface, 'up');
  await ip('link', 'set', peer, 'up');
  const peerMac = fs.readFileSync(`/sys/class/net/${peer}/address`, 'utf8').trim();
  return { iface, peer, peerMac };
}

/** Deletes the pair (deleting one end removes both); nothing to do if it is not there. */
export async function closeSelfPath(): Promise<void> {
  if (fs.existsSync(`/sys/class/net/${SELF_PATH.iface}`)) {
    await hostCommand(['ip', 'link', 'del', SELF_PATH.iface], { code: 'ERR_SELF_DELIVERY' });
  }
}
