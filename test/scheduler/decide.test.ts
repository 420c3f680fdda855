// Frame → decision: services only, ARP/NDP and pings for VIPs consumed, fragments together, PMTU errors to
// the node holding the quoted flow, drops counted by reason; garbage never throws.
import t from 'tap';
import { Decider, DECISION_CONSUMED, DECISION_DROP } from '../../engine/scheduler/decide.js';
import { DropReason, DROP_REASON_NAMES, SchedulerCounters } from '../../engine/scheduler/counters.js';
import { FlowTable } from '../../engine/scheduler/flow-table.js';
import { FlowRouter, type TableView } from '../../engine/scheduler/flow-router.js';
import { buildMaglevTable, MAGLEV_MIN_SIZE } from '../../engine/scheduler/maglev.js';
import { ServiceSet, addressWords } from '../../engine/scheduler/service-set.js';
import { DESCRIPTOR_STRIDE, FrameFlag } from '../../engine/ring/constants.js';
import { ether, tcp, udp, icmp, icmp6, ip4, ip6, arp, neighbourSolicitation, IPV4, IPV6, ARP } from './fixtures/frames.js';

const VIP = '198.18.0.100';
const VIP6 = '2001:2::100';
const CLIENT = '198.18.1.7';
const CLIENT6 = '2001:2:0:1::7';
const services = new ServiceSet([
  { vip: VIP, proto: 'tcp', port: 80 }, { vip: VIP, proto: 'tcp', port: 443 }, { vip: VIP, proto: 'udp', port: 443 },
  { vip: VIP6, proto: 'tcp', port: 80 }, { vip: VIP6, proto: 'udp', port: 443 },
]);
const NODES = ['lb1', 'lb2', 'lb3'];
function view(weights = [1, 1, 1]): TableView {
  return {
    table: buildMaglevTable(NODES.map((id, i) => ({ id, weight: weights[i] })), MAGLEV_MIN_SIZE),
    nodeStates: new Int32Array(NODES.length).fill(1),
  };
}
function setup(v: TableView = view()) {
  const counters = new SchedulerCounters(NODES.length);
  const decider = new Decider(services, new FlowRouter(new FlowTable({ capacity: 1 << 12 }), v), counters);
  const decide = (frame: Uint8Array): number => decider.decide(frame, 0, frame.length, 1);
  return { counters, decider, decide };
}

// A layer's bytes with one byte changed (a header field broken on purpose).
function withByte<T extends { bytes: number[] } | number[]>(l: T, at: number, value: number): T {
  const bytes = Array.isArray(l) ? [...l] : [...l.bytes];
  bytes[at] = value;
  return (Array.isArray(l) ? bytes : { ...l, bytes }) as T;
}
const tcp80 = tcp(40000, 80);
const S_TAG = { tpid: 0x88a8, vid: 200 };

