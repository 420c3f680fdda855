// `lbarray replay` as an operator runs it (a child process, the real CLI): the histogram of a
// capture under the lab config, JSON output, another config, and one-sentence refusals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { examples, lbarray, root } from '../cli/fixtures/run-cli.js';

const capture = (name: string): string => path.join(root, 'captures', name);
const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

t.test('replay prints the rate and the decision histogram', async (t) => {
  const r = await lbarray(['replay', capture('web-flows.pcap'), '--seconds', '0.2']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /web-flows\.pcap \(decide \+ rewrite\): [\d.]+ Mpps on one core \(3600 frames x \d+ passes in [\d.]+ s\)/);
  const nodes = [...r.stdout.matchAll(/node (lb\d): (\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
  t.same(nodes.map(([id]) => id), ['lb1', 'lb2', 'lb3'], 'the nodes of examples/lab.yaml');
  t.equal(nodes.reduce((a, [, n]) => a + n, 0), 3600, 'every frame of every flow goes to a node');
  for (const [id, n] of nodes) t.ok(n > 900 && n < 1500, `${id}: ${n} frames, near a third`);
  t.equal(r.stderr, '');
});

t.test('--json: every frame has one decision, named by reason', async (t) => {
  const mixed = await lbarray(['replay', capture('mixed.pcap'), '--seconds', '0.1', '--json']);
  t.equal(mixed.code, 0, mixed.stderr);
  const m = JSON.parse(mixed.stdout) as { frames: number; pps: number; nodes: Record<string, number>; drops: Record<string, number>; consumed: number };
  t.equal(m.frames, 204);
  t.ok(m.pps > 0);
  t.equal(sum(m.nodes) + sum(m.drops) + m.consumed, 204, 'one decision per frame');
  t.equal(m.consumed, 11, 'ARP and NDP requests for the VIPs (one of them VLAN-tagged), and a ping of the VIP');
  t.match(m.drops, { MALFORMED: 0, NOT_VIP_RESOLUTION: 3, NOT_VIP: 1, ICMP_NOT_STEERABLE: 0 }, 'other ARP/NDP, HTTP to a non-VIP');
  t.equal(m.drops.NOT_SERVICE, 25, 'UDP (no UDP service), SSH, and the later fragments of UDP datagrams');
  const bad = await lbarray(['replay', capture('malformed.pcap'), '--seconds', '0.1', '--json']);
  t.equal(bad.code, 0, bad.stderr);
  const b = JSON.parse(bad.stdout) as { frames: number; drops: Record<string, number> };
  t.equal(b.frames, 264, 'runts too');
  t.ok(b.drops.MALFORMED >= 8, `${b.drops.MALFORMED} malformed, the 8 runts among them`);
});

t.test('--config takes the VIPs, services and nodes from another array', async (t) => {
  const r = await lbarray(['replay', capture('web-flows.pcap'), '--seconds', '0.1', '--json', '--config', path.join(examples, 'minimal.yaml')]);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { nodes: Record<string, number>; drops: Record<string, number> };
  t.same(Object.keys(j.nodes), ['lb1', 'lb2']);
  t.ok(j.drops.NOT_VIP > 0 && j.drops.NOT_SERVICE > 0, 'no IPv6 VIP and no port 443 there: dropped and counted');
});

t.test('a missing file or a pcapng file: one sentence, exit 1', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbarray-replay-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = await lbarray(['replay', path.join(dir, 'nope.pcap')]);
  t.equal(missing.code, 1);
  t.equal(missing.stderr, `lbarray: ${path.join(dir, 'nope.pcap')}: no such capture file.\n`);
  const ng = path.join(dir, 'trace.pcapng');
  fs.writeFileSync(ng, Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));
  const r = await lbarray(['replay', ng]);
  t.equal(r.code, 1);
  t.equal(r.stderr, `lbarray: ${ng} is a pcapng capture; lbarray reads classic pcap only (convert it: editcap -F pcap IN OUT).\n`);
  t.equal(r.stdout, '');
  const zero = await lbarray(['replay', capture('mixed.pcap'), '--seconds', '0']);
  t.equal(zero.code, 1);
  t.match(zero.stderr, /expected a positive number/);
});
