// A declarative lab topology and its plan: which namespaces, links, addresses, routes and
// sysctls a spec becomes. Planning is a pure function (testable without root); lab.ts applies it.
import { LbError } from '../errors.js';
import { assertLabAddress, parseLabCidr } from './addressing.js';

export type HostRole = 'client' | 'lb' | 'backend' | 'router' | 'host';

export interface InterfaceSpec {
  /** Name inside the host, e.g. "eth0". */
  name: string;
  /** Joins the bridge of this L2 segment (the bridge lives in the lab's switch namespace)... */
  segment?: string;
  /** ...or a veth straight to another host's interface (declare the pair on one side only). */
  peer?: { host: string; iface: string };
  /** Addresses with prefix length, e.g. "198.18.0.11/24", "2001:2::11/64" (v6 gets nodad). */
  v4?: string;
  v6?: string;
  mac?: string;
  mtu?: number;
  /** Arguments of `tc qdisc add ... netem`, e.g. "delay 5ms loss 1%". */
  netem?: string;
  /** `ethtool -K` features, e.g. { tso: 'off', gso: 'off' }. */
  offloads?: Record<string, 'on' | 'off'>;
}

export interface HostSpec {
  name: string;
  role: HostRole;
  interfaces: InterfaceSpec[];
  /** Arguments of `ip route add`, e.g. "198.19.0.1/32 dev eth0", "::/0 via 2001:2:0:1::1". */
  routes?: string[];
  /** The VIP on loopback, hidden from ARP (arp_ignore=1, arp_announce=2). */
  holdsVip?: boolean;
  /** IP forwarding (v4 and v6); off unless set. */
  forwarding?: boolean;
  /** Extra sysctls, applied before any interface exists (so `default.*` keys reach them). */
  sysctls?: Record<string, string | number>;
}

export interface TopologySpec {
  hosts: HostSpec[];
  vip?: { v4: string; v6: string };
}

export interface PlannedInterface {
  name: string;
  mac: string;
  mtu: number;
  v4?: string;
  v4PrefixLength?: number;
  v6?: string;
  v6PrefixLength?: number;
  segment?: string;
  /** The other end of the veth: namespace and interface name. */
  peerNs: string;
  peerName: string;
}

export interface PlannedHost {
  name: string;
  role: HostRole;
  ns: string;
  interfaces: PlannedInterface[];
}

export interface TopologyPlan {
  prefix: string;
  /** Every namespace the lab creates; the switch (if any) first. */
  namespaces: string[];
  switchNs?: string;
  hosts: PlannedHost[];
  vip?: { v4: string; v6: string };
  /** Per namespace, applied right after creation. */
  sysctls: Map<string, Record<string, string | number>>;
  /** Per namespace, applied with them where this kernel has the keys (a module may be missing). */
  optionalSysctls: Map<string, Record<string, string | number>>;
  /** argv lists that create the veth pairs and bridges (each runs `ip -n NS ...`). */
  links: string[][];
  /** Per namespace, an `ip -batch` script: addresses, MTU, up, routes. */
  batches: Map<string, string[]>;
  /** argv lists run inside namespaces last: netem, ethtool. */
  extras: { ns: string; argv: string[] }[];
}

const roleByte: Record<HostRole, string> = { client: '0c', lb: '1b', backend: 'be', router: '0a', host: '0e' };
const hostNamePattern = /^[a-z][a-z0-9]{0,9}$/;
const ifaceNamePattern = /^[a-z][a-z0-9]{0,4}$/;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function bad(message: string): never {
  throw new LbError('ERR_LAB_BAD_TOPOLOGY', message);
}

// Settings every lab namespace gets: no DAD or router advertisements to wait for.
const commonSysctls = {
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  'net.ipv6.conf.all.accept_ra': 0,
  'net.ipv6.conf.default.accept_ra': 0,
} as const;