// What the VIP's flows look like on the wire, and what must happen to them.
type Want = 'node' | 'consumed' | keyof typeof DropReason;
const cases: Array<{ name: string; frame: Uint8Array; want: Want }> = [
  { name: 'TCP SYN to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(40000, 80, 0x02))), want: 'node' },
  { name: 'TCP ACK to VIP:443', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(40000, 443))), want: 'node' },
  { name: 'UDP to VIP:443', frame: ether(IPV4, ip4(CLIENT, VIP, udp(5000, 443, [1, 2]))), want: 'node' },
  { name: 'VLAN-tagged TCP to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(40001, 80)), [10]), want: 'node' },
  { name: 'QinQ-tagged TCP to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(40001, 80)), [10, 20]), want: 'node' },
  { name: 'IPv6 TCP to [VIP6]:80', frame: ether(IPV6, ip6(CLIENT6, VIP6, tcp(40000, 80))), want: 'node' },
  { name: 'IPv6 with hop-by-hop header, TCP to [VIP6]:80', frame: ether(IPV6, ip6(CLIENT6, VIP6, tcp(40000, 80), undefined, true)), want: 'node' },
  { name: 'TCP to VIP:22 (no such service)', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(40000, 22))), want: 'NOT_SERVICE' },
  { name: 'UDP to VIP:80 (TCP only there)', frame: ether(IPV4, ip4(CLIENT, VIP, udp(40000, 80))), want: 'NOT_SERVICE' },
  { name: 'GRE to VIP', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 47, bytes: [0, 0, 8, 0] })), want: 'NOT_SERVICE' },
  { name: 'IPv6 TCP to [VIP6]:443 (UDP only there)', frame: ether(IPV6, ip6(CLIENT6, VIP6, tcp(40000, 443))), want: 'NOT_SERVICE' },
  { name: 'TCP to another address', frame: ether(IPV4, ip4(CLIENT, '198.18.0.1', tcp(40000, 80))), want: 'NOT_VIP' },
  { name: 'IPv6 TCP to another address', frame: ether(IPV6, ip6(CLIENT6, '2001:2::1', tcp(40000, 80))), want: 'NOT_VIP' },
  { name: 'ARP request for the VIP', frame: ether(ARP, arp(1, CLIENT, VIP)), want: 'consumed' },
  { name: 'ARP request for another address', frame: ether(ARP, arp(1, CLIENT, '198.18.0.1')), want: 'NOT_VIP_RESOLUTION' },
  { name: 'ARP reply about the VIP', frame: ether(ARP, arp(2, VIP, CLIENT)), want: 'NOT_VIP_RESOLUTION' },
  { name: 'NDP solicitation for VIP6', frame: ether(IPV6, neighbourSolicitation(CLIENT6, VIP6)), want: 'consumed' },
  { name: 'NDP solicitation for another address', frame: ether(IPV6, neighbourSolicitation(CLIENT6, '2001:2::1')), want: 'NOT_VIP_RESOLUTION' },
  { name: 'ping to the VIP: the responder answers', frame: ether(IPV4, ip4(CLIENT, VIP, icmp(8, 0, [1, 2, 3, 4]))), want: 'consumed' },
  { name: 'ICMPv6 echo to VIP6: the responder answers', frame: ether(IPV6, ip6(CLIENT6, VIP6, icmp6(128, 0, []))), want: 'consumed' },
  { name: 'an echo request with a code other than 0', frame: ether(IPV4, ip4(CLIENT, VIP, icmp(8, 1, [1, 2, 3, 4]))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'an echo reply to the VIP', frame: ether(IPV4, ip4(CLIENT, VIP, icmp(0, 0, [1, 2, 3, 4]))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'frag-needed quoting a non-service port', frame: ether(IPV4, ip4('198.18.5.1', VIP, icmp(3, 4, ip4(VIP, CLIENT, tcp(22, 40000))))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'frag-needed quoting too little', frame: ether(IPV4, ip4('198.18.5.1', VIP, icmp(3, 4, ip4(VIP, CLIENT, tcp(80, 40000)).slice(0, 22)))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'LLDP', frame: ether(0x88cc, [0, 0, 0, 0]), want: 'NOT_IP' },
  { name: 'runt frame (10 bytes)', frame: new Uint8Array(10), want: 'MALFORMED' },
  { name: 'IPv4 header cut short', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(1, 80)).slice(0, 12)), want: 'MALFORMED' },
  { name: 'IPv4 IHL below 5', frame: ether(IPV4, [0x44, ...ip4(CLIENT, VIP, tcp(1, 80)).slice(1)]), want: 'MALFORMED' },
  { name: 'IPv4 total length past the frame', frame: ether(IPV4, ip4(CLIENT, VIP, tcp(1, 80)).slice(0, 30)), want: 'MALFORMED' },
  { name: 'TCP header cut short', frame: ether(IPV4, (() => { const b = ip4(CLIENT, VIP, tcp(1, 80)).slice(0, 30); b[3] = 30; return b; })()), want: 'MALFORMED' },
  { name: 'IPv6 payload length past the frame', frame: ether(IPV6, ip6(CLIENT6, VIP6, tcp(1, 80)).slice(0, 50)), want: 'MALFORMED' },
  { name: 'IPv6 GRE to VIP6', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 47, bytes: [0, 0, 8, 0] })), want: 'NOT_SERVICE' },
  { name: 'IPv6 fragment to a non-service port', frame: ether(IPV6, ip6(CLIENT6, VIP6, udp(1, 53), { offset: 0, more: true })), want: 'NOT_SERVICE' },
  { name: 'IPv6 fragment to another address', frame: ether(IPV6, ip6(CLIENT6, '2001:2::1', udp(1, 443), { offset: 0, more: true })), want: 'NOT_VIP' },
  { name: 'ICMPv6 echo to another address', frame: ether(IPV6, ip6(CLIENT6, '2001:2::1', icmp6(128, 0, []))), want: 'NOT_VIP' },
  { name: 'packet-too-big quoting a non-service port', frame: ether(IPV6, ip6('2001:2::5', VIP6, icmp6(2, 0, ip6(VIP6, CLIENT6, tcp(22, 40000))))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'packet-too-big quoting IPv4', frame: ether(IPV6, ip6('2001:2::5', VIP6, icmp6(2, 0, ip4(VIP, CLIENT, tcp(80, 40000))))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'frag-needed quoting ICMP', frame: ether(IPV4, ip4('198.18.5.1', VIP, icmp(3, 4, ip4(VIP, CLIENT, icmp(0, 0, [0, 0, 0, 0]))))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'frag-needed quoting a later fragment', frame: ether(IPV4, ip4('198.18.5.1', VIP, icmp(3, 4, ip4(VIP, CLIENT, tcp(80, 40000), 5)))), want: 'ICMP_NOT_STEERABLE' },
  { name: 'ICMP header cut short', frame: ether(IPV4, (() => { const b = ip4(CLIENT, VIP, icmp(3, 4, [])).slice(0, 24); b[3] = 24; return b; })()), want: 'MALFORMED' },
  { name: 'IPv6 extension header past the payload', frame: ether(IPV6, (() => { const b = ip6(CLIENT6, VIP6, { proto: 6, bytes: [] }, undefined, true); b[5] = 4; return b.slice(0, 44); })()), want: 'MALFORMED' },
  { name: 'IPv6 fragment header cut short', frame: ether(IPV6, (() => { const b = ip6(CLIENT6, VIP6, { proto: 17, bytes: [] }, { offset: 0, more: true }); b[5] = 4; return b.slice(0, 44); })()), want: 'MALFORMED' },
  { name: 'IPv6 chain of only extension headers', frame: ether(IPV6, (() => { const b = ip6(CLIENT6, VIP6, { proto: 0, bytes: [] }, undefined, true); return b; })()), want: 'MALFORMED' },
  { name: 'ICMPv6 header cut short', frame: ether(IPV6, (() => { const b = ip6(CLIENT6, VIP6, { proto: 58, bytes: [135, 0, 0, 0] }); return b; })()), want: 'MALFORMED' },
  { name: 'NDP solicitation cut short', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 58, bytes: [135, 0, 0, 0, 0, 0, 0, 0, 1, 2] })), want: 'MALFORMED' },
  { name: 'IPv6 version field wrong', frame: ether(IPV6, [0x40, ...ip6(CLIENT6, VIP6, tcp(1, 80)).slice(1)]), want: 'MALFORMED' },
  { name: 'first IPv4 fragment too short for ports', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 17, bytes: [0, 1] }, 0x2000)), want: 'MALFORMED' },
  { name: 'VLAN tag cut short', frame: Uint8Array.from([...new Array(12).fill(0), 0x81, 0, 0, 10]), want: 'MALFORMED' },
  { name: 'ARP cut short', frame: ether(ARP, arp(1, CLIENT, VIP).slice(0, 20)), want: 'MALFORMED' },
  // Frames the codec refuses (engine/packet) are never forwarded nor handed to the responder, also
  // to a service: each next to the valid frame it breaks.
  { name: '802.1ad tag then 802.1Q tag (QinQ), TCP to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80), [S_TAG, 10]), want: 'node' },
  { name: 'three VLAN tags', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80), [10, 20, 30]), want: 'MALFORMED' },
  { name: 'reserved VID 4095', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80), [4095]), want: 'MALFORMED' },
  { name: '802.1ad tag inside an 802.1Q tag', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80), [10, S_TAG]), want: 'MALFORMED' },
  { name: 'IPv4 options (record route, no-op, end), TCP to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80, 0, [7, 3, 4, 1, 1, 0, 0, 0])), want: 'node' },
  { name: 'IPv4 option longer than the header (IHL)', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80, 0, [7, 9, 4, 0])), want: 'MALFORMED' },
  { name: 'IPv4 option of length 1', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80, 0, [7, 1, 0, 0])), want: 'MALFORMED' },
  { name: 'IPv6 destination options then TCP to [VIP6]:80', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 60, bytes: [6, 0, 1, 4, 0, 0, 0, 0, ...tcp80.bytes] })), want: 'node' },
  { name: 'IPv6 hop-by-hop after a destination options header', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 60, bytes: [0, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0, ...tcp80.bytes] })), want: 'MALFORMED' },
  { name: 'two IPv6 fragment headers', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 44, bytes: [17, 0, 0, 1, 0, 0, 0, 9, ...udp(1, 443, new Array(8).fill(0)).bytes] }, { offset: 0, more: true })), want: 'MALFORMED' },
  { name: 'IPv6 fragment of 12 bytes with more to come', frame: ether(IPV6, ip6(CLIENT6, VIP6, { proto: 17, bytes: new Array(12).fill(0) }, { offset: 0, more: true })), want: 'MALFORMED' },
  { name: 'IPv4 fragment with DF set', frame: ether(IPV4, ip4(CLIENT, VIP, udp(1, 443, new Array(8).fill(0)), 0x6000)), want: 'MALFORMED' },
  { name: 'IPv4 fragment of 12 bytes with more to come', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 17, bytes: new Array(12).fill(0) }, 0x2000)), want: 'MALFORMED' },
  { name: 'IPv4 fragment past 65535 bytes', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 17, bytes: new Array(64).fill(0) }, 8191)), want: 'MALFORMED' },
  { name: 'IPv4 reserved flag set', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80, 0x8000)), want: 'MALFORMED' },
  { name: 'TCP with 4 bytes of options (data offset 6) to VIP:80', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 6, bytes: [...withByte(tcp80, 12, 0x60).bytes, 2, 4, 5, 0xb4] })), want: 'node' },
  { name: 'TCP data offset 2 words (8 bytes)', frame: ether(IPV4, ip4(CLIENT, VIP, withByte(tcp80, 12, 0x20))), want: 'MALFORMED' },
  { name: 'TCP data offset past the segment', frame: ether(IPV6, ip6(CLIENT6, VIP6, withByte(tcp80, 12, 0xf0))), want: 'MALFORMED' },
  { name: 'TCP header of 16 bytes', frame: ether(IPV4, ip4(CLIENT, VIP, { proto: 6, bytes: tcp80.bytes.slice(0, 16) })), want: 'MALFORMED' },
  { name: 'UDP length longer than the datagram', frame: ether(IPV4, ip4(CLIENT, VIP, withByte(udp(5000, 443, [1, 2]), 5, 200))), want: 'MALFORMED' },
  { name: 'ARP opcode 3', frame: ether(ARP, withByte(arp(1, CLIENT, VIP), 7, 3)), want: 'MALFORMED' },
  { name: 'NDP solicitation for VIP6 with a source link-layer option', frame: ether(IPV6, neighbourSolicitation(CLIENT6, VIP6, [1, 1, 2, 0, 0, 0, 0, 7])), want: 'consumed' },
  { name: 'NDP solicitation for VIP6 with an option of length 0 (RFC 4861 §4.6)', frame: ether(IPV6, neighbourSolicitation(CLIENT6, VIP6, [1, 0, 2, 0, 0, 0, 0, 7])), want: 'MALFORMED' },
  { name: 'NDP solicitation for VIP6 with an option past the end', frame: ether(IPV6, neighbourSolicitation(CLIENT6, VIP6, [1, 2, 2, 0, 0, 0, 0, 7])), want: 'MALFORMED' },
];

