// PacketPort on real veth pairs inside private network namespaces (root).
// The addon opens each socket inside the namespace (option `netns`) on a
// short-lived thread, so the test process itself stays in the root namespace.
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DROP_ALL, PacketPort, setSocketFilter, type PacketPortOptions } from '../../engine/ring/port.js';
import { Decision, DESCRIPTOR_STRIDE, FrameFlag } from '../../engine/ring/constants.js';
import { parseMac } from '../../engine/ring/mac.js';
import { childEnv, inNs, macOf, privateNetns, vethBetween, vethPair } from './fixtures/netns.js';
import { pack, udpIpv4Frame } from './fixtures/frames.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const ns = privateNetns(t, 'port');
vethPair(ns, 'va', 'vb');
vethPair(ns, 'vc', 'vd');
vethPair(ns, 'vdown0', 'vdown1', false);
inNs(ns, 'ip', 'link', 'set', 'lo', 'up');

function open(opts: Omit<PacketPortOptions, 'netns'>): PacketPort {
  const p = PacketPort.open({ netns: ns, ...opts });
  t.teardown(() => p.close());
  return p;
}

function testFrames(a: PacketPort, b: PacketPort, count: number, tag = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => udpIpv4Frame({
    dstMac: b.macText, srcMac: a.macText, srcIp: [198, 18, 0, 1], dstIp: [198, 18, 0, 2],
    srcPort: 10000 + i, dstPort: 9000 + tag, payload: new Uint8Array(18 + (i % 7)).fill(i),
  }));
}

/** Receives until `want` frames matching `match` arrived (or 2 s passed); returns copies of them. */
function collect(port: PacketPort, want: number, match: (f: Uint8Array) => boolean): Uint8Array[] {
  const got: Uint8Array[] = [];
  const deadline = Date.now() + 2000;
  while (got.length < want && Date.now() < deadline) {
    const n = port.receive(port.batchSize, 20);
    for (let i = 0; i < n; i++) if (match(port.frame(i))) got.push(port.frame(i).slice());
  }
  return got;
}

const udpTo = (dstPort: number) => (f: Uint8Array) => f[12] === 0x08 && f[13] === 0 && f[23] === 17 && ((f[36] << 8) | f[37]) === dstPort;

t.test('open errors carry stable codes', async (t) => {
  const cases: { name: string; opts: PacketPortOptions; code: string }[] = [
    { name: 'no such interface', opts: { interface: 'nosuch0', netns: ns }, code: 'ERR_NO_SUCH_INTERFACE' },
    { name: 'interface down', opts: { interface: 'vdown0', netns: ns }, code: 'ERR_INTERFACE_DOWN' },
    { name: 'no such namespace', opts: { interface: 'lo', netns: `${ns}-missing` }, code: 'ERR_NO_SUCH_NAMESPACE' },
    { name: 'ring larger than memory', opts: { interface: 'lo', netns: ns, blockSize: 1 << 30, blockCount: 1 << 16 }, code: 'ERR_RING_TOO_LARGE' },
    { name: 'block size not a power of two', opts: { interface: 'lo', netns: ns, blockSize: 100000 }, code: 'ERR_INVALID_ARG' },
    { name: 'interface name with a slash', opts: { interface: 'a/b' }, code: 'ERR_INVALID_ARG' },
    { name: 'unknown TX mode', opts: { interface: 'lo', txMode: 'fast' as 'ring' }, code: 'ERR_INVALID_ARG' },
    { name: 'fanout group out of range', opts: { interface: 'lo', fanout: { group: 70000 } }, code: 'ERR_INVALID_ARG' },
    { name: 'unknown RX mode', opts: { interface: 'lo', rxMode: 'fast' as 'frames' }, code: 'ERR_INVALID_ARG' },
    { name: 'negative busy-poll time', opts: { interface: 'lo', busyPollUs: -1 }, code: 'ERR_INVALID_ARG' },
    { name: 'TX ring with the frames RX mode', opts: { interface: 'lo', netns: ns, rxMode: 'frames', txMode: 'ring' }, code: 'ERR_INVALID_ARG' },
  ];
  for (const c of cases) t.throws(() => PacketPort.open(c.opts), { code: c.code, name: 'LbError' }, c.name);
});

