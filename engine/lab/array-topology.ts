// Ready-made topologies: the load-balancing array (clients, LB nodes, back-ends on one bridge,
// optionally clients behind a router) and the three-host forwarding chain used by the addon's
// lab test and the live forwarding benchmark.
import { LbError } from '../errors.js';
import { defaultVip, segmentAddress, segmentSubnet } from './addressing.js';
import type { HostSpec, InterfaceSpec, TopologySpec } from './topology.js';

export interface LinkOptions {
  mtu?: number;
  netem?: string;
}

export interface ArrayTopologyOptions {
  clients?: number;
  lbNodes?: number;
  backends?: number;
  vip?: { v4: string; v6: string };
  /**
   * Put the clients on their own segment "wan" behind router rt1 (so an ICMP "fragmentation
   * needed" can come from a router on the path). `mtu` applies to every interface on "wan".
   */
  routedClients?: boolean | { mtu?: number };
  /** Per host eth0 (key "lb2") or any interface (key "rt1:eth1"). */
  links?: Record<string, LinkOptions>;
}

// Host numbers on a segment: router .1, LB nodes .11+, back-ends .101+, clients .201+.
const plan = { router: 1, lb: 10, backend: 100, client: 200 } as const;
const limits = { clients: 54, lbNodes: 89, backends: 99 } as const;
const LAN = 0;
const WAN = 1;

function count(options: ArrayTopologyOptions, key: keyof typeof limits, fallback: number): number {
  const n = options[key] ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > limits[key]) {
    throw new LbError('ERR_LAB_BAD_TOPOLOGY', `${key} must be an integer from 0 to ${limits[key]}, not ${n}.`);
  }
  return n;
}

function attach(segmentName: string, segment: number, octet: number, extra: LinkOptions | undefined, name = 'eth0'): InterfaceSpec {
  return { name, segment: segmentName, ...segmentAddress(segment, octet), ...extra };
}

/** The array of issue 3: `client1..`, `lb1..` (VIP on lo), `be1..`, one bridge "lan". */
export function arrayTopology(options: ArrayTopologyOptions = {}): TopologySpec {
  const vip = options.vip ?? { ...defaultVip };
  const clients = count(options, 'clients', 1);
  const lbNodes = count(options, 'lbNodes', 2);
  const backends = count(options, 'backends', 1);
  const routed = options.routedClients !== undefined && options.routedClients !== false;
  const wanMtu = typeof options.routedClients === 'object' ? options.routedClients.mtu : undefined;
  const link = (key: string): LinkOptions | undefined => options.links?.[key];
  const wanLink = (key: string): LinkOptions => ({ ...(wanMtu ? { mtu: wanMtu } : {}), ...link(key) });
  const vipOnLink = [`${vip.v4}/32 dev eth0`, `${vip.v6}/128 dev eth0`];
  const wan = segmentSubnet(WAN);
  const lanGateway = segmentAddress(LAN, plan.router);
  const wanGateway = segmentAddress(WAN, plan.router);
  const viaRouter = routed
    ? [`${wan.v4} via ${lanGateway.v4.split('/')[0]}`, `${wan.v6} via ${lanGateway.v6.split('/')[0]}`]
    : [];

  const hosts: HostSpec[] = [];
  if (routed) {
    hosts.push({
      name: 'rt1',
      role: 'router',
      forwarding: true,
      interfaces: [
        attach('lan', LAN, plan.router, link('rt1') ?? link('rt1:eth0')),
        attach('wan', WAN, plan.router, wanLink('rt1:eth1'), 'eth1'),
      ],
      routes: vipOnLink,
    });
  }
  for (let i = 1; i <= lbNodes; i++) {
    hosts.push({ name: `lb${i}`, role: 'lb', holdsVip: true, interfaces: [attach('lan', LAN, plan.lb + i, link(`lb${i}`))], routes: viaRouter });
  }
  for (let i = 1; i <= backends; i++) {
    hosts.push({ name: `be${i}`, role: 'backend', interfaces: [attach('lan', LAN, plan.backend + i, link(`be${i}`))], routes: viaRouter });
  }
  for (let i = 1; i <= clients; i++) {
    const name = `client${i}`;
    hosts.push(
      routed
        ? {
            name,
            role: 'client',
            interfaces: [attach('wan', WAN, plan.client + i, wanLink(name))],
            routes: [`default via ${wanGateway.v4.split('/')[0]}`, `::/0 via ${wanGateway.v6.split('/')[0]}`],
          }
        : { name, role: 'client', interfaces: [attach('lan', LAN, plan.client + i, link(name))], routes: vipOnLink },
    );
  }
  return { hosts, vip };
}

/**
 * Three hosts in a row joined by two veth pairs: `a` (eth0) — (eth0) `mid` (eth1) — (eth0) `b`.
 * `mid` has no addresses, no IPv6 and no IP forwarding, so its kernel never forwards anything:
 * whatever crosses it was moved by a user-space forwarder. `a` and `b` share 198.18.0.0/24 and
 * 2001:2::/64; their neighbour entries (set by the caller) point at mid's MACs. TSO/GSO are off on
 * a and b so every frame fits the MTU (as frames from a real NIC do); checksum offload stays on,
 * so locally sent TCP/UDP frames arrive at mid with partial checksums.
 */
export function forwardingChain(options: { offloads?: Record<string, 'on' | 'off'>; wire?: boolean } = {}): TopologySpec {
  const offloads = options.offloads ?? { tso: 'off', gso: 'off' };
  // `wire`: also a veth straight from a to b (eth1 on both, no addresses): the path without mid,
  // whose latency is what a forwarder's adds to.
  const wire = options.wire ? [{ name: 'eth1', peer: { host: 'b', iface: 'eth1' }, offloads }] : [];
  return {
    hosts: [
      { name: 'a', role: 'host', interfaces: [{ name: 'eth0', peer: { host: 'mid', iface: 'eth0' }, v4: '198.18.0.1/24', v6: '2001:2::1/64', offloads }, ...wire] },
      {
        name: 'mid',
        role: 'host',
        sysctls: { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 },
        interfaces: [{ name: 'eth0', offloads: { gro: 'off' } }, { name: 'eth1', offloads: { gro: 'off' } }],
      },
      { name: 'b', role: 'host', interfaces: [{ name: 'eth0', peer: { host: 'mid', iface: 'eth1' }, v4: '198.18.0.2/24', v6: '2001:2::2/64', offloads },
        ...(options.wire ? [{ name: 'eth1', offloads }] : [])] },
    ],
  };
}