t.test('decisions and drop reasons (cases as data)', async (t) => {
  for (const c of cases) {
    const { counters, decide } = setup();
    const d = decide(c.frame);
    if (c.want === 'node') {
      t.ok(d >= 0 && d < NODES.length, `${c.name}: forwarded to node ${d}`);
      t.equal(counters.nodePackets[d], 1, `${c.name}: counted for the node`);
      t.equal(counters.nodeBytes[d], c.frame.length, `${c.name}: bytes counted`);
    } else if (c.want === 'consumed') {
      t.equal(d, DECISION_CONSUMED, `${c.name}: consumed`);
      t.equal(counters.consumed, 1);
    } else {
      t.equal(d, DECISION_DROP, `${c.name}: dropped`);
      t.equal(counters.drops[DropReason[c.want]], 1, `${c.name}: counted as ${c.want}`);
    }
  }
});

t.test('a flow keeps its node packet after packet (and its reply path is not ours)', async (t) => {
  const { decide } = setup();
  const first = decide(ether(IPV4, ip4(CLIENT, VIP, tcp(40000, 80, 0x02))));
  for (const flags of [0x10, 0x18, 0x10, 0x11, 0x04]) t.equal(decide(ether(IPV4, ip4(CLIENT, VIP, tcp(40000, 80, flags)))), first);
  const spread = new Set<number>();
  for (let port = 1024; port < 1124; port++) spread.add(decide(ether(IPV4, ip4(CLIENT, VIP, tcp(port, 80, 0x02)))));
  t.equal(spread.size, 3, 'distinct flows spread over all three nodes');
});

