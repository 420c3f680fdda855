// Measures the two choices the addon makes, each against the other in the same run:
//   1. TX path: TPACKET_V3 TX ring (memcpy into the ring, one send()) vs sendmmsg (iovecs
//      into the frames, one sendmmsg()), sending pre-built 64- and 1024-byte frames on a veth.
//   2. Partial checksums of forwarded kernel UDP: completed in C++ vs carried through with
//      PACKET_VNET_HDR (the kernel, or the next host, finishes them).
// Everything runs in private namespaces, removed at the end. Root needed.
//   node --import tsx perf/addon/ring-paths.ts [--seconds 1] [--rounds 3] [--only tx|partial]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PacketPort, type PacketPortOptions } from '../../engine/ring/index.js';
import { Decision, DESCRIPTOR_STRIDE } from '../../engine/ring/constants.js';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '3' }, only: { type: 'string', default: 'all' },
} });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const prefix = `lbperf-${process.pid}-${randomBytes(2).toString('hex')}`;
const made: string[] = [];
const sh = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const netns = (tag: string) => { const n = `${prefix}-${tag}`; sh('netns', 'add', n); made.push(n); return n; };
const inNs = (ns: string, ...cmd: string[]) => sh('netns', 'exec', ns, ...cmd);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const flood = fileURLToPath(new URL('./udp-flood.mjs', import.meta.url));

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function frames(count: number, len: number): { buf: Uint8Array; offsets: Int32Array; lengths: Int32Array } {
  const buf = new Uint8Array(count * len);
  for (let i = 0; i < count; i++) {
    const f = buf.subarray(i * len, (i + 1) * len);
    f.set([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, (len - 14) >> 8, (len - 14) & 0xff, 0, 0, 0, 0, 64, 17]);
    f.set([198, 18, 0, 1, 198, 18, 0, 2, (i >> 8) | 0x80, i & 0xff, 0, 9], 26);
  }
  return { buf, offsets: Int32Array.from({ length: count }, (_, i) => i * len), lengths: new Int32Array(count).fill(len) };
}

type TxVariant = 'ring' | 'sendmmsg' | 'sendmmsg+vnet' | 'sendmmsg+txOnly';
const TX_VARIANTS: TxVariant[] = ['ring', 'sendmmsg', 'sendmmsg+vnet', 'sendmmsg+txOnly'];

function txRound(ns: string, variant: TxVariant, len: number) {
  const txMode = variant === 'ring' ? 'ring' : 'sendmmsg';
  const port = PacketPort.open({ interface: 'ta', netns: ns, txMode, vnetHdr: variant === 'sendmmsg+vnet', txOnly: variant === 'sendmmsg+txOnly', blockCount: 4 });
  const f = frames(256, len);
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < seconds * 1000) sent += port.sendFrames(f.buf, f.offsets, f.lengths, 256);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - cpu0;
  const s = port.stats();
  port.close();
  return { pps: s.txFrames / wall, nsPerFrame: (cpu * 1000) / Math.max(1, s.txFrames), errors: s.txErrors, queued: sent };
}

function measureTx(): void {
  const ns = netns('tx');
  inNs(ns, 'ip', 'link', 'add', 'ta', 'type', 'veth', 'peer', 'name', 'tb');
  inNs(ns, 'ip', 'link', 'set', 'ta', 'up');
  inNs(ns, 'ip', 'link', 'set', 'tb', 'up');
  console.log('\nTX path: pre-built frames, batches of 256, one flush per batch (median of rounds)');
  for (const len of [64, 1024]) {
    const r = Object.fromEntries(TX_VARIANTS.map((v) => [v, { pps: [] as number[], ns: [] as number[], errors: 0 }]));
    for (let k = 0; k < rounds; k++) {
      for (const mode of TX_VARIANTS) {
        const x = txRound(ns, mode, len);
        r[mode].pps.push(x.pps);
        r[mode].ns.push(x.nsPerFrame);
        r[mode].errors += x.errors;
      }
    }
    for (const mode of TX_VARIANTS) {
      console.log(`  ${len}-byte  ${mode.padEnd(15)} ${(median(r[mode].pps) / 1e6).toFixed(3)} Mpps  ${median(r[mode].ns).toFixed(0)} ns CPU/frame  txErrors ${r[mode].errors}`);
    }
    console.log(`  ${len}-byte  ratio ring/sendmmsg: ${(median(r.ring.pps) / median(r.sendmmsg.pps)).toFixed(2)} (pps), ${(median(r.ring.ns) / median(r.sendmmsg.ns)).toFixed(2)} (CPU/frame); vnet header on full-checksum frames costs ${(median(r['sendmmsg+vnet'].ns) / median(r.sendmmsg.ns)).toFixed(2)} x CPU/frame; TX-only port (no tap) ${(median(r['sendmmsg+txOnly'].ns) / median(r.sendmmsg.ns)).toFixed(2)} x`);
  }
}

