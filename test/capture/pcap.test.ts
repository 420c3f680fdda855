// Classic pcap in and out: what we write, tshark reads (an independent decoder); what we read
// comes back frame for frame; every other format is refused in one sentence with a stable code.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { decodePcap, encodePcap, frameAt, packFrames, readPcap, withoutRunts, writePcap } from '../../engine/capture/index.js';
import { buildFrame, ether, ipv4, ipv6, tcp, udp } from '../../engine/packet/index.js';

const frames = [
  buildFrame(ether(ipv4('198.18.128.1', '198.19.0.1', tcp(40000, 80, { flags: 2 })))),
  buildFrame(ether(ipv6('2001:2:0:8::1', '2001:2:0:100::1', udp(5000, 443, new Uint8Array(100).fill(1))), { vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }] })),
  buildFrame(ether({ kind: 'arp', op: 1, senderMac: '02:00:00:00:00:05', senderIp: '198.18.128.5', targetMac: '00:00:00:00:00:00', targetIp: '198.19.0.1' })),
];
const stamps = [1_700_000_000_000_000, 1_700_000_000_000_250, 1_700_000_001_999_999];

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-pcap-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('written pcap is read by tshark and by readPcap', async (t) => {
  const file = path.join(tmp(t), 'out.pcap');
  writePcap(file, packFrames(frames), stamps);
  const lines = execFileSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.len', '-e', 'frame.time_epoch', '-e', 'frame.protocols'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').map((l) => l.split('|'));
  t.equal(lines.length, 3, 'three frames');
  t.same(lines.map((l) => Number(l[0])), frames.map((f) => f.length), 'lengths');
  t.same(lines.map((l) => l[1].replace(/0+$/, '')), ['1700000000.', '1700000000.00025', '1700000001.999999'], 'microsecond timestamps');
  t.same(lines.map((l) => l[2].split(':').slice(0, 6).join(':')), ['eth:ethertype:ip:tcp', 'eth:ethertype:vlan:ethertype:ipv6:udp', 'eth:ethertype:arp'], 'decodes');
  const back = await readPcap(file);
  t.equal(back.count, 3);
  for (let i = 0; i < 3; i++) t.same(frameAt(back, i), frames[i], `frame ${i}`);
  t.same(Array.from(back.timestamps), stamps);
});

t.test('a big-endian pcap (tcpdump on a big-endian host) reads the same', async (t) => {
  const le = encodePcap(packFrames(frames), stamps);
  const be = Buffer.from(le);
  be.writeUInt32BE(0xa1b2c3d4, 0); be.writeUInt16BE(2, 4); be.writeUInt16BE(4, 6); be.writeUInt32BE(262144, 16); be.writeUInt32BE(1, 20);
  for (let at = 24, i = 0; i < frames.length; i++) {
    for (let w = 0; w < 16; w += 4) be.writeUInt32BE(le.readUInt32LE(at + w), at + w);
    at += 16 + frames[i].length;
  }
  const back = await decodePcap(be, 'be.pcap');
  t.same(frameAt(back, 1), frames[1]);
  t.same(Array.from(back.timestamps), stamps);
});

t.test('other formats and broken files: one sentence, a stable code', async (t) => {
  const good = encodePcap(packFrames(frames), stamps);
  const edit = (f: (b: Buffer) => void): Buffer => { const b = Buffer.from(good); f(b); return b; };
  const cases = [
    { name: 'pcapng', bytes: Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'), code: 'ERR_CAPTURE_FORMAT', message: /is a pcapng capture; lbarray reads classic pcap only/ },
    { name: 'nanosecond pcap', bytes: edit((b) => b.writeUInt32LE(0xa1b23c4d, 0)), code: 'ERR_CAPTURE_FORMAT', message: /has nanosecond timestamps/ },
    { name: 'Linux cooked capture', bytes: edit((b) => b.writeUInt32LE(113, 20)), code: 'ERR_CAPTURE_FORMAT', message: /has link type 113; lbarray reads Ethernet captures/ },
    { name: 'pcap version 2.3', bytes: edit((b) => b.writeUInt16LE(3, 6)), code: 'ERR_CAPTURE_FORMAT', message: /is pcap version 2.3/ },
    { name: 'a text file', bytes: Buffer.from('hello, this is not a capture at all'), code: 'ERR_CAPTURE_FORMAT', message: /is not a pcap capture \(unknown magic number\)/ },
    { name: 'shorter than a header', bytes: good.subarray(0, 10), code: 'ERR_CAPTURE_FORMAT', message: /shorter than a pcap header/ },
    { name: 'last record torn', bytes: good.subarray(0, good.length - 5), code: 'ERR_CAPTURE_FORMAT', message: /is cut short/ },
    { name: 'absurd record length', bytes: edit((b) => b.writeUInt32LE(0x7fffffff, 24 + 8)), code: 'ERR_CAPTURE_FORMAT', message: /more than any capture holds/ },
  ];
  for (const c of cases) {
    await t.rejects(decodePcap(c.bytes, 'x.pcap'), { code: c.code, message: c.message }, c.name);
    const message = await decodePcap(c.bytes, 'x.pcap').catch((e: Error) => e.message);
    t.equal(message.split(/[.;] /).length <= 2 && message.endsWith('.'), true, `${c.name}: one sentence`);
  }
  await t.rejects(readPcap(path.join(tmp(t), 'missing.pcap')), { code: 'ERR_CAPTURE_NOT_FOUND', message: /no such capture file\.$/ });
  await t.rejects(readPcap(tmp(t)), { code: 'ERR_CAPTURE_READ' }, 'a directory');
  const empty = await decodePcap(good.subarray(0, 24), 'empty.pcap');
  t.equal(empty.count, 0, 'a header alone is an empty capture');
});

t.test('runts are left out of a frame set and counted', async (t) => {
  const set = packFrames([frames[0], new Uint8Array(10), frames[2]]);
  const { frames: kept, runts } = withoutRunts(set);
  t.equal(runts, 1);
  t.equal(kept.count, 2);
  t.same(frameAt(kept, 1), frames[2]);
  t.equal(withoutRunts(packFrames(frames)).runts, 0);
});
