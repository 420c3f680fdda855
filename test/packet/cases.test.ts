// The codec on frames given as data: published vectors, what each valid frame parses to, and the
// reason each broken one gets. Each case is named by what it proves.
import t from 'tap';
import {
  buildBody, buildFrame, describeFrame, ether, icmp, icmp6, ipBytes, ipv4, ipv6, macBytes, na, ns, parseFrame, parseQuoted, ParsedFrame, Reason, REASON_NAMES,
  tcp, udp, type FrameSpec,
} from '../../engine/packet/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const macs = { dst: '02:00:00:00:01:00', src: '02:00:00:c1:00:00' };

t.test('published and independently checked vectors', async (t) => {
  // The IPv4 header checksum example of Wikipedia's "IPv4 header checksum" article (0xb861).
  const header = buildBody(ipv4('192.168.0.1', '192.168.0.199', { kind: 'raw', proto: 17, payload: new Uint8Array(0x73 - 20) },
    { dontFragment: true })).subarray(0, 20);
  t.equal(hex(header), '450000730000400040 11b861c0a80001c0a800c7'.replace(/\s/g, ''), 'IPv4 header with checksum 0xb861');
  // A TCP SYN with MSS 1460; IPv4 checksum 0x1c70 and TCP checksum 0xf076, both called good by tshark.
  const syn = buildFrame(ether(ipv4('198.18.128.1', '198.19.0.1', tcp(40000, 80, { flags: 2, seq: 0x01020304, window: 64240,
    options: Uint8Array.from([2, 4, 5, 0xb4]) }), { id: 0x1234, dontFragment: true }), macs));
  t.equal(hex(syn), '020000000100020000c1000008004500002c1234400040061c70c6128001c61300019c40005001020304000000006002faf0f0760000020405b4');
  const f = new ParsedFrame();
  t.equal(parseFrame(syn, 0, syn.length, f), Reason.OK);
  t.match(f, { ipVersion: 4, proto: 6, sport: 40000, dport: 80, tcpFlags: 2, l3: 14, l4: 34, l4HeaderLength: 24, l4End: 58 });
});

interface ParseCase { name: string; frame: Uint8Array; reason: number; fields?: Partial<Record<keyof ParsedFrame, unknown>> }
const f4 = (l4: Parameters<typeof ipv4>[2], o: Parameters<typeof ipv4>[3] = {}, e: Partial<FrameSpec> = {}) => buildFrame(ether(ipv4('198.18.128.1', '198.19.0.1', l4, o), e));
const f6 = (l4: Parameters<typeof ipv6>[2], o: Parameters<typeof ipv6>[3] = {}, e: Partial<FrameSpec> = {}) => buildFrame(ether(ipv6('2001:2:0:8::1', '2001:2:0:100::1', l4, o), e));
const set = (f: Uint8Array, at: number, ...b: number[]): Uint8Array => { const c = f.slice(); c.set(b, at); return c; };
const q = { tpid: 0x8100 as const, pcp: 5, dei: true, vid: 100 };
const s = { tpid: 0x88a8 as const, pcp: 0, dei: false, vid: 200 };
const raw = (proto: number, n: number) => ({ kind: 'raw' as const, proto, payload: new Uint8Array(n).fill(7) });
const quotedReply = buildBody(ipv4('198.19.0.1', '198.18.128.1', tcp(80, 40000, { payload: new Uint8Array(100) }))).subarray(0, 28);