async function forwardRound(mid: string, client: string, server: string, vnetHdr: boolean, payload: number, tx: 'ring' | 'sendmmsg') {
  const opts: Partial<PacketPortOptions> = { netns: mid, vnetHdr, txMode: tx };
  const left = PacketPort.open({ interface: 'm0', ...opts });
  const right = PacketPort.open({ interface: 'm1', ...opts });
  left.setNextHops([{ port: right, dstMac: inNs(server, 'cat', '/sys/class/net/s0/address').trim() }]);
  const recv = spawn('ip', ['netns', 'exec', server, process.execPath, flood, 'recv', '198.18.1.2', '9999', String(seconds)]);
  let rout = '';
  recv.stdout.on('data', (d) => { rout += d; });
  while (!rout.includes('ready')) await new Promise((r) => setTimeout(r, 5));
  const send = spawn('ip', ['netns', 'exec', client, process.execPath, flood, 'send', '198.18.1.2', '9999', String(seconds), String(payload)]);
  let sout = '';
  send.stdout.on('data', (d) => { sout += d; });
  const sendDone = once(send, 'close');
  const recvDone = once(recv, 'close');
  let done = false;
  void sendDone.then(() => { done = true; });
  const decisions = new Int32Array(left.batchSize);
  let busyCpu = 0;
  let forwarded = 0;
  while (!done) {
    const c0 = cpuMicros();
    const n = left.receive(left.batchSize, 1);
    const d = left.descriptors;
    const ring = new Uint8Array(left.ring);
    for (let i = 0; i < n; i++) decisions[i] = ring[d[i * DESCRIPTOR_STRIDE] + 12] === 0x08 ? 0 : Decision.DROP;
    if (n > 0) forwarded += left.forward(decisions, n);
    if (n > 0) busyCpu += cpuMicros() - c0;
    await new Promise((r) => setImmediate(r));
  }
  await recvDone;
  const s = left.stats();
  left.close();
  right.close();
  return { forwarded, nsPerFrame: (busyCpu * 1000) / Math.max(1, forwarded), received: Number(rout.trim().split('\n').pop()),
    sent: Number(sout.trim()), completed: s.checksumsCompleted, drops: s.rxDrops };
}

async function measurePartial(): Promise<void> {
  const mid = netns('mid');
  const client = netns('cli');
  const server = netns('srv');
  inNs(client, 'ip', 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'm0', 'netns', mid);
  inNs(server, 'ip', 'link', 'add', 's0', 'type', 'veth', 'peer', 'name', 'm1', 'netns', mid);
  for (const [ns, dev] of [[client, 'c0'], [server, 's0'], [mid, 'm0'], [mid, 'm1']]) inNs(ns, 'ip', 'link', 'set', dev, 'up');
  inNs(client, 'ip', 'addr', 'add', '198.18.1.1/24', 'dev', 'c0');
  inNs(server, 'ip', 'addr', 'add', '198.18.1.2/24', 'dev', 's0');
  inNs(client, 'ip', 'neigh', 'replace', '198.18.1.2', 'lladdr', inNs(mid, 'cat', '/sys/class/net/m0/address').trim(), 'dev', 'c0', 'nud', 'permanent');
  console.log('\nPartial checksums of forwarded kernel UDP (client -> [m0 forward() m1] -> server), forwarder CPU per frame');
  for (const payload of [18, 1400]) {
    const r: Record<string, { ns: number[]; lost: number[]; completed: number }> = { cpp: { ns: [], lost: [], completed: 0 }, vnet: { ns: [], lost: [], completed: 0 } };
    for (let k = 0; k < rounds; k++) {
      for (const mode of ['cpp', 'vnet'] as const) {
        const x = await forwardRound(mid, client, server, mode === 'vnet', payload, 'sendmmsg');
        r[mode].ns.push(x.nsPerFrame);
        r[mode].lost.push(x.sent - x.received);
        r[mode].completed += x.completed;
        if (k === 0) console.log(`    (${mode} round: sent ${x.sent}, forwarded ${x.forwarded}, received ${x.received}, ring drops ${x.drops})`);
      }
    }
    for (const mode of ['cpp', 'vnet']) {
      console.log(`  ${payload}-byte payload  ${mode.padEnd(4)} ${median(r[mode].ns).toFixed(0)} ns CPU/frame  lost(median) ${median(r[mode].lost)}  completed in C++ ${r[mode].completed}`);
    }
    console.log(`  ${payload}-byte payload  ratio vnet/cpp CPU per frame: ${(median(r.vnet.ns) / median(r.cpp.ns)).toFixed(2)}`);
  }
}

try {
  if (values.only !== 'partial') measureTx();
  if (values.only !== 'tx') await measurePartial();
} finally {
  for (const n of made) try { sh('netns', 'del', n); } catch { /* gone */ }
}