t.test('fragments of one datagram reach one node (IPv4 and IPv6)', async (t) => {
  const { decide } = setup();
  for (let i = 0; i < 40; i++) {
    const src = `198.18.2.${i}`;
    const first = decide(ether(IPV4, ip4(src, VIP, udp(6000 + i, 443, new Array(64).fill(1)), 0x2000)));
    const middle = decide(ether(IPV4, ip4(src, VIP, { proto: 17, bytes: new Array(64).fill(2) }, 0x2000 | 9)));
    const last = decide(ether(IPV4, ip4(src, VIP, { proto: 17, bytes: new Array(8).fill(3) }, 18)));
    t.ok(first >= 0 && first === middle && middle === last, `IPv4 datagram ${i}: ${first}, ${middle}, ${last}`);
    const src6 = `2001:2:0:2::${i + 1}`;
    const f6 = decide(ether(IPV6, ip6(src6, VIP6, udp(6000 + i, 443, new Array(64).fill(1)), { offset: 0, more: true })));
    const l6 = decide(ether(IPV6, ip6(src6, VIP6, { proto: 17, bytes: new Array(8).fill(3) }, { offset: 72, more: false })));
    t.ok(f6 >= 0 && f6 === l6, `IPv6 datagram ${i}: ${f6}, ${l6}`);
  }
  const { decide: d2, counters } = setup();
  const later = d2(ether(IPV4, ip4(CLIENT, VIP, { proto: 6, bytes: [1, 2, 3, 4, 5, 6, 7, 8] }, 0x2000 | 9)));
  const last = d2(ether(IPV4, ip4(CLIENT, VIP, { proto: 6, bytes: [1, 2, 3, 4] }, 18)));
  t.ok(later >= 0 && later === last, 'later TCP fragments for the VIP are forwarded together (TCP services exist there)');
  t.equal(d2(ether(IPV4, ip4(CLIENT, VIP, { proto: 47, bytes: [1, 2, 3, 4] }, 9))), DECISION_DROP, 'no GRE service: dropped');
  t.equal(d2(ether(IPV4, ip4(CLIENT, VIP, udp(1, 53), 0x2000))), DECISION_DROP, 'first fragment to a non-service port: dropped');
  t.equal(counters.drops[DropReason.NOT_SERVICE], 2);
});

