// The cluster link's socket filter, run by the kernel: across a real veth pair, only VRRP adverts
// (IPv4, IPv6) and TCP from the probed service port reach the ring; client traffic, other ports,
// UDP and ARP never do (and a VLAN-tagged advert, whose tag the kernel strips, still does).
import t from 'tap';
import { PacketPort } from '../../engine/ring/index.js';
import { buildFrame } from '../../engine/packet/build.js';
import { ether, ipv4, ipv6, tcp, udp } from '../../engine/packet/make.js';
import type { FrameSpec } from '../../engine/packet/spec.js';
import { clusterLinkFilter } from '../../engine/cluster/link-filter.js';
import { privateNetns, vethPair } from '../addon/fixtures/netns.js';

const PORT = 80;
const raw = (proto: number, n: number) => ({ kind: 'raw' as const, proto, payload: Uint8Array.of(0x31, 51, n, 1, 0, 10, 0, 0) });
const cases: Array<{ name: string; frame: FrameSpec; kept: boolean }> = [
  { name: 'VRRP advert over IPv4', frame: ether(ipv4('198.18.0.11', '224.0.0.18', raw(112, 1), { ttl: 255 })), kept: true },
  { name: 'VRRP advert over IPv6', frame: ether(ipv6('fe80::11', 'ff02::12', raw(112, 2), { hopLimit: 255 })), kept: true },
  { name: 'VRRP advert in an 802.1Q tag', frame: ether(ipv4('198.18.0.12', '224.0.0.18', raw(112, 3), { ttl: 255 }), { vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }] }), kept: true },
  { name: 'probe answer (SYN-ACK from VIP:80) over IPv4', frame: ether(ipv4('198.19.0.1', '198.18.0.11', tcp(PORT, 50001, { flags: 0x12 }))), kept: true },
  { name: 'probe answer over IPv4 with IP options', frame: ether(ipv4('198.19.0.1', '198.18.0.11', tcp(PORT, 50002, { flags: 0x12 }), { options: Uint8Array.of(1, 1, 1, 0) })), kept: true },
  { name: 'probe answer over IPv6', frame: ether(ipv6('2001:2:0:100::1', '2001:2::11', tcp(PORT, 50003, { flags: 0x12 }))), kept: true },
  { name: 'client request to VIP:80 (destination port, not source)', frame: ether(ipv4('198.18.0.201', '198.19.0.1', tcp(40000, PORT))), kept: false },
  { name: 'client traffic over IPv6', frame: ether(ipv6('2001:2::201', '2001:2:0:100::1', tcp(40001, PORT))), kept: false },
  { name: 'TCP from another port', frame: ether(ipv4('198.19.0.1', '198.18.0.11', tcp(443, 50004, { flags: 0x12 }))), kept: false },
  { name: 'UDP from port 80', frame: ether(ipv4('198.18.0.9', '198.18.0.11', udp(PORT, 50005))), kept: false },
];

t.test('only VRRP and probe answers reach a filtered port', async (t) => {
  const ns = privateNetns(t, 'lf');
  vethPair(ns, 'tx0', 'rx0');
  const rx = PacketPort.open({ interface: 'rx0', netns: ns, blockSize: 64 * 1024, blockCount: 4, vnetHdr: false, filter: clusterLinkFilter(PORT) });
  const all = PacketPort.open({ interface: 'rx0', netns: ns, blockSize: 64 * 1024, blockCount: 4, vnetHdr: false });
  const tx = PacketPort.open({ interface: 'tx0', netns: ns, txOnly: true, vnetHdr: false });
  t.teardown(() => { rx.close(); all.close(); tx.close(); });
  for (const c of cases) tx.send(buildFrame(c.frame));

  // Reads frames until `enough` of them arrived (or 5 s passed), then looks 100 ms more for strays.
  // A block may be retired with part of the burst: an empty poll does not mean the rest is lost.
  const drain = (port: PacketPort, enough: number): Uint8Array[] => {
    const frames: Uint8Array[] = [];
    const take = (ms: number): number => {
      const got = port.receive(64, ms);
      for (let i = 0; i < got; i++) frames.push(Uint8Array.from(port.frame(i)));
      port.release();
      return got;
    };
    for (const deadline = Date.now() + 5000; frames.length < enough && Date.now() < deadline;) take(50);
    while (take(100) > 0);
    return frames;
  };
  const expected = cases.filter((c) => c.kept).map((c) => c.name).sort();
  const seenAll = drain(all, cases.length).length;
  t.ok(seenAll >= cases.length, `the unfiltered port saw every frame sent (${seenAll}, IPv6 may add its own)`);
  // The kernel hands a tagged frame over without its 802.1Q tag: compare from the IP header on.
  const ipPart = (f: Uint8Array) => Buffer.from(f).subarray((f[12] << 8 | f[13]) === 0x8100 ? 18 : 14);
  const kept = drain(rx, expected.length).map((f) => {
    const c = cases.find((x) => ipPart(buildFrame(x.frame)).equals(ipPart(f)));
    return c?.name ?? `unexpected frame of ${f.length} bytes, ethertype ${((f[12] << 8) | f[13]).toString(16)}`;
  });
  t.same(kept.sort(), expected, 'exactly the adverts and probe answers');
});

t.test('a filter that is not whole BPF instructions is refused before the kernel', async (t) => {
  t.throws(() => PacketPort.open({ interface: 'lo', filter: new Uint32Array(3) }), { code: 'ERR_INVALID_ARG' });
  t.throws(() => PacketPort.open({ interface: 'lo', filter: [1, 2, 3, 4] as unknown as Uint32Array }), { code: 'ERR_INVALID_ARG' });
});