const cases: ParseCase[] = [
  { name: 'IPv4 TCP under two tags (802.1ad outer)', frame: f4(tcp(1, 443, { flags: 0x11 }), {}, { vlans: [s, q] }), reason: Reason.OK,
    fields: { vlanCount: 2, etherType: 0x0800, l3: 22, proto: 6, sport: 1, dport: 443, tcpFlags: 0x11 } },
  { name: 'IPv4 with options: the transport header follows them', frame: f4(udp(5, 53, new Uint8Array(3)), { options: Uint8Array.from([1, 1, 1, 0]) }),
    reason: Reason.OK, fields: { l4: 38, l4HeaderLength: 8, sport: 5, dport: 53, l4End: 38 + 11 } },
  { name: 'Ethernet padding is a trailer, not datagram', frame: f4(tcp(1, 80), {}, { trailer: new Uint8Array(6) }), reason: Reason.OK, fields: { l3End: 54, end: 60 } },
  { name: 'first IPv4 fragment: ports, no transport parsing', frame: f4(raw(17, 16), { moreFragments: true, id: 9 }), reason: Reason.OK,
    fields: { fragment: true, moreFragments: true, fragmentOffset: 0, fragmentId: 9, sport: 0x0707, dport: 0x0707, l4HeaderLength: 0 } },
  { name: 'later IPv4 fragment: no ports', frame: f4(raw(6, 5), { fragmentOffset: 1480 }), reason: Reason.OK,
    fields: { fragment: true, moreFragments: false, fragmentOffset: 1480, sport: 0, dport: 0 } },
  { name: 'IPv6 hop-by-hop, destination options, then TCP', frame: f6(tcp(7, 80), { extensions: [{ type: 0, data: new Uint8Array(6) }, { type: 60, data: new Uint8Array(14) }] }),
    reason: Reason.OK, fields: { extensionCount: 2, l4: 14 + 40 + 8 + 16, proto: 6, dport: 80 } },
  { name: 'IPv6 fragment header', frame: f6(raw(17, 16), { extensions: [{ type: 44, id: 0xdeadbeef, offset: 1448, more: true }] }), reason: Reason.OK,
    fields: { fragment: true, fragmentOffset: 1448, moreFragments: true, fragmentId: 0xdeadbeef, fragmentHeader: 54, proto: 17 } },
  { name: 'IPv6 no next header with an empty payload', frame: f6({ kind: 'raw', proto: 59, payload: new Uint8Array(0) }), reason: Reason.OK, fields: { proto: 59, l4: 54 } },
  { name: 'ICMP fragmentation needed quotes the reply', frame: f4(icmp(3, 4, 1400, quotedReply)), reason: Reason.OK, fields: { icmpType: 3, icmpCode: 4, quoted: 42 } },
  { name: 'ICMP echo quotes nothing', frame: f4(icmp(8, 0, 1)), reason: Reason.OK, fields: { icmpType: 8, quoted: -1 } },
  { name: 'ICMPv6 packet too big quotes the reply', frame: f6(icmp6(2, 0, 1280, buildBody(ipv6('2001:2:0:100::1', '2001:2:0:8::1', tcp(443, 9))))),
    reason: Reason.OK, fields: { icmpType: 2, quoted: 62 } },
  { name: 'neighbour solicitation with its option', frame: f6(ns('2001:2:0:100::1', '02:00:00:00:00:07'), { hopLimit: 255 }), reason: Reason.OK, fields: { icmpType: 135, l4End: 14 + 40 + 32 } },
  { name: 'neighbour advertisement', frame: f6(na('2001:2:0:100::1', null, { solicited: true })), reason: Reason.OK, fields: { icmpType: 136 } },
  { name: 'ARP reply', frame: buildFrame(ether({ kind: 'arp', op: 2, senderMac: '02:00:00:00:00:01', senderIp: '198.19.0.1', targetMac: '02:00:00:00:00:02', targetIp: '198.18.0.2' })),
    reason: Reason.OK, fields: { arpOp: 2, l3End: 42, proto: -1 } },
  { name: 'an unknown IP protocol passes as it is', frame: f4(raw(47, 24)), reason: Reason.OK, fields: { proto: 47, l4HeaderLength: 0 } },
  { name: 'empty frame', frame: new Uint8Array(0), reason: Reason.TRUNCATED },
  { name: 'IPv6 header cut', frame: f6(tcp(1, 2)).slice(0, 14 + 39), reason: Reason.TRUNCATED },
  { name: 'IPX ethertype', frame: set(f4(tcp(1, 2)), 12, 0x81, 0x37), reason: Reason.BAD_ETHERTYPE },
  { name: 'ARP with a 16-byte protocol address', frame: set(buildFrame(ether({ kind: 'arp', op: 1, senderMac: '02:00:00:00:00:01', senderIp: '198.18.0.1', targetMac: '00:00:00:00:00:00', targetIp: '198.19.0.1' })), 19, 16), reason: Reason.BAD_ARP },
  { name: 'IPv4 option of length 1', frame: f4(tcp(1, 2), { options: Uint8Array.from([1, 1, 68, 1]) }), reason: Reason.BAD_IHL },
  { name: 'IPv4 reserved flag (the evil bit)', frame: set(f4(tcp(1, 2)), 20, 0x80), reason: Reason.BAD_FRAGMENT },
  { name: 'empty IPv4 fragment', frame: f4({ kind: 'raw', proto: 17, payload: new Uint8Array(0) }, { fragmentOffset: 8 }), reason: Reason.BAD_FRAGMENT },
  { name: 'nine IPv6 extension headers', frame: f6(tcp(1, 2), { extensions: Array.from({ length: 9 }, () => ({ type: 60 as const, data: new Uint8Array(6) })) }), reason: Reason.BAD_IPV6_EXT },
  { name: 'UDP length shorter than its datagram', frame: set(f4(udp(1, 2, new Uint8Array(8))), 14 + 20 + 5, 9), reason: Reason.BAD_L4 },
  { name: 'neighbour solicitation without its target', frame: f6(icmp6(135, 0, 0, new Uint8Array(8))), reason: Reason.BAD_L4 },
];