// A node holding the VIP must not claim it on the wire. IPv4 needs these two: arp_ignore=1 answers
// ARP only for addresses on the asking interface, arp_announce=2 never sources ARP from the VIP.
// IPv6 needs nothing: Linux answers a neighbour solicitation only for an address configured on the
// receiving interface itself (ndisc_recv_ns looks the target up strictly on that device), proxy_ndp
// is off, the VIP is added with nodad so no DAD probe announces it, and ndisc_notify stays off so
// no unsolicited NA follows. test/lab/lab.test.ts proves the ARP and NDP silence.
const hiddenVipSysctls = {
  'net.ipv4.conf.all.arp_ignore': 1,
  'net.ipv4.conf.default.arp_ignore': 1,
  'net.ipv4.conf.all.arp_announce': 2,
  'net.ipv4.conf.default.arp_announce': 2,
  'net.ipv6.conf.all.proxy_ndp': 0,
  'net.ipv6.conf.all.ndisc_notify': 0,
  'net.ipv6.conf.default.ndisc_notify': 0,
} as const;

// With br_netfilter loaded, a bridge hands the frames it forwards to iptables/nftables (the
// host's firewall rules, conntrack). The lab's bridge is a plain switch: off in its namespace
// (these keys are per namespace since Linux 5.3; they exist only while br_netfilter is loaded).
const plainBridgeSysctls = {
  'net.bridge.bridge-nf-call-iptables': 0,
  'net.bridge.bridge-nf-call-ip6tables': 0,
  'net.bridge.bridge-nf-call-arptables': 0,
} as const;

function forwardingSysctls(on: boolean): Record<string, number> {
  return { 'net.ipv4.ip_forward': on ? 1 : 0, 'net.ipv6.conf.all.forwarding': on ? 1 : 0 };
}