// PMTU: the node of a client's flow sends VIP:80 → client; a router on the way answers with
// "fragmentation needed" to the VIP. It must reach the node that holds the flow, also after the
// Maglev table changed (the flow table remembers).
t.test('PMTU errors reach the node that holds the quoted flow', async (t) => {
  const v = view();
  const { decider, decide, counters } = setup(v);
  const router = '198.18.5.1';
  for (let port = 41000; port < 41030; port++) {
    const node = decide(ether(IPV4, ip4(CLIENT, VIP, tcp(port, 80, 0x02))));
    decider.router.use(view([1, 1, 0])); // lb3 drains: its tracked flows stay, Maglev moves its slots
    const quoted = ip4(VIP, CLIENT, tcp(80, port, 0x10, new Array(8).fill(0)));
    t.equal(decide(ether(IPV4, ip4(router, VIP, icmp(3, 4, quoted)))), node, `IPv4 flow :${port} → node ${node}`);
    decider.router.use(v);
    const node6 = decide(ether(IPV6, ip6(CLIENT6, VIP6, tcp(port, 80, 0x02))));
    decider.router.use(view([1, 1, 0]));
    const quoted6 = ip6(VIP6, CLIENT6, tcp(80, port, 0x10, new Array(8).fill(0)));
    t.equal(decide(ether(IPV6, ip6('2001:2::5', VIP6, icmp6(2, 0, quoted6)))), node6, `IPv6 flow :${port} → node ${node6}`);
    decider.router.use(v);
  }
  t.equal(counters.pmtuSteered, 60);
});

