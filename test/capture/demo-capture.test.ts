// captures/demo-lab.pcap, recorded from the demo's client (`lbarray demo --capture`): real HTTP
// and HTTPS sessions to the VIP, read with engine/capture and engine/packet, then replayed with
// `lbarray replay` as an operator would: every frame sent to the VIP must be decided to a node.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { readPcap } from '../../engine/capture/index.js';
import { loadConfig } from '../../engine/config/index.js';
import { ipText, parseFrame, ParsedFrame, PROTO_TCP, Reason } from '../../engine/packet/index.js';
import { lbarray, root } from '../cli/fixtures/run-cli.js';

const file = path.join(root, 'captures/demo-lab.pcap');
const { vip } = loadConfig(path.join(root, 'examples/lab.yaml'));
const vips = new Set([vip.ipv4, vip.ipv6]);
const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;

interface Frames { toVip: number; clients: Set<string>; handshakes: Map<string, number>; closed: Map<string, number> }

/** Walks the capture: client → VIP frames, and per "port/IPv<n>" the handshakes completed and the connections the client closed. */
async function walk(): Promise<Frames> {
  const cap = await readPcap(file);
  const f = new ParsedFrame();
  const out: Frames = { toVip: 0, clients: new Set(), handshakes: new Map(), closed: new Map() };
  const synSent = new Set<string>();
  const synAcked = new Set<string>();
  const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };
  for (let i = 0; i < cap.count; i++) {
    if (parseFrame(cap.buf, cap.offsets[i], cap.lengths[i], f) !== Reason.OK || f.proto !== PROTO_TCP) continue;
    const src = ipText(cap.buf, f.srcAddress, f.addressLength);
    const dst = ipText(cap.buf, f.dstAddress, f.addressLength);
    const toVip = vips.has(dst);
    // One name per connection, whichever way the frame goes: client address and port.
    const conn = toVip ? `${src}|${f.sport}|${f.dport}` : `${dst}|${f.dport}|${f.sport}`;
    const service = `${toVip ? f.dport : f.sport}/IPv${f.ipVersion}`;
    if (toVip) {
      out.toVip++;
      if ((f.tcpFlags & (SYN | ACK)) === SYN) { synSent.add(conn); out.clients.add(src); }
      else if ((f.tcpFlags & (SYN | ACK)) === ACK && synAcked.delete(conn)) bump(out.handshakes, service);
      if (f.tcpFlags & FIN) bump(out.closed, service);
    } else if (vips.has(src) && (f.tcpFlags & (SYN | ACK)) === (SYN | ACK) && synSent.has(conn)) synAcked.add(conn);
  }
  return out;
}

t.test('demo-lab.pcap: the client\'s HTTP and HTTPS sessions, whole, in a small classic pcap', async (t) => {
  const size = fs.statSync(file).size;
  t.ok(size < 2 << 20, `${size} bytes, under 2 MB`);
  const frames = await walk();
  t.same([...frames.clients].sort(), ['198.18.0.201', '2001:2::201'], 'every SYN to the VIP comes from the client host');
  const cases = [80, 443].flatMap((port) => [4, 6].map((v) => `${port}/IPv${v}`));
  for (const service of cases) {
    t.ok((frames.handshakes.get(service) ?? 0) >= 5, `${service}: ${frames.handshakes.get(service)} handshakes (SYN, SYN-ACK from the VIP, ACK)`);
    t.ok((frames.closed.get(service) ?? 0) >= 5, `${service}: ${frames.closed.get(service)} connections closed by the client (FIN)`);
  }
});

t.test('lbarray replay decides every frame the client sent to the VIP to a node', async (t) => {
  const r = await lbarray(['replay', file, '--seconds', '0.1', '--json']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { nodes: Record<string, number>; drops: Record<string, number> };
  const { toVip } = await walk();
  t.ok(toVip > 1000, `${toVip} frames to the VIP`);
  t.equal(Object.values(j.nodes).reduce((a, b) => a + b, 0), toVip, 'one node decision per frame to the VIP');
  for (const [id, n] of Object.entries(j.nodes)) t.ok(n > 0, `${id}: ${n} frames`);
  t.match(j.drops, { MALFORMED: 0, NO_NODE: 0, NOT_SERVICE: 0 });
  t.ok(j.drops.NOT_VIP > 0, `${j.drops.NOT_VIP} frames from the VIP to the client (responses): not the scheduler's`);
});