export function planTopology(spec: TopologySpec, prefix: string): TopologyPlan {
  const hostsByName = new Map<string, HostSpec>();
  for (const host of spec.hosts) {
    if (!hostNamePattern.test(host.name)) bad(`Host name "${host.name}" must be 1-10 lower-case letters or digits, starting with a letter.`);
    if (host.name === 'switch') bad('Host name "switch" is reserved for the lab\'s bridge namespace.');
    if (hostsByName.has(host.name)) bad(`Host "${host.name}" is declared twice.`);
    hostsByName.set(host.name, host);
  }
  if (spec.vip) {
    assertLabAddress(spec.vip.v4);
    assertLabAddress(spec.vip.v6);
  }
  const segments = [...new Set(spec.hosts.flatMap((h) => h.interfaces.flatMap((i) => (i.segment ? [i.segment] : []))))];
  const switchNs = segments.length > 0 ? `${prefix}switch` : undefined;
  const plan: TopologyPlan = {
    prefix,
    namespaces: [...(switchNs ? [switchNs] : []), ...spec.hosts.map((h) => prefix + h.name)],
    switchNs,
    hosts: [],
    vip: spec.vip,
    sysctls: new Map(),
    optionalSysctls: new Map(),
    links: [],
    batches: new Map(),
    extras: [],
  };
  if (switchNs) {
    // The switch is pure L2: no IPv6 link-local chatter from its ports, no addresses at all.
    plan.sysctls.set(switchNs, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    plan.optionalSysctls.set(switchNs, plainBridgeSysctls);
    plan.batches.set(switchNs, ['link set lo up']);
    for (const segment of segments) {
      if (!/^[a-z][a-z0-9]{0,11}$/.test(segment)) bad(`Segment name "${segment}" must be 1-12 lower-case letters or digits.`);
      plan.links.push(['ip', '-n', switchNs, 'link', 'add', `br-${segment}`, 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0']);
      plan.batches.get(switchNs)!.push(`link set br-${segment} up`);
    }
  }

  const roleCount = new Map<HostRole, number>();
  const peerOf = new Map<string, { host: string; spec: InterfaceSpec }>();
  for (const host of spec.hosts) {
    for (const iface of host.interfaces) {
      if (iface.peer) peerOf.set(`${iface.peer.host}:${iface.peer.iface}`, { host: host.name, spec: iface });
    }
  }

  const planned = new Map<string, PlannedHost>();
  for (const host of spec.hosts) {
    const ns = prefix + host.name;
    const n = (roleCount.get(host.role) ?? 0) + 1;
    roleCount.set(host.role, n);
    const sysctls: Record<string, string | number> = { ...commonSysctls, ...forwardingSysctls(host.forwarding === true) };
    if (host.holdsVip) Object.assign(sysctls, hiddenVipSysctls);
    Object.assign(sysctls, host.sysctls);
    plan.sysctls.set(ns, sysctls);
    const batch = ['link set lo up'];
    if (host.holdsVip) {
      if (!spec.vip) bad(`Host "${host.name}" holds the VIP but the topology has no vip.`);
      batch.push(`addr add ${spec.vip.v4}/32 dev lo`, `addr add ${spec.vip.v6}/128 dev lo nodad`);
    }
    const names = new Set<string>();
    const interfaces: PlannedInterface[] = [];
    host.interfaces.forEach((iface, index) => {
      if (!ifaceNamePattern.test(iface.name)) bad(`Interface name "${iface.name}" on ${host.name} must be 1-5 lower-case letters or digits.`);
      if (names.has(iface.name)) bad(`Interface ${host.name}:${iface.name} is declared twice.`);
      names.add(iface.name);
      const declaredByPeer = peerOf.get(`${host.name}:${iface.name}`);
      if (Number(iface.segment !== undefined) + Number(iface.peer !== undefined) + Number(declaredByPeer !== undefined) !== 1) {
        bad(`Interface ${host.name}:${iface.name} must join exactly one segment or one peer.`);
      }
      const mac = iface.mac ?? `02:${roleByte[host.role]}:${hex2(index)}:00:${hex2(n >> 8)}:${hex2(n & 0xff)}`;
      const mtu = iface.mtu ?? 1500;
      const p: PlannedInterface = { name: iface.name, mac, mtu, peerNs: '', peerName: '' };
      if (iface.segment) {
        p.segment = iface.segment;
        p.peerNs = switchNs!;
        p.peerName = `${host.name}-${iface.name}`;
        plan.links.push(['ip', '-n', ns, 'link', 'add', iface.name, 'address', mac, 'mtu', String(mtu), 'type', 'veth',
          'peer', 'name', p.peerName, 'mtu', String(mtu), 'netns', switchNs!]);
        plan.batches.get(switchNs!)!.push(`link set ${p.peerName} master br-${iface.segment}`, `link set ${p.peerName} up`);
      } else if (iface.peer) {
        const other = hostsByName.get(iface.peer.host);
        const otherIface = other?.interfaces.find((i) => i.name === iface.peer!.iface);
        if (!other || !otherIface) bad(`Interface ${host.name}:${iface.name} names a missing peer ${iface.peer.host}:${iface.peer.iface}.`);
        p.peerNs = prefix + other.name;
        p.peerName = otherIface.name;
        // The other side's MAC and MTU are set when that side is planned; created here, configured there.
        plan.links.push(['ip', '-n', ns, 'link', 'add', iface.name, 'address', mac, 'mtu', String(mtu), 'type', 'veth',
          'peer', 'name', otherIface.name, 'netns', p.peerNs]);
      } else {
        p.peerNs = prefix + declaredByPeer!.host;
        p.peerName = declaredByPeer!.spec.name;
        batch.push(`link set ${iface.name} address ${mac} mtu ${mtu}`);
      }
      if (iface.v4) {
        const c = parseLabCidr(iface.v4);
        if (c.family !== 4) bad(`${host.name}:${iface.name} v4 "${iface.v4}" is not IPv4.`);
        p.v4 = c.address;
        p.v4PrefixLength = c.prefixLength;
        batch.push(`addr add ${iface.v4} dev ${iface.name}`);
      }
      if (iface.v6) {
        const c = parseLabCidr(iface.v6);
        if (c.family !== 6) bad(`${host.name}:${iface.name} v6 "${iface.v6}" is not IPv6.`);
        p.v6 = c.address;
        p.v6PrefixLength = c.prefixLength;
        batch.push(`addr add ${iface.v6} dev ${iface.name} nodad`);
      }
      batch.push(`link set ${iface.name} up`);
      if (iface.offloads) {
        plan.extras.push({ ns, argv: ['ethtool', '-K', iface.name, ...Object.entries(iface.offloads).flat()] });
      }
      if (iface.netem) plan.extras.push({ ns, argv: ['tc', 'qdisc', 'add', 'dev', iface.name, 'root', 'netem', ...iface.netem.split(/\s+/)] });
      interfaces.push(p);
    });
    for (const route of host.routes ?? []) batch.push(`route add ${route}`);
    plan.batches.set(ns, batch);
    const h: PlannedHost = { name: host.name, role: host.role, ns, interfaces };
    planned.set(host.name, h);
    plan.hosts.push(h);
  }
  return plan;
}
