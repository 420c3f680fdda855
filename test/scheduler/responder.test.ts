// ARP replies, neighbour advertisements, echo replies and takeover announcements, decoded by tshark (a real,
// independent decoder that also checks the ICMPv6 checksum).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { answerFor, gratuitousArp, replyBudget, unsolicitedAdvertisement } from '../../engine/scheduler/responder.js';
import { buildFrame } from '../../engine/packet/index.js';
import { ether, arp, neighbourSolicitation, tcp, ip4, IPV4, IPV6, ARP } from './fixtures/frames.js';

const MAC = Uint8Array.from([0x02, 0, 0, 0, 0, 0x5c]);
const MAC_TEXT = '02:00:00:00:00:5c';

// tshark's view of frames: one line of fields per frame.
function decode(frames: Uint8Array[], fields: string[]): string[][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-responder-'));
  try {
    const file = path.join(dir, 'out.pcap');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0); header.writeUInt16LE(2, 4); header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16); header.writeUInt32LE(1, 20);
    const records = frames.map((f) => { const h = Buffer.alloc(16); h.writeUInt32LE(f.length, 8); h.writeUInt32LE(f.length, 12); return Buffer.concat([h, f]); });
    fs.writeFileSync(file, Buffer.concat([header, ...records]));
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.trim().split('\n').map((l) => l.split('|'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

t.test('answers to ARP and NDP requests for the VIP', async (t) => {
  const cases = [
    { name: 'ARP request', frame: ether(ARP, arp(1, '198.18.1.7', '198.18.0.100')),
      fields: ['eth.dst', 'eth.src', 'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4'],
      want: ['02:00:00:00:00:0a', MAC_TEXT, '2', MAC_TEXT, '198.18.0.100', '02:00:00:00:00:0a', '198.18.1.7'] },
    { name: 'VLAN-tagged ARP request', frame: ether(ARP, arp(1, '198.18.1.7', '198.18.0.100'), [42]),
      fields: ['vlan.id', 'arp.opcode', 'arp.src.proto_ipv4'], want: ['42', '2', '198.18.0.100'] },
    { name: 'neighbour solicitation', frame: ether(IPV6, neighbourSolicitation('2001:2:0:1::7', '2001:2::100')),
      fields: ['eth.dst', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'icmpv6.type', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o', 'icmpv6.nd.na.target_address', 'icmpv6.opt.linkaddr', 'icmpv6.checksum.status'],
      want: ['02:00:00:00:00:0a', '2001:2::100', '2001:2:0:1::7', '255', '136', 'True', 'True', '2001:2::100', MAC_TEXT, '1'] },
    { name: 'duplicate address detection (from ::)', frame: ether(IPV6, neighbourSolicitation('::', '2001:2::100')),
      fields: ['eth.dst', 'ipv6.dst', 'icmpv6.nd.na.flag.s', 'icmpv6.checksum.status'], want: ['33:33:00:00:00:01', 'ff02::1', 'False', '1'] },
  ];
  for (const c of cases) {
    const answer = answerFor(c.frame, MAC);
    t.ok(answer, `${c.name}: answered`);
    const got = decode([answer!], c.fields)[0];
    // tshark prints booleans as True/False or 1/0 depending on the version: compare loosely.
    const norm = (v: string): string => ({ True: '1', False: '0' } as Record<string, string>)[v] ?? v;
    t.same(got.map(norm), c.want.map(norm), c.name);
  }
  t.equal(answerFor(ether(IPV4, ip4('198.18.1.7', '198.18.0.100', tcp(1, 80))), MAC), null, 'not a request: no answer');
});

t.test('pings of the VIP get echo replies from the VIP with the request\'s id, sequence and data; a ping with a bad checksum gets none', async (t) => {
  const data = Buffer.from('lbarray ping data');
  // Requests from the packet encoder (right checksums): identifier 7, sequence 3.
  const ping = (v6: boolean, vlans: number[] = []) => buildFrame({ dst: MAC_TEXT, src: '02:00:00:00:00:0a', trailer: new Uint8Array(0),
    vlans: vlans.map((vid) => ({ tpid: 0x8100 as const, pcp: 0, dei: false, vid })),
    body: v6
      ? { kind: 'ipv6', src: '2001:2:0:1::7', dst: '2001:2::100', trafficClass: 0, flowLabel: 0, hopLimit: 64, extensions: [],
        l4: { kind: 'icmp6', type: 128, code: 0, rest: (7 << 16) | 3, payload: data } }
      : { kind: 'ipv4', src: '198.18.1.7', dst: '198.18.0.100', tos: 0, id: 1, ttl: 64, dontFragment: true, moreFragments: false, fragmentOffset: 0,
        options: new Uint8Array(0), l4: { kind: 'icmp', type: 8, code: 0, rest: (7 << 16) | 3, payload: data } } });
  const v4 = answerFor(ping(false, [42]), MAC);
  t.ok(v4, 'IPv4 ping answered');
  t.same(decode([v4!], ['vlan.id', 'eth.dst', 'eth.src', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'data.data', 'icmp.checksum.status'])[0],
    ['42', '02:00:00:00:00:0a', MAC_TEXT, '198.18.0.100', '198.18.1.7', '0', '0', '7', '3', data.toString('hex'), '1'],
    'a reply from the VIP to the sender\'s MAC, on its VLAN, id and sequence and data kept, ICMP checksum good');
  const v6 = answerFor(ping(true), MAC);
  t.ok(v6, 'IPv6 ping answered');
  t.same(decode([v6!], ['ipv6.src', 'ipv6.dst', 'icmpv6.type', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number', 'data.data', 'icmpv6.checksum.status'])[0],
    ['2001:2::100', '2001:2:0:1::7', '129', '0x0007', '3', data.toString('hex'), '1'], 'ICMPv6 echo reply, checksum good');
  for (const v6 of [false, true]) {
    const bad = ping(v6);
    bad[bad.length - 1] ^= 0xff; // a data byte: the checksum no longer holds
    t.equal(answerFor(bad, MAC), null, `IPv${v6 ? 6 : 4}: a ping with a wrong checksum is not answered`);
  }
  t.equal(answerFor(ping(false), MAC, () => false), null, 'over the budget: no reply');
});

t.test('the reply budget: a burst of its size, then its rate', async (t) => {
  let now = 0;
  const allow = replyBudget(10, () => now);
  t.equal(Array.from({ length: 30 }, allow).filter(Boolean).length, 10, 'a burst of 10');
  now = 500;
  t.equal(Array.from({ length: 30 }, allow).filter(Boolean).length, 5, 'half a second later: 5 more');
  now = 60_000;
  t.equal(Array.from({ length: 30 }, allow).filter(Boolean).length, 10, 'never more than the burst');
});

t.test('takeover announcements', async (t) => {
  const [garp] = decode([gratuitousArp('198.18.0.100', MAC)], ['eth.dst', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.isgratuitous']);
  t.same(garp.slice(0, 4), ['ff:ff:ff:ff:ff:ff', '1', '198.18.0.100', '198.18.0.100'], 'gratuitous ARP: a broadcast request for the VIP by the VIP');
  t.match(garp[4], /^(True|1)$/, 'tshark calls it gratuitous');
  const [na] = decode([unsolicitedAdvertisement('2001:2::100', MAC)], ['eth.dst', 'ipv6.dst', 'icmpv6.type', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o', 'icmpv6.nd.na.target_address', 'icmpv6.checksum.status']);
  t.same(na.map((v) => ({ True: '1', False: '0' } as Record<string, string>)[v] ?? v),
    ['33:33:00:00:00:01', 'ff02::1', '136', '0', '1', '2001:2::100', '1'], 'unsolicited NA to all nodes, override set, checksum good');
});