t.test('without CAP_NET_RAW the error says to run as root', async (t) => {
  const out = execFileSync('setpriv', ['--bounding-set', '-net_raw', '--inh-caps', '-net_raw', process.execPath,
    '--import', 'tsx', fixture('open-port.ts'), 'lo'], { encoding: 'utf8', env: childEnv() });
  const r = JSON.parse(out);
  t.equal(r.code, 'ERR_NO_PRIVILEGE');
  t.match(r.message, /CAP_NET_RAW: run as root/);
});

for (const txMode of ['sendmmsg', 'ring'] as const) {
  t.test(`frames sent with sendFrames arrive intact on the peer (TX ${txMode})`, async (t) => {
    const a = open({ interface: 'va', txMode });
    const b = open({ interface: 'vb' });
    t.equal(a.ifindex > 0 && a.mac.length === 6 && a.mtu === 1500, true, 'ifindex, MAC and MTU known');
    t.equal(a.macText, macOf(ns, 'va'), 'MAC of the interface');
    const frames = testFrames(a, b, 300, txMode === 'ring' ? 1 : 2);
    const p = pack(frames);
    t.equal(a.sendFrames(p.buf, p.offsets, p.lengths, frames.length), frames.length, 'all frames queued');
    const got = collect(b, frames.length, udpTo(txMode === 'ring' ? 9001 : 9002));
    t.same(got, frames, 'every frame arrived, byte for byte, in order');
    const sa = a.stats();
    const sb = b.stats();
    t.equal(sa.txFrames, frames.length, 'txFrames counted');
    t.ok(sa.txSyscalls <= 2, `one flush for the batch (${sa.txSyscalls} syscalls)`);
    t.ok(sb.rxPackets >= frames.length && sb.received >= frames.length, 'kernel and addon counted the frames');
    t.equal(sb.rxDrops, 0, 'no ring drops');
  });
}

t.test('frames RX mode: each frame is handed over at once, slots are reused, long frames are flagged', async (t) => {
  // A 5 s block retire: in the blocks mode a lone frame would wait that long.
  const a = open({ interface: 'va' });
  const b = open({ interface: 'vb', rxMode: 'frames', blockSize: 64 * 1024, blockCount: 2, frameSize: 2048, retireMs: 5000 });
  const slots = 2 * (64 * 1024 / 2048);
  const lone = testFrames(a, b, 1, 6);
  const sentAt = Date.now();
  a.send(lone[0]);
  t.same(collect(b, 1, udpTo(9006)), lone, 'the lone frame arrived intact');
  t.ok(Date.now() - sentAt < 1000, `without waiting for a block to retire (${Date.now() - sentAt} ms)`);
  // Five times the slots, in rounds: every slot goes back to the kernel and is written again.
  const all: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  for (let round = 0; round < 5; round++) {
    const frames = testFrames(a, b, slots - 8, 7);
    const p = pack(frames);
    a.sendFrames(p.buf, p.offsets, p.lengths, frames.length);
    all.push(...frames);
    got.push(...collect(b, frames.length, udpTo(9007)));
    b.release(); // the last batch's slots go back now, not on the next receive()
  }
  t.equal(got.length, all.length, `${all.length} frames through ${slots} slots`);
  t.same(got, all, 'byte for byte, in order');
  t.equal(b.stats().rxDrops, 0, 'no ring drops');
  // A frame longer than its slot arrives cut and flagged, so a forwarder can drop it.
  const small = open({ interface: 'vb', rxMode: 'frames', blockSize: 64 * 1024, blockCount: 2, frameSize: 256 });
  const long = udpIpv4Frame({ dstMac: b.macText, srcMac: a.macText, srcIp: [198, 18, 0, 1], dstIp: [198, 18, 0, 2], srcPort: 1, dstPort: 9008,
    payload: new Uint8Array(600).fill(7) });
  a.send(long);
  let flagged = -1;
  const deadline = Date.now() + 2000;
  while (flagged < 0 && Date.now() < deadline) {
    const n = small.receive(small.batchSize, 20);
    for (let i = 0; i < n; i++) if (udpTo(9008)(small.frame(i))) flagged = small.flags(i) & FrameFlag.TRUNCATED;
  }
  t.equal(flagged, FrameFlag.TRUNCATED, 'flagged TRUNCATED');
});