t.test('no node up: dropped as NO_NODE; the batch call fills every decision', async (t) => {
  const empty = { table: new Int32Array(MAGLEV_MIN_SIZE).fill(-1), nodeStates: new Int32Array(3) };
  const { decider, counters } = setup(empty);
  const frames = [ether(IPV4, ip4(CLIENT, VIP, tcp(1, 80))), ether(ARP, arp(1, CLIENT, VIP)), ether(0x88cc, [0, 0])];
  const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  const offsets = new Int32Array(frames.length);
  const lengths = new Int32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => { buf.set(f, at); offsets[i] = at; lengths[i] = f.length; at += f.length; });
  const out = new Int32Array(frames.length);
  decider.decideBatch(buf, offsets, lengths, frames.length, out, 1);
  t.same([...out], [DECISION_DROP, DECISION_CONSUMED, DECISION_DROP]);
  t.equal(counters.drops[DropReason.NO_NODE], 1);
  const snap = counters.snapshot(NODES);
  t.same(Object.keys(snap.drops), DROP_REASON_NAMES);
  t.equal(snap.drops.NOT_IP, 1);
  t.same(snap.nodes.lb1, { packets: 0, bytes: 0 });
  t.equal(snap.consumed, 1);
});

// On a ring the kernel takes the outer VLAN tag off a frame (the addon puts it back on forward):
// the descriptor's tag counts as the frame's first, under the same rules.
t.test('ring batches: the tag the kernel stripped counts as the outer tag', async (t) => {
  const { decider, counters } = setup();
  const syn = (tags: number[]) => ether(IPV4, ip4(CLIENT, VIP, tcp(40002, 80, 0x02)), tags);
  const Q = 0x8100 << 16;
  const AD = 0x88a8 << 16;
  const frames: Array<{ name: string; frame: Uint8Array; stripped: number; want: Want }> = [
    { name: 'stripped 802.1Q tag, no tag left', frame: syn([]), stripped: Q | 10, want: 'node' },
    { name: 'stripped 802.1ad tag, 802.1Q tag left (QinQ)', frame: syn([20]), stripped: AD | 10, want: 'node' },
    { name: 'stripped VID 4095', frame: syn([]), stripped: Q | 4095, want: 'MALFORMED' },
    { name: 'stripped tag and two left (three tags)', frame: syn([20, 30]), stripped: Q | 10, want: 'MALFORMED' },
    { name: 'stripped 802.1Q tag, 802.1ad tag left', frame: ether(IPV4, ip4(CLIENT, VIP, tcp80), [S_TAG]), stripped: Q | 10, want: 'MALFORMED' },
    { name: 'no tag stripped (VLAN flag clear), two in the frame', frame: syn([10, 20]), stripped: -1, want: 'node' },
  ];
  const ring = new Uint8Array(frames.reduce((n, f) => n + f.frame.length, 0));
  const desc = new Int32Array(DESCRIPTOR_STRIDE * frames.length);
  let at = 0;
  frames.forEach((f, i) => {
    ring.set(f.frame, at);
    // offset, length, flags, tag; a stale tag with the flag clear is ignored
    desc.set([at, f.frame.length, f.stripped === -1 ? 0 : FrameFlag.VLAN_VALID, f.stripped === -1 ? Q | 4095 : f.stripped], DESCRIPTOR_STRIDE * i);
    at += f.frame.length;
  });
  const out = new Int32Array(frames.length);
  decider.decideDescriptors(ring, desc, DESCRIPTOR_STRIDE, frames.length, out, 1);
  frames.forEach((f, i) => t.ok(f.want === 'node' ? out[i] >= 0 : out[i] === DECISION_DROP, `${f.name}: ${f.want}`));
  t.equal(counters.drops[DropReason.MALFORMED], 3, 'the three broken ones counted as MALFORMED');
});

