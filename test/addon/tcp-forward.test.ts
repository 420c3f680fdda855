// A real TCP transfer crosses a middle namespace through PacketPort.forward()
// in both directions: client -- [m0 <-> m1] -- server. The kernels of client and
// server use their default offloads (TSO, checksum offload), so the middle sees
// partial checksums and, with the vnet header, 64 KiB GSO super-frames.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { PacketPort } from '../../engine/ring/port.js';
import { Decision, DESCRIPTOR_STRIDE } from '../../engine/ring/constants.js';
import { childEnv, inNs, macOf, privateNetns, vethBetween } from './fixtures/netns.js';

const fixture = fileURLToPath(new URL('./fixtures/tcp.mjs', import.meta.url));

function run(ns: string, ...args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, fixture, ...args], { env: childEnv() });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  return { child, closed: once(child, 'close'), out: () => out };
}

const cases = [
  { name: 'vnet header carries checksums and GSO', vnetHdr: true, tso: 'on' },
  { name: 'C++ completes checksums (senders segment: TSO off)', vnetHdr: false, tso: 'off' },
];

for (const c of cases) {
  t.test(`2 MB of TCP crosses the middle intact: ${c.name}`, async (t) => {
    const mid = privateNetns(t, 'mid');
    const client = privateNetns(t, 'cli');
    const server = privateNetns(t, 'srv');
    vethBetween(client, 'c0', mid, 'm0');
    vethBetween(server, 's0', mid, 'm1');
    inNs(client, 'ip', 'addr', 'add', '198.18.2.1/24', 'dev', 'c0');
    inNs(server, 'ip', 'addr', 'add', '198.18.2.2/24', 'dev', 's0');
    inNs(client, 'ip', 'neigh', 'replace', '198.18.2.2', 'lladdr', macOf(mid, 'm0'), 'dev', 'c0', 'nud', 'permanent');
    inNs(server, 'ip', 'neigh', 'replace', '198.18.2.1', 'lladdr', macOf(mid, 'm1'), 'dev', 's0', 'nud', 'permanent');
    inNs(client, 'ethtool', '-K', 'c0', 'tso', c.tso);
    inNs(server, 'ethtool', '-K', 's0', 'tso', c.tso);
    const left = PacketPort.open({ interface: 'm0', netns: mid, vnetHdr: c.vnetHdr });
    const right = PacketPort.open({ interface: 'm1', netns: mid, vnetHdr: c.vnetHdr });
    t.teardown(() => { left.close(); right.close(); });
    left.setNextHops([{ port: right, dstMac: macOf(server, 's0') }]);
    right.setNextHops([{ port: left, dstMac: macOf(client, 'c0') }]);

    const srv = run(server, 'server', '198.18.2.2', '8080');
    while (!srv.out().includes('ready')) await new Promise((r) => setTimeout(r, 10));
    const cli = run(client, 'client', '198.18.2.2', '8080', String(2 * 1024 * 1024));
    let done = false;
    void srv.closed.then(() => { done = true; });
    const timeout = setTimeout(() => { done = true; }, 20000);
    const decisions = new Int32Array(256);
    let largest = 0;
    const pump = (port: PacketPort) => {
      const n = port.receive(256, 0);
      const d = port.descriptors;
      const ring = new Uint8Array(port.ring);
      for (let i = 0; i < n; i++) {
        decisions[i] = ring[d[i * DESCRIPTOR_STRIDE] + 12] === 0x08 ? 0 : Decision.DROP;
        largest = Math.max(largest, d[i * DESCRIPTOR_STRIDE + 1]);
      }
      if (n > 0) port.forward(decisions, n);
      return n;
    };
    while (!done) {
      if (pump(left) + pump(right) === 0) await new Promise((r) => setTimeout(r, 1));
      else await new Promise((r) => setImmediate(r));
    }
    clearTimeout(timeout);
    await cli.closed;
    const sent = cli.out().trim();
    t.equal(srv.out().split('\n')[1], sent, 'the server received exactly the bytes sent (length and SHA-256)');
    const s = left.stats();
    if (c.vnetHdr) {
      t.equal(s.checksumsCompleted, 0, 'the kernel finished every checksum');
      t.ok(largest > 1514, `GSO super-frames crossed whole and the kernel segmented them (largest ${largest} bytes)`);
    }
    else t.ok(s.checksumsCompleted > 0, `C++ completed ${s.checksumsCompleted} checksums`);
    t.equal(s.rxDrops + right.stats().rxDrops, 0, 'no ring drops');
  });
}