t.test('busy polling: receive() watches the ring before it sleeps, and hands over a frame that arrives meanwhile', async (t) => {
  // A pair of its own without IPv6, so no DAD or MLD frame of the kernel's ends a wait early.
  inNs(ns, 'ip', 'link', 'add', 'vbusy0', 'type', 'veth', 'peer', 'name', 'vbusy1');
  for (const dev of ['vbusy0', 'vbusy1']) {
    inNs(ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.disable_ipv6=1`);
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
  }
  const ringOf = (busyPollUs: number) => open({ interface: 'vbusy1', rxMode: 'frames', blockSize: 64 * 1024, blockCount: 2, busyPollUs });
  const timed = (port: PacketPort) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const n = port.receive(port.batchSize, 1);
    const used = process.cpuUsage(cpu);
    return { n, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
  };

  const asleep = timed(ringOf(0));
  t.equal(asleep.n, 0, 'without busy polling, an empty ring: nothing');
  t.ok(asleep.wallMs < 150, `after the 1 ms timeout (${asleep.wallMs.toFixed(1)} ms)`);

  const busy = ringOf(200_000);
  const empty = timed(busy);
  t.equal(empty.n, 0, 'with 200 ms of busy polling, an empty ring: nothing');
  t.ok(empty.wallMs >= 190, `after the busy-poll window (${empty.wallMs.toFixed(1)} ms)`);
  // Spinning, not sleeping: the thread used the CPU for a good part of the window (the share a
  // loaded machine leaves it varies; a sleeping thread uses none).
  t.ok(empty.cpuMs >= 0.25 * empty.wallMs, `on the CPU: ${empty.cpuMs.toFixed(1)} ms of ${empty.wallMs.toFixed(1)} ms`);

  // A frame sent from another process while this thread spins is handed over when it arrives,
  // well before the window ends.
  const long = ringOf(1_000_000);
  const frame = udpIpv4Frame({ dstMac: macOf(ns, 'vbusy1'), srcMac: macOf(ns, 'vbusy0'), srcIp: [198, 18, 0, 1], dstIp: [198, 18, 0, 2],
    srcPort: 1, dstPort: 9010, payload: new Uint8Array(32).fill(3) });
  const sender = spawn(process.execPath, ['--import', 'tsx', fixture('send-later.ts'), ns, 'vbusy0', '300', Buffer.from(frame).toString('hex')],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { sender.kill(); });
  await new Promise<void>((resolve, reject) => {
    sender.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
    sender.on('exit', (code) => reject(new Error(`the sender exited (${code}) before it was ready`)));
  });
  const got = timed(long);
  t.equal(got.n, 1, 'the frame was handed over');
  t.same(long.frame(0), frame, 'byte for byte');
  t.ok(got.wallMs < 1000, `when it arrived, before the 1 s window's end (${got.wallMs.toFixed(1)} ms)`);
});

t.test('a TX-only port sends without an RX ring or a tap', async (t) => {
  const a = open({ interface: 'va', txOnly: true });
  const b = open({ interface: 'vb' });
  t.equal(a.ring.byteLength, 0, 'no RX ring mapped');
  t.throws(() => a.receive(), { code: 'ERR_INVALID_ARG' }, 'receive() is refused');
  const frames = testFrames(a, b, 20, 5);
  const p = pack(frames);
  t.equal(a.sendFrames(p.buf, p.offsets, p.lengths, frames.length), frames.length);
  t.same(collect(b, frames.length, udpTo(9005)), frames, 'the frames arrived intact');
  t.throws(() => PacketPort.open({ interface: 'va', netns: ns, txOnly: true, fanout: { group: 7 } }), { code: 'ERR_INVALID_ARG' },
    'a TX-only port cannot join a fanout group');
});

t.test('a fanout group of two sockets shares the traffic', async (t) => {
  const a = open({ interface: 'va' });
  const b1 = open({ interface: 'vb', fanout: { group: 4242, mode: 'hash' } });
  const b2 = open({ interface: 'vb', fanout: { group: 4242, mode: 'hash' } });
  const frames = testFrames(a, b1, 200, 3);  // 200 flows (distinct source ports)
  const p = pack(frames);
  a.sendFrames(p.buf, p.offsets, p.lengths, frames.length);
  let n1 = 0;
  let n2 = 0;
  const deadline = Date.now() + 2000;
  while (n1 + n2 < 200 && Date.now() < deadline) {
    for (let i = b1.receive(b1.batchSize, 5) - 1; i >= 0; i--) if (udpTo(9003)(b1.frame(i))) n1++;
    for (let i = b2.receive(b2.batchSize, 5) - 1; i >= 0; i--) if (udpTo(9003)(b2.frame(i))) n2++;
  }
  t.equal(n1 + n2, 200, 'every frame reached exactly one member');
  t.ok(n1 > 0 && n2 > 0, `both members received (${n1} + ${n2})`);
  t.throws(() => PacketPort.open({ interface: 'va', netns: ns, fanout: { group: 4242, mode: 'cpu' } }),
    { code: 'ERR_INVALID_ARG' }, 'a group id in use with another mode is refused');
});

t.test('a ring opened with DROP_ALL stands by: no frame until setFilter(null), none again after DROP_ALL', async (t) => {
  const a = open({ interface: 'va' });
  const b = open({ interface: 'vb', filter: DROP_ALL, fanout: { group: 4343 } });
  const send = (tag: number) => {
    const frames = testFrames(a, b, 50, tag);
    const p = pack(frames);
    a.sendFrames(p.buf, p.offsets, p.lengths, frames.length);
    return frames;
  };
  send(10);
  t.same(collect(b, 1, udpTo(9010)), [], 'a standing-by ring receives nothing');
  b.setFilter(null);
  const frames = send(11);
  t.same(collect(b, frames.length, udpTo(9011)), frames, 'with the filter gone every frame arrives, intact and in order');
  b.setFilter(DROP_ALL);
  send(12);
  t.same(collect(b, 1, udpTo(9012)), [], 'refused again once DROP_ALL is back');
  setSocketFilter(b.fd, null);
  const more = send(13);
  t.same(collect(b, more.length, udpTo(9013)), more, 'setSocketFilter(fd) from the control side lets them in as well');
  b.setFilter(DROP_ALL);
  t.throws(() => b.setFilter(new Uint32Array(3)), { code: 'ERR_INVALID_ARG' }, 'a filter of part of an instruction is refused');
  t.throws(() => b.setFilter(Uint32Array.of(0xffff, 0, 0, 0)), { code: 'ERR_INVALID_ARG', message: /refused the socket filter/ },
    'an invalid BPF program is refused by the kernel, with the reason');
  t.throws(() => open({ interface: 'va', txOnly: true }).setFilter(null), { code: 'ERR_INVALID_ARG' }, 'a TX-only port has no filter');
});

/** Receives on `port` until `want` frames matching `match` were seen (or 2 s), deciding each with
 *  `decide` and forwarding every batch; returns how many matching frames forward() queued. */
function forwardMatching(port: PacketPort, want: number, match: (f: Uint8Array) => boolean,
  decide: (f: Uint8Array, i: number) => number): number {
  let seen = 0;
  let queued = 0;
  const decisions = new Int32Array(port.batchSize);
  const deadline = Date.now() + 2000;
  while (seen < want && Date.now() < deadline) {
    const n = port.receive(port.batchSize, 20);
    for (let i = 0; i < n; i++) {
      const f = port.frame(i);
      decisions[i] = match(f) ? (seen++, decide(f, i)) : Decision.DROP;
    }
    queued += port.forward(decisions, n);
  }
  return queued;
}

t.test('forward rewrites MACs, puts a stripped VLAN tag back, and obeys DROP/CONSUMED', async (t) => {
  const a = open({ interface: 'va' });
  const b = open({ interface: 'vb' });
  const c = open({ interface: 'vc' });
  const d = open({ interface: 'vd' });
  b.setNextHops([{ port: c, dstMac: d.mac }]);
  const plain = testFrames(a, b, 3, 4);
  // Frame 0 goes out with an 802.1Q tag (VLAN 42, PCP 5); the receiving kernel strips it.
  const tagged = new Uint8Array(plain[0].length + 4);
  tagged.set(plain[0].subarray(0, 12));
  tagged.set([0x81, 0x00, 0xa0, 42], 12);
  tagged.set(plain[0].subarray(12), 16);
  const p = pack([tagged, plain[1], plain[2]]);
  a.sendFrames(p.buf, p.offsets, p.lengths, 3);
  let sawTag = false;
  // Frame k carries k in its payload: 0 (tagged) and 1 go to next hop 0, 2 is CONSUMED.
  const queued = forwardMatching(b, 3, udpTo(9004), (f, i) => {
    if (f[43] === 0) sawTag = (b.flags(i) & FrameFlag.VLAN_VALID) !== 0 && (b.vlan(i) & 0xffff) === 0xa02a && b.vlan(i) >>> 16 === 0x8100;
    return f[43] === 2 ? Decision.CONSUMED : 0;
  });
  t.ok(sawTag, 'the receiver reports the stripped tag (TCI 0xa02a, TPID 0x8100)');
  t.equal(queued, 2, 'two frames forwarded');
  let tagOnFarSide = false;
  let arrived = 0;
  const deadline = Date.now() + 2000;
  while (arrived < 2 && Date.now() < deadline) {
    const k = d.receive(d.batchSize, 20);
    for (let i = 0; i < k; i++) {
      const f = d.frame(i);
      if (!udpTo(9004)(f)) continue;
      arrived++;
      t.same(f.subarray(0, 6), d.mac, 'destination MAC rewritten');
      t.same(f.subarray(6, 12), c.mac, 'source MAC = output port');
      // d's kernel stripped the restored tag again: it shows in the descriptor.
      if (f[43] === 0) tagOnFarSide = (d.flags(i) & FrameFlag.VLAN_VALID) !== 0 && (d.vlan(i) & 0xffff) === 0xa02a;
    }
  }
  t.equal(arrived, 2, 'both arrived on the far pair');
  t.ok(tagOnFarSide, 'the forwarded frame carried its VLAN tag again');
  const s = b.stats();
  t.equal(s.forwarded, 2, 'forwarded counted');
  t.equal(s.consumed, 1, 'the consumed frame is counted and left alone');
});

t.test('close detaches the ring and later calls fail with ERR_PORT_CLOSED', async (t) => {
  const a = PacketPort.open({ interface: 'va', netns: ns });
  const view = new Uint8Array(a.ring);
  t.equal(view.length, 128 * 1024 * 128, 'the ring is mapped: 128 blocks of 128 KiB');
  a.close();
  a.close();
  t.equal(a.ring.byteLength, 0, 'the ArrayBuffer is detached');
  t.equal(view.length, 0, 'old views read as empty');
  t.ok(a.closed);
  t.throws(() => a.receive(), { code: 'ERR_PORT_CLOSED' });
  t.throws(() => a.stats(), { code: 'ERR_PORT_CLOSED' });
});

// Three namespaces: client -- [middle: two ports + forward()] -- server. Kernel-sent UDP
// leaves the client with a partial checksum; the server's kernel drops any datagram whose
// checksum is wrong (the control case shows it), so every datagram received proves a
// completed checksum.
interface Crossing { family: string; client: string; server: string; prefix: number; ethertype: number[] }
const crossings: Crossing[] = [
  { family: 'IPv4', client: '198.18.1.1', server: '198.18.1.2', prefix: 24, ethertype: [0x08, 0x00] },
  { family: 'IPv6', client: '2001:2:0:1::1', server: '2001:2:0:1::2', prefix: 64, ethertype: [0x86, 0xdd] },
];

/** Sends `count` kernel UDP datagrams client -> server through the middle; returns how many the
 *  server's socket got, how many frames were partial, and the left port's counters. `unfinished`
 *  sends copies on without completing their checksums (the control). */
async function crossMiddle(t: Test, x: Crossing, vnetHdr: boolean, unfinished = false, rxMode: 'blocks' | 'frames' = 'blocks') {
  const client = privateNetns(t, 'cli');
  const server = privateNetns(t, 'srv');
  const tag = `${x.family === 'IPv4' ? 4 : 6}${vnetHdr ? 'v' : 'c'}${unfinished ? 'u' : ''}${rxMode === 'frames' ? 'f' : ''}`;
  vethBetween(client, 'c0', ns, `m0${tag}`);
  vethBetween(server, 's0', ns, `m1${tag}`);
  inNs(client, 'ip', 'addr', 'add', `${x.client}/${x.prefix}`, 'dev', 'c0', 'nodad');
  inNs(server, 'ip', 'addr', 'add', `${x.server}/${x.prefix}`, 'dev', 's0', 'nodad');
  inNs(client, 'ip', 'neigh', 'replace', x.server, 'lladdr', macOf(ns, `m0${tag}`), 'dev', 'c0', 'nud', 'permanent');
  // Latency does not matter here: 10 ms blocks let a loaded CI machine stall the loop 1.28 s without drops.
  const left = open({ interface: `m0${tag}`, vnetHdr, retireMs: 10, rxMode });
  const right = open({ interface: `m1${tag}`, vnetHdr, retireMs: 10 });
  const serverMac = macOf(server, 's0');
  left.setNextHops([{ port: right, dstMac: serverMac }]);

  const count = 300;
  const recv = spawn('ip', ['netns', 'exec', server, process.execPath, fixture('udp.mjs'), 'recv', x.server, '9999', unfinished ? '4000' : '5000', String(count)], { env: childEnv() });
  let out = '';
  recv.stdout.on('data', (d) => { out += d; });
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 10));
  const send = spawn('ip', ['netns', 'exec', client, process.execPath, fixture('udp.mjs'), 'send', x.server, '9999', String(count)], { env: childEnv() });
  let senderDone = false;
  const sent = once(send, 'close').then(() => { senderDone = true; });
  let done = false;
  void once(recv, 'close').then(() => { done = true; });
  let partial = 0;
  const decisions = new Int32Array(left.batchSize);
  // Until the receiver has its answer and every datagram was sent (a loaded machine starts the sender late).
  while (!done || !senderDone) {
    const n = left.receive(left.batchSize, 2);
    const d = left.descriptors;
    const ring = new Uint8Array(left.ring);
    for (let i = 0; i < n; i++) {
      const off = d[i * DESCRIPTOR_STRIDE];
      const isIp = ring[off + 12] === x.ethertype[0] && ring[off + 13] === x.ethertype[1];
      decisions[i] = isIp && !unfinished ? 0 : Decision.DROP;
      if (isIp && (d[i * DESCRIPTOR_STRIDE + 2] & FrameFlag.CSUM_NOT_READY)) partial++;
      if (isIp && unfinished) {
        const copy = left.frame(i).slice();
        copy.set(right.mac, 6);
        copy.set(parseMac(serverMac, 'server MAC'), 0);
        right.send(copy);
      }
    }
    left.forward(decisions, n);
    await new Promise((r) => setImmediate(r));
  }
  await sent;
  return { count, received: Number(out.trim().split('\n').pop()), partial, stats: left.stats() };
}