// Garbage in: truncations and byte flips of valid frames never throw and always decide.
t.test('fuzz: 30000 mutated frames, no exception, decisions in range', async (t) => {
  const { decide, counters } = setup();
  let seed = 12345;
  const rand = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
  const seeds = cases.map((c) => c.frame);
  let bad = 0;
  for (let i = 0; i < 30000; i++) {
    const base = seeds[rand(seeds.length)];
    const f = base.slice(0, rand(base.length + 1));
    for (let k = rand(4); k > 0 && f.length > 0; k--) f[rand(f.length)] = rand(256);
    const d = decide(f);
    if (!(d === DECISION_DROP || d === DECISION_CONSUMED || (d >= 0 && d < NODES.length))) bad++;
  }
  t.equal(bad, 0, 'every decision is drop, consumed or a node');
  t.ok(counters.drops[DropReason.MALFORMED] > 1000, `${counters.drops[DropReason.MALFORMED]} counted as malformed`);
});

// A batch keys the common frames first and routes every frame in order afterwards: it must
// decide exactly as frame by frame. A one-bucket flow table makes the order of inserts and
// evictions matter, and a Maglev table that changes between batches makes it show: a flow still
// tracked keeps its old node. Frames: the cases above, flows of many clients, and mutations; on
// a ring, some with a tag the kernel stripped.
for (const ring of [false, true]) {
  t.test(`${ring ? 'decideDescriptors' : 'decideBatch'} decides as frame by frame: decisions, counters, tracked flows`, async (t) => {
    const make = () => {
      const counters = new SchedulerCounters(NODES.length);
      const flows = new FlowTable({ capacity: 8 });
      return { counters, flows, decider: new Decider(services, new FlowRouter(flows, view()), counters) };
    };
    const batched = make();
    const single = make();
    let seed = 99;
    const rand = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed % n; };
    const flow = (): Uint8Array => {
      const flags = [0x02, 0x10, 0x11][rand(3)];
      return rand(4) === 0 ? ether(IPV6, ip6(`2001:2:0:1::${rand(300).toString(16)}`, VIP6, tcp(1000 + rand(3), 80, flags)))
        : ether(IPV4, ip4(`198.18.${1 + rand(4)}.${rand(256)}`, VIP, tcp(1000 + rand(3), 80, flags)));
    };
    const views = [view(), view([1, 0, 1]), view([0, 1, 1])];
    let differ = 0;
    for (let b = 0; b < 60; b++) {
      const frames = Array.from({ length: 1 + rand(64) }, () => {
        const f = rand(3) === 0 ? cases[rand(cases.length)].frame.slice() : flow();
        if (rand(4) === 0) f[rand(f.length)] = rand(256);
        return f;
      });
      const tags = frames.map(() => (ring && rand(5) === 0 ? (0x8100 << 16) | rand(4096) : 0));
      const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      const desc = new Int32Array(DESCRIPTOR_STRIDE * frames.length);
      let at = 0;
      frames.forEach((f, i) => {
        buf.set(f, at);
        desc.set([at, f.length, tags[i] !== 0 ? FrameFlag.VLAN_VALID : 0, tags[i]], DESCRIPTOR_STRIDE * i);
        at += f.length;
      });
      const offsets = Int32Array.from(frames, (_, i) => desc[DESCRIPTOR_STRIDE * i]);
      const lengths = Int32Array.from(frames, (f) => f.length);
      const out = new Int32Array(frames.length);
      for (const d of [batched, single]) d.decider.router.use(views[b % views.length]);
      if (ring) batched.decider.decideDescriptors(buf, desc, DESCRIPTOR_STRIDE, frames.length, out, b);
      else batched.decider.decideBatch(buf, offsets, lengths, frames.length, out, b);
      frames.forEach((f, i) => { if (single.decider.decide(buf, offsets[i], lengths[i], b, tags[i]) !== out[i]) differ++; });
    }
    t.equal(differ, 0, 'same decision for every frame');
    t.same(batched.counters.snapshot(NODES), single.counters.snapshot(NODES), 'same counters');
    t.ok(batched.counters.snapshot(NODES).nodes.lb3.packets > 100, 'many frames were forwarded');
    t.same([batched.flows.size, batched.flows.evictedEmbryonic, batched.flows.evictedEstablished, batched.flows.refused],
      [single.flows.size, single.flows.evictedEmbryonic, single.flows.evictedEstablished, single.flows.refused], 'same flow table');
  });
}

