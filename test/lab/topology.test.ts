// Planning a lab is pure: these run without root and pin down the address plan, the hidden-VIP
// settings and the refusals a user relies on.
import t from 'tap';
import { arrayTopology, forwardingChain, planTopology, assertLabAddress, type TopologySpec } from '../../engine/lab/index.js';
import { parseLabCidr, segmentAddress } from '../../engine/lab/addressing.js';

const prefix = 'lbtest-';

t.test('the array topology: names, roles, addresses in the lab ranges, deterministic MACs', async (t) => {
  const plan = planTopology(arrayTopology({ clients: 2, lbNodes: 3, backends: 2 }), prefix);
  t.same(plan.hosts.map((h) => h.name), ['lb1', 'lb2', 'lb3', 'be1', 'be2', 'client1', 'client2']);
  t.equal(plan.switchNs, 'lbtest-switch');
  t.same(plan.namespaces[0], 'lbtest-switch', 'switch namespace listed first');
  t.ok(plan.namespaces.every((n) => n.startsWith(prefix)), 'every namespace carries the prefix');
  const lb2 = plan.hosts.find((h) => h.name === 'lb2')!;
  t.match(lb2.interfaces[0], { name: 'eth0', v4: '198.18.0.12', v4PrefixLength: 24, v6: '2001:2::12', v6PrefixLength: 64, mac: '02:1b:00:00:00:02', segment: 'lan', peerNs: 'lbtest-switch', peerName: 'lb2-eth0' });
  const macs = plan.hosts.flatMap((h) => h.interfaces.map((i) => i.mac));
  t.equal(new Set(macs).size, macs.length, 'MACs are unique');
  for (const h of plan.hosts) for (const i of h.interfaces) {
    assertLabAddress(i.v4!);
    assertLabAddress(i.v6!);
  }
  t.same(plan.vip, { v4: '198.19.0.1', v6: '2001:2:0:100::1' });
});

t.test('LB nodes hold the VIP on lo, hidden from ARP; clients reach it on-link', async (t) => {
  const plan = planTopology(arrayTopology(), prefix);
  const lb1 = plan.batches.get('lbtest-lb1')!;
  t.ok(lb1.includes('addr add 198.19.0.1/32 dev lo'));
  t.ok(lb1.includes('addr add 2001:2:0:100::1/128 dev lo nodad'), 'v6 VIP without DAD');
  t.match(plan.sysctls.get('lbtest-lb1'), { 'net.ipv4.conf.all.arp_ignore': 1, 'net.ipv4.conf.all.arp_announce': 2, 'net.ipv4.ip_forward': 0 });
  t.notOk('net.ipv4.conf.all.arp_ignore' in plan.sysctls.get('lbtest-client1')!, 'clients answer ARP normally');
  const client = plan.batches.get('lbtest-client1')!;
  t.ok(client.includes('route add 198.19.0.1/32 dev eth0'));
  t.ok(client.includes('route add 2001:2:0:100::1/128 dev eth0'));
  t.notOk(plan.batches.get('lbtest-be1')!.some((l) => l.includes('dev lo')), 'back-ends do not hold the VIP');
  t.match(plan.sysctls.get('lbtest-switch'), { 'net.ipv6.conf.default.disable_ipv6': 1 });
  t.same(plan.optionalSysctls.get('lbtest-switch'), {
    'net.bridge.bridge-nf-call-iptables': 0, 'net.bridge.bridge-nf-call-ip6tables': 0, 'net.bridge.bridge-nf-call-arptables': 0,
  }, 'the bridge hands no frame to iptables/nftables, where br_netfilter is loaded');
  t.notOk(plan.optionalSysctls.has('lbtest-lb1'), 'only the switch namespace');
});

t.test('routed clients sit behind rt1 on segment wan, with its MTU on every wan interface', async (t) => {
  const plan = planTopology(arrayTopology({ routedClients: { mtu: 1400 }, lbNodes: 1, backends: 0 }), prefix);
  const rt1 = plan.hosts.find((h) => h.name === 'rt1')!;
  t.match(rt1.interfaces, [{ name: 'eth0', v4: '198.18.0.1', mtu: 1500 }, { name: 'eth1', v4: '198.18.1.1', v6: '2001:2:0:1::1', mtu: 1400, segment: 'wan' }]);
  t.match(plan.sysctls.get('lbtest-rt1'), { 'net.ipv4.ip_forward': 1, 'net.ipv6.conf.all.forwarding': 1 });
  t.match(plan.hosts.find((h) => h.name === 'client1')!.interfaces[0], { v4: '198.18.1.201', mtu: 1400 });
  t.ok(plan.batches.get('lbtest-client1')!.includes('route add default via 198.18.1.1'));
  t.ok(plan.batches.get('lbtest-lb1')!.includes('route add 198.18.1.0/24 via 198.18.0.1'), 'LB nodes answer clients through the router');
  t.ok(plan.batches.get('lbtest-rt1')!.includes('route add 198.19.0.1/32 dev eth0'), 'the router asks for the VIP on the lan');
  t.ok(plan.links.some((argv) => argv.join(' ').includes('link add br-wan type bridge')));
});

