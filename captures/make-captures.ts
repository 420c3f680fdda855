// Makes the synthetic captures of captures/ (see captures/README.md), deterministic (seeded):
//   node --import tsx captures/make-captures.ts        writes captures/*.pcap
// A test (test/capture/captures.test.ts) checks the committed files equal what this makes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePcap, packFrames } from '../engine/capture/index.js';
import { ipv4, ipv6, ns, tcp, udp, icmp, fragmentIpv4, fragmentIpv6 } from '../engine/packet/index.js';
import { solicitedNode, ipBytes } from '../engine/packet/index.js';
import { brokenFrames } from './malformed.js';
import { Random } from './random.js';
import { GATEWAY_MAC, VIP4, VIP6, client, httpRequest, ipTo, pmtuError, tcpFlow, toScheduler, type Client, type Flow, type Timed } from './traffic.js';

const START_US = 1_700_000_000 * 1e6; // 2023-11-14: a fixed epoch keeps the bytes stable

export interface MadeCapture {
  name: string;
  frames: Uint8Array[];
  timestamps: number[];
  /** malformed.pcap: the codec Reason each frame must give, and what broke it. */
  expected?: Array<{ name: string; reason: number }>;
}

function sorted(name: string, timed: Timed[]): MadeCapture {
  timed.sort((a, b) => a.at - b.at);
  return { name, frames: timed.map((t) => t.frame), timestamps: timed.map((t) => t.at) };
}

function flowsOf(rng: Random, clients: Client[], count: number): Flow[] {
  return Array.from({ length: count }, () => ({ client: rng.pick(clients), sport: 32768 + rng.below(28232), dport: rng.below(2) === 0 ? 80 : 443 }));
}

function connections(rng: Random, flows: Flow[], spreadUs: number): Timed[] {
  return flows.flatMap((f, i) => tcpFlow(rng, f, START_US + rng.below(spreadUs), httpRequest(`/page/${i}`, f.dport === 443)));
}

/** web-flows.pcap: many whole TCP connections from many clients to both VIPs, ports 80 and 443. */
function webFlows(): MadeCapture {
  const rng = new Random(0x1b5eed01);
  const clients = [...Array.from({ length: 300 }, (_, i) => client(i, false)), ...Array.from({ length: 100 }, (_, i) => client(i, true))];
  return sorted('web-flows.pcap', connections(rng, flowsOf(rng, clients, 600), 2_000_000));
}