t.test('service set: addresses and bad specs', async (t) => {
  const cases: Array<[string, number[]]> = [
    ['198.18.0.100', [0xc6120064, 0, 0, 0]], ['2001:2::100', [0x20010002, 0, 0, 0x100]], ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]], ['fe80::1:2', [0xfe800000, 0, 0, 0x10002]], ['::ffff:198.18.0.1', [0, 0, 0xffff, 0xc6120001]],
    ['2001:2:0:1:2:3:4:5', [0x20010002, 0x1, 0x20003, 0x40005]], ['2001:2::', [0x20010002, 0, 0, 0]],
  ];
  for (const [s, want] of cases) t.same([...addressWords(s)], want, s);
  t.throws(() => addressWords('nope'), { code: 'ERR_SERVICE_ADDRESS' });
  t.throws(() => new ServiceSet([{ vip: VIP, proto: 'tcp', port: 0 }]), { code: 'ERR_SERVICE_PORT' });
  t.throws(() => new ServiceSet([{ vip: VIP, proto: 'sctp' as 'tcp', port: 80 }]), { code: 'ERR_SERVICE_PROTO' });
  t.equal(new ServiceSet([{ vip: VIP, proto: 'tcp', port: 80 }, { vip: VIP, proto: 'tcp', port: 80 }]).count, 1);
  t.equal(services.has(0xc6120064 | 0, 0, 0, 0, 6 | (80 << 16)), true);
  t.equal(services.has(0xc6120064 | 0, 0, 0, 0, 6 | (8080 << 16)), false);
});
