// Checksums and the plain-buffer rewrite through the binding, against known
// vectors (RFC 1071, RFC 1624, frames whose checksums tshark confirmed).
import t from 'tap';
import {
  checksum, checksumUpdate16, completeFramePartial, completePartial, ipv4HeaderChecksum, l4Checksum, rewriteBuffer,
} from '../../engine/ring/checksum.js';
import { Decision, FrameFlag } from '../../engine/ring/constants.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// Ethernet / IPv4 198.18.0.1 -> .10 / TCP 40000 -> 80: IPv4 csum 0x9235 @24, TCP csum 0x6f22 @50.
const TCP_IPV4 = hex(
  '02000000000202000000000108004500004d1c46400040069235c6120001c612000a9c400050010203040a0b0c0d5018faf06f22' +
  '0000474554202f20485454502f312e310d0a486f73743a203139382e31382e302e31300d0a0d0a');
// Ethernet / IPv6 2001:2::1 -> 2001:2::a / UDP 5353 -> 53: UDP csum 0x170e @60.
const UDP_IPV6 = hex(
  '02000000000202000000000186dd60000000002b1140200100020000000000000000000000012001000200000000000000000000' +
  '000a14e90035002b170e6c62617272617920756470206f76657220697076362074657374207061796c6f616421');

const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];

t.test('known checksum vectors', async (t) => {
  const cases = [
    { name: 'RFC 1071 section 3 example', got: () => checksum(hex('0001f203f4f5f6f7')), want: 0x220d },
    { name: 'IPv4 header of a captured TCP packet', got: () => ipv4HeaderChecksum(TCP_IPV4, 14), want: 0x9235 },
    { name: 'TCP over IPv4 pseudo-header', got: () => l4Checksum(TCP_IPV4), want: 0x6f22 },
    { name: 'UDP over IPv6 pseudo-header', got: () => l4Checksum(UDP_IPV6), want: 0x170e },
    { name: 'RFC 1624 section 4: update gives 0000, not FFFF', got: () => checksumUpdate16(0xdd2f, 0x5555, 0x3285), want: 0x0000 },
    { name: 'ARP has no transport checksum', got: () => l4Checksum(hex('ffffffffffff02000000000108060001080006040001')), want: -1 },
  ];
  for (const c of cases) t.equal(c.got(), c.want, c.name);
});

t.test('odd-length sum equals the sum of the zero-padded buffer', async (t) => {
  t.equal(checksum(hex('0001f203f4f5f6')), checksum(hex('0001f203f4f5f600')));
});

// What a CHECKSUM_PARTIAL frame carries: the folded pseudo-header sum in the checksum field.
function partialOf(frame: Uint8Array, ipv6: boolean, at: number): Uint8Array {
  const out = frame.slice();
  const l4Len = ipv6 ? u16(frame, 18) : u16(frame, 16) - 20;
  const pseudo = ipv6
    ? new Uint8Array([...frame.subarray(22, 54), 0, 0, l4Len >> 8, l4Len & 0xff, 0, 0, 0, frame[20]])
    : new Uint8Array([...frame.subarray(26, 34), 0, frame[23], l4Len >> 8, l4Len & 0xff]);
  const sum = 0xffff - checksum(pseudo);
  out[at] = sum >> 8;
  out[at + 1] = sum & 0xff;
  return out;
}

t.test('completing partial checksums restores the captured ones', async (t) => {
  const cases = [
    { name: 'TCP/IPv4', frame: TCP_IPV4, ipv6: false, start: 34, field: 16, at: 50, want: 0x6f22 },
    { name: 'UDP/IPv6', frame: UDP_IPV6, ipv6: true, start: 54, field: 6, at: 60, want: 0x170e },
  ];
  for (const c of cases) {
    const partial = partialOf(c.frame, c.ipv6, c.at);
    t.not(u16(partial, c.at), c.want, `${c.name}: the partial field differs from the final checksum`);
    const viaOffsets = partial.slice();
    t.ok(completePartial(viaOffsets, c.start, c.field), `${c.name}: completePartial`);
    t.equal(u16(viaOffsets, c.at), c.want, `${c.name}: completePartial gives the captured checksum`);
    const viaParse = partial.slice();
    t.ok(completeFramePartial(viaParse), `${c.name}: completeFramePartial`);
    t.equal(u16(viaParse, c.at), c.want, `${c.name}: completeFramePartial gives the captured checksum`);
  }
  t.notOk(completePartial(TCP_IPV4.slice(), TCP_IPV4.length - 1, 0), 'a field outside the buffer is refused');
});

t.test('rewriteBuffer applies decisions to a plain buffer (the replay backend)', async (t) => {
  const a = TCP_IPV4;
  const buf = new Uint8Array([...a, ...a, ...a]);
  const offsets = Int32Array.of(0, a.length, a.length * 2);
  const lengths = Int32Array.of(a.length, a.length, a.length);
  const table = hex('aaaaaaaaaaaa' + 'bbbbbbbbbbbb' + 'cccccccccccc' + 'dddddddddddd');
  const decisions = Int32Array.of(1, Decision.DROP, Decision.CONSUMED);
  t.equal(rewriteBuffer(buf, offsets, lengths, decisions, 3, table), 1, 'one frame rewritten');
  t.same(buf.subarray(0, 12), hex('ccccccccccccdddddddddddd'), 'next hop 1: dst then src MAC');
  t.same(buf.subarray(12, a.length), a.subarray(12), 'the rest of the frame is untouched');
  t.same(buf.subarray(a.length), new Uint8Array([...a, ...a]), 'dropped and consumed frames untouched');

  const partial = partialOf(TCP_IPV4, false, 50);
  rewriteBuffer(partial, Int32Array.of(0), Int32Array.of(partial.length), Int32Array.of(0), 1, table, Int32Array.of(FrameFlag.CSUM_NOT_READY));
  t.equal(u16(partial, 50), 0x6f22, 'a frame flagged CSUM_NOT_READY gets its checksum completed');
});

t.test('arguments are checked before crossing into C++', async (t) => {
  const cases = [
    { name: 'checksum of a string', fn: () => checksum('abc' as unknown as Uint8Array) },
    { name: 'IPv4 offset beyond the buffer', fn: () => ipv4HeaderChecksum(new Uint8Array(20), 1) },
    { name: 'decision past the MAC table', fn: () => rewriteBuffer(new Uint8Array(64), Int32Array.of(0), Int32Array.of(64), Int32Array.of(1), 1, new Uint8Array(12)) },
    { name: 'frame outside the buffer', fn: () => rewriteBuffer(new Uint8Array(64), Int32Array.of(60), Int32Array.of(14), Int32Array.of(0), 1, new Uint8Array(12)) },
    { name: 'MAC table of partial entries', fn: () => rewriteBuffer(new Uint8Array(64), Int32Array.of(0), Int32Array.of(64), Int32Array.of(0), 1, new Uint8Array(13)) },
    { name: 'count beyond the arrays', fn: () => rewriteBuffer(new Uint8Array(64), Int32Array.of(0), Int32Array.of(64), Int32Array.of(0), 2, new Uint8Array(12)) },
    { name: 'word out of range', fn: () => checksumUpdate16(0x10000, 0, 0) },
  ];
  for (const c of cases) t.throws(c.fn, { code: 'ERR_INVALID_ARG', message: /^Expected .* for .* but received / }, c.name);
});