/** mixed.pcap: everything else a scheduler meets. */
function mixed(): MadeCapture {
  const rng = new Random(0x1b5eed02);
  const v4 = Array.from({ length: 20 }, (_, i) => client(768 + i, false));
  const v6 = Array.from({ length: 10 }, (_, i) => client(768 + i, true));
  const flows = flowsOf(rng, [...v4, ...v6], 24);
  const out = connections(rng, flows, 200_000);
  let at = START_US + 300_000;
  const add = (frame: Uint8Array): void => { out.push({ at, frame }); at += 100 + rng.below(900); };
  const router4 = { ip: '198.18.1.254', mac: GATEWAY_MAC };
  const router6 = { ip: '2001:2:0:1::fe', mac: GATEWAY_MAC };
  // PMTU errors quoting responses of the flows above (the scheduler steers them to the flow's node).
  for (const f of flows.slice(0, 12)) add(pmtuError(f, f.client.v6 ? router6 : router4, f.client.v6 ? 1280 : 1400));
  // UDP: to a VIP port that is a service only for TCP (443) and to one that is no service (9, discard).
  for (const c of [...v4.slice(0, 4), ...v6.slice(0, 2)]) {
    add(toScheduler(c.mac, ipTo(c, udp(40000 + rng.below(20000), 443, new Uint8Array(64).fill(0x51)), rng.next())));
    add(toScheduler(c.mac, ipTo(c, udp(40000 + rng.below(20000), 9, new Uint8Array(30).fill(0x39)), rng.next())));
  }
  // IP fragments of 3000-byte UDP datagrams (v4: 1480-byte pieces, v6: 1448).
  for (const c of v4.slice(0, 2)) {
    for (const piece of fragmentIpv4(ipv4(c.ip, VIP4, udp(41000, 443, new Uint8Array(2992).fill(0x46)), { id: rng.below(0x10000) }), 1480)) add(toScheduler(c.mac, piece));
  }
  for (const c of v6.slice(0, 2)) {
    for (const piece of fragmentIpv6(ipv6(c.ip, VIP6, udp(41000, 443, new Uint8Array(2992).fill(0x46))), 1448, rng.next())) add(toScheduler(c.mac, piece));
  }
  // ARP: requests for the VIP, a request for another host, a gratuitous announcement.
  for (const c of v4.slice(0, 4)) add(toScheduler(c.mac, { kind: 'arp', op: 1, senderMac: c.mac, senderIp: c.ip, targetMac: '00:00:00:00:00:00', targetIp: VIP4 }));
  add(toScheduler(v4[5].mac, { kind: 'arp', op: 1, senderMac: v4[5].mac, senderIp: v4[5].ip, targetMac: '00:00:00:00:00:00', targetIp: '198.18.0.11' }));
  add(toScheduler(v4[6].mac, { kind: 'arp', op: 2, senderMac: v4[6].mac, senderIp: v4[6].ip, targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: v4[6].ip }));
  // NDP: solicitations for the VIP (solicited-node group), for another host, and duplicate address detection.
  const group = solicitedNode(ipBytes(VIP6));
  for (const c of v6.slice(0, 4)) add(toScheduler(c.mac, ipv6(c.ip, group.ip, ns(VIP6, c.mac), { hopLimit: 255 })));
  const other = solicitedNode(ipBytes('2001:2::11'));
  add(toScheduler(v6[5].mac, ipv6(v6[5].ip, other.ip, ns('2001:2::11', v6[5].mac), { hopLimit: 255 })));
  add(toScheduler(v6[6].mac, ipv6('::', group.ip, ns(VIP6), { hopLimit: 255 })));
  // VLAN-tagged: 802.1Q VID 100 and 802.1ad 200 + 802.1Q 100 (QinQ), TCP and an ARP request.
  const q = { tpid: 0x8100 as const, pcp: 0, dei: false, vid: 100 };
  const s = { tpid: 0x88a8 as const, pcp: 3, dei: false, vid: 200 };
  for (const c of [...v4.slice(8, 12), ...v6.slice(6, 8)]) add(toScheduler(c.mac, ipTo(c, tcp(50000 + rng.below(10000), 80, { flags: 2, seq: rng.next() }), rng.next()), [q]));
  for (const c of v4.slice(12, 14)) add(toScheduler(c.mac, ipTo(c, tcp(50000 + rng.below(10000), 443, { flags: 2, seq: rng.next() }), rng.next()), [s, q]));
  add(toScheduler(v4[14].mac, { kind: 'arp', op: 1, senderMac: v4[14].mac, senderIp: v4[14].ip, targetMac: '00:00:00:00:00:00', targetIp: VIP4 }, [q]));
  // What the scheduler drops: a ping to the VIP, SSH to the VIP, HTTP to another address.
  add(toScheduler(v4[15].mac, ipv4(v4[15].ip, VIP4, icmp(8, 0, 0x00070001, new Uint8Array(56).fill(0x70)))));
  add(toScheduler(v4[16].mac, ipTo(v4[16], tcp(51000, 22, { flags: 2 }), 1)));
  add(toScheduler(v4[17].mac, ipv4(v4[17].ip, '198.18.0.11', tcp(51001, 80, { flags: 2 }))));
  return sorted('mixed.pcap', out);
}

/** malformed.pcap: each breakage of brokenFrames() from eight different clients. */
function malformed(): MadeCapture {
  const frames: Uint8Array[] = [];
  const expected: Array<{ name: string; reason: number }> = [];
  for (let i = 0; i < 8; i++) {
    for (const b of brokenFrames(client(1000 + i, false), client(1000 + i, true), 33000 + i)) {
      frames.push(b.frame);
      expected.push({ name: b.name, reason: b.reason });
    }
  }
  return { name: 'malformed.pcap', frames, timestamps: frames.map((_, i) => START_US + 1000 * i), expected };
}

export function makeCaptures(): MadeCapture[] {
  return [webFlows(), mixed(), malformed()];
}

export function encodeCapture(c: MadeCapture): Buffer {
  return encodePcap(packFrames(c.frames), c.timestamps);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  for (const c of makeCaptures()) {
    const bytes = encodeCapture(c);
    fs.writeFileSync(path.join(dir, c.name), bytes);
    console.log(`${c.name}: ${c.frames.length} frames, ${bytes.length} bytes`);
  }
}