t.test('per-link MTU and netem reach the plan', async (t) => {
  const plan = planTopology(arrayTopology({ links: { lb2: { mtu: 9000, netem: 'delay 5ms' } } }), prefix);
  t.equal(plan.hosts.find((h) => h.name === 'lb2')!.interfaces[0]!.mtu, 9000);
  t.same(plan.extras, [{ ns: 'lbtest-lb2', argv: ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '5ms'] }]);
});

t.test('the forwarding chain: a and b joined through mid, which has no addresses and no IPv6', async (t) => {
  const plan = planTopology(forwardingChain(), prefix);
  t.equal(plan.switchNs, undefined, 'no bridge');
  const mid = plan.hosts.find((h) => h.name === 'mid')!;
  t.match(mid.interfaces, [{ name: 'eth0', peerNs: 'lbtest-a', peerName: 'eth0' }, { name: 'eth1', peerNs: 'lbtest-b', peerName: 'eth0' }]);
  t.ok(mid.interfaces.every((i) => i.v4 === undefined && i.v6 === undefined));
  t.match(plan.sysctls.get('lbtest-mid'), { 'net.ipv4.ip_forward': 0, 'net.ipv6.conf.default.disable_ipv6': 1 });
  t.ok(plan.extras.some((e) => e.ns === 'lbtest-a' && e.argv.join(' ') === 'ethtool -K eth0 tso off gso off'));
});

const invalid: { name: string; spec: TopologySpec; code: string }[] = [
  { name: 'a host name with capitals', spec: { hosts: [{ name: 'Lb1', role: 'lb', interfaces: [] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'the reserved name switch', spec: { hosts: [{ name: 'switch', role: 'host', interfaces: [] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'a host declared twice', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [] }, { name: 'a', role: 'host', interfaces: [] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'an interface on no link', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0' }] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'a peer that does not exist', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', peer: { host: 'b', iface: 'eth0' } }] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'an interface declared twice', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'x' }, { name: 'eth0', segment: 'x' }] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'a VIP holder without a VIP', spec: { hosts: [{ name: 'a', role: 'lb', holdsVip: true, interfaces: [] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'an address outside the lab ranges', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'x', v4: '10.0.0.1/24' }] }] }, code: 'ERR_LAB_ADDRESS_OUT_OF_RANGE' },
  { name: 'a v6 address outside 2001:2::/48', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'x', v6: '2001:2:1::1/64' }] }] }, code: 'ERR_LAB_ADDRESS_OUT_OF_RANGE' },
  { name: 'a v6 address given as v4', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'x', v4: '2001:2::1/64' }] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
  { name: 'an address without prefix length', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'x', v4: '198.18.0.1' }] }] }, code: 'ERR_LAB_BAD_ADDRESS' },
  { name: 'a VIP outside the lab ranges', spec: { hosts: [], vip: { v4: '192.0.2.1', v6: '2001:2::1' } }, code: 'ERR_LAB_ADDRESS_OUT_OF_RANGE' },
  { name: 'a bad segment name', spec: { hosts: [{ name: 'a', role: 'host', interfaces: [{ name: 'eth0', segment: 'LAN!' }] }] }, code: 'ERR_LAB_BAD_TOPOLOGY' },
];

t.test('topologies the lab refuses', async (t) => {
  for (const c of invalid) t.throws(() => planTopology(c.spec, prefix), { code: c.code }, c.name);
});

t.test('array sizes and address plan limits', async (t) => {
  t.throws(() => arrayTopology({ lbNodes: 90 }), { code: 'ERR_LAB_BAD_TOPOLOGY' });
  t.throws(() => arrayTopology({ clients: -1 }), { code: 'ERR_LAB_BAD_TOPOLOGY' });
  t.throws(() => segmentAddress(0, 255), { code: 'ERR_LAB_BAD_TOPOLOGY' });
  t.throws(() => parseLabCidr('198.18.0.1/33'), { code: 'ERR_LAB_BAD_ADDRESS' });
  t.throws(() => assertLabAddress('not-an-ip'), { code: 'ERR_LAB_BAD_ADDRESS' });
  t.same(parseLabCidr('198.19.255.254/15'), { address: '198.19.255.254', prefixLength: 15, family: 4 });
});