t.test('control: a partial checksum sent on unfinished is dropped by the receiving kernel', async (t) => {
  const r = await crossMiddle(t, crossings[0], false, true);
  t.ok(r.partial >= r.count, `the datagrams arrived with partial checksums (${r.partial} frames)`);
  t.equal(r.received, 0, 'the server socket got none of them');
});

for (const x of crossings) {
  for (const vnetHdr of [false, true]) {
    t.test(`kernel UDP/${x.family} crosses the middle with partial checksums (${vnetHdr ? 'vnet header' : 'completed in C++'})`, async (t) => {
      const r = await crossMiddle(t, x, vnetHdr);
      t.equal(r.received, r.count, 'every datagram reached the server socket');
      t.ok(r.partial >= r.count, `the client's datagrams arrived with partial checksums (${r.partial} frames)`);
      if (vnetHdr) t.equal(r.stats.checksumsCompleted, 0, 'the kernel finished the checksums');
      else t.ok(r.stats.checksumsCompleted >= r.count, `C++ completed the checksums (${r.stats.checksumsCompleted})`);
      t.equal(r.stats.rxDrops, 0, 'no ring drops');
    });
  }
}

t.test('frames RX mode: kernel UDP/IPv4 crosses the middle, partial checksums carried in the vnet header', async (t) => {
  const r = await crossMiddle(t, crossings[0], true, false, 'frames');
  t.equal(r.received, r.count, 'every datagram reached the server socket');
  t.ok(r.partial >= r.count, `the client's datagrams arrived with partial checksums (${r.partial} frames)`);
  t.equal(r.stats.rxDrops, 0, 'no ring drops');
});