t.test('parse cases', async (t) => {
  const f = new ParsedFrame();
  for (const c of cases) {
    const reason = parseFrame(c.frame, 0, c.frame.length, f);
    t.equal(REASON_NAMES[reason], REASON_NAMES[c.reason], c.name);
    if (c.fields) t.match(f, c.fields, `${c.name}: fields`);
    if (reason === Reason.OK) t.equal(hex(buildFrame(describeFrame(c.frame, f))), hex(c.frame), `${c.name}: describe and build give the frame back`);
  }
});

t.test('a frame inside a larger buffer, and bounds outside it', async (t) => {
  const frame = f4(tcp(1, 80));
  const buf = new Uint8Array(100 + frame.length);
  buf.set(frame, 100);
  const f = new ParsedFrame();
  t.equal(parseFrame(buf, 100, frame.length, f), Reason.OK);
  t.match(f, { start: 100, l3: 114, dport: 80 });
  t.equal(describeFrame(buf, f).body.kind, 'ipv4');
  t.equal(parseFrame(buf, 100, frame.length + 1, f), Reason.TRUNCATED, 'past the end of the buffer');
  t.equal(parseFrame(buf, -1, 20, f), Reason.TRUNCATED, 'negative offset');
  t.throws(() => describeFrame(buf, f), { code: 'ERR_PACKET_MALFORMED' });
});

t.test('the quoted packet of a PMTU error', async (t) => {
  const outer = new ParsedFrame();
  const inner = new ParsedFrame();
  const frame = f4(icmp(3, 4, 1400, quotedReply));
  parseFrame(frame, 0, frame.length, outer);
  t.equal(parseQuoted(frame, outer, inner), Reason.OK, 'a quote is a truncated datagram, and that is fine');
  t.match(inner, { ipVersion: 4, proto: 6, sport: 80, dport: 40000 });
  t.same(frame.subarray(inner.srcAddress, inner.srcAddress + 4), ipBytes('198.19.0.1'));
  const echo = f4(icmp(8, 0, 1));
  parseFrame(echo, 0, echo.length, outer);
  t.equal(parseQuoted(echo, outer, inner), Reason.TRUNCATED, 'nothing quoted');
  const ptb = f6(icmp6(2, 0, 1280, buildBody(ipv6('2001:2:0:100::1', '2001:2:0:8::1', tcp(443, 9))).subarray(0, 48)));
  parseFrame(ptb, 0, ptb.length, outer);
  t.equal(parseQuoted(ptb, outer, inner), Reason.OK);
  t.match(inner, { ipVersion: 6, proto: 6, sport: 443, dport: 9 });
});

t.test('impossible specs are refused with ERR_PACKET_SPEC', async (t) => {
  t.throws(() => f4(tcp(1, 2, { options: new Uint8Array(3) })), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f4(tcp(1, 2), { options: new Uint8Array(44) }), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f6(tcp(1, 2), { extensions: [{ type: 60, data: new Uint8Array(5) }] }), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f4(udp(1, 2, new Uint8Array(65535))), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f6(udp(1, 2, new Uint8Array(65535))), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f4(ns('2001:2::1')), { code: 'ERR_PACKET_SPEC' });
  t.throws(() => f4(tcp(1, 2), { src: 'nope' } as never), { code: 'ERR_SERVICE_ADDRESS' });
  t.throws(() => f4(tcp(1, 2), { src: '2001:2::1' } as never), { code: 'ERR_PACKET_SPEC', message: /IPv4 source must be 4 bytes, not 16/ });
  t.throws(() => f4(tcp(1, 2), { dst: ipBytes('2001:2::1') } as never), { code: 'ERR_PACKET_SPEC', message: /IPv4 destination must be 4 bytes, not 16/ });
  t.throws(() => f6(tcp(1, 2), { src: ipBytes('198.18.0.1') } as never), { code: 'ERR_PACKET_SPEC', message: /IPv6 source must be 16 bytes, not 4/ });
  t.throws(() => f4(tcp(1, 2), {}, { dst: new Uint8Array(5) } as never), { code: 'ERR_INVALID_ARG', message: /MAC address/ });
});

// The cluster builds its adverts and probes from the address bytes it holds.
t.test('a frame built from address bytes is the frame built from their text', async (t) => {
  const byteMacs = { dst: macBytes(macs.dst), src: macBytes(macs.src) };
  for (const [src, dst] of [['198.18.128.1', '198.19.0.1'], ['2001:2:0:8::1', '2001:2:0:100::1']]) {
    const ip = src.includes(':') ? ipv6 : ipv4;
    const l4 = tcp(40000, 80, { flags: 2, seq: 7 });
    t.same(buildFrame(ether(ip(ipBytes(src), ipBytes(dst), l4), byteMacs)), buildFrame(ether(ip(src, dst, l4), macs)), src);
  }
});