t.test('a batch larger than the whole ring returns each waiting frame once (both RX kinds)', async (t) => {
  const a = open({ interface: 'va' });
  // blocks: two blocks, each retired holding one frame; frames: 64 slots, all full.
  const blocks = open({ interface: 'vb', blockSize: 64 * 1024, blockCount: 2, retireMs: 1 });
  for (const f of testFrames(a, blocks, 2, 10)) {
    a.send(f);
    await new Promise((r) => setTimeout(r, 15)); // the frame's block retires alone
  }
  await new Promise((r) => setTimeout(r, 15));
  const n = blocks.receive(256, 0);
  let ours = 0;
  for (let i = 0; i < n; i++) if (udpTo(9010)(blocks.frame(i))) ours++;
  t.equal(ours, 2, `blocks: the two frames once each (${n} returned)`);
  t.ok(n <= 4, 'and nothing read twice');

  const frames = open({ interface: 'vb', rxMode: 'frames', blockSize: 64 * 1024, blockCount: 2, frameSize: 2048 });
  const p = pack(testFrames(a, frames, 100, 11));
  a.sendFrames(p.buf, p.offsets, p.lengths, 100);
  await new Promise((r) => setTimeout(r, 50));
  const m = frames.receive(256, 0);
  t.equal(m, 64, 'frames: a full ring of 64 slots gives 64 frames, not 256');
  const seen = new Set<number>();
  for (let i = 0; i < m; i++) {
    const f = frames.frame(i);
    if (udpTo(9011)(f)) seen.add((f[34] << 8) | f[35]);
  }
  t.equal(seen.size, m, 'each a different frame');
});
