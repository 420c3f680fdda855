// The committed captures: equal to what captures/make-captures.ts makes (they cannot drift),
// decoded by tshark, every malformed frame refused with its reason, and the codec agreeing with
// the scheduler's own hot-path parse (engine/scheduler/decide.ts) on the flow key of every frame.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { frameAt, readPcap } from '../../engine/capture/index.js';
import { loadConfig } from '../../engine/config/index.js';
import { schedulerServices } from '../../engine/config/to-scheduler.js';
import { parseFrame, parseQuoted, ParsedFrame, Reason, REASON_NAMES } from '../../engine/packet/index.js';
import { DropReason, SchedulerCounters } from '../../engine/scheduler/counters.js';
import { Decider } from '../../engine/scheduler/decide.js';
import type { FlowRouter } from '../../engine/scheduler/flow-router.js';
import { FLOW_KEY_WORDS } from '../../engine/scheduler/flow-table.js';
import { ServiceSet } from '../../engine/scheduler/service-set.js';
import { encodeCapture, makeCaptures } from '../../captures/make-captures.js';

const root = path.resolve(import.meta.dirname, '../..');
const made = makeCaptures();
const fileOf = (name: string): string => path.join(root, 'captures', name);

t.test('committed captures equal what the generator makes, each under 2 MB', async (t) => {
  t.same(made.map((c) => c.name), ['web-flows.pcap', 'mixed.pcap', 'malformed.pcap']);
  for (const c of made) {
    const committed = fs.readFileSync(fileOf(c.name));
    t.ok(committed.equals(encodeCapture(c)), `${c.name} is what "node --import tsx captures/make-captures.ts" makes`);
    t.ok(committed.length < 2 << 20, `${c.name}: ${committed.length} bytes`);
  }
});

// tshark's view: one row of fields per frame (reassembly off: each fragment is a frame).
function tsharkRows(file: string): Array<Record<string, string>> {
  const fields = ['frame.protocols', 'tcp.flags.syn', 'tcp.flags.fin', 'icmp.type', 'icmp.code', 'icmpv6.type', 'ip.flags.mf', 'ip.frag_offset'];
  const out = execFileSync('tshark', ['-r', file, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=|',
    ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim().split('\n').map((line) => Object.fromEntries(line.split('|').map((v, i) => [fields[i], v])));
}

t.test('tshark decodes every frame of the captures as documented', async (t) => {
  const count = (rows: Array<Record<string, string>>, f: (r: Record<string, string>) => boolean): number => rows.filter(f).length;
  const has = (r: Record<string, string>, proto: string): boolean => r['frame.protocols'].split(':').includes(proto);
  const web = tsharkRows(fileOf('web-flows.pcap'));
  t.equal(web.length, 3600, 'web-flows: frames');
  t.equal(count(web, (r) => has(r, 'tcp')), 3600, 'web-flows: all TCP');
  t.equal(count(web, (r) => r['tcp.flags.syn'] === '1'), 600, 'web-flows: 600 SYNs');
  t.equal(count(web, (r) => r['tcp.flags.fin'] === '1'), 600, 'web-flows: 600 FINs');
  t.equal(count(web, (r) => has(r, 'http') || has(r, 'tls')), 600, 'web-flows: 600 requests (HTTP on 80, TLS on 443)');
  t.ok(count(web, (r) => has(r, 'ipv6')) > 0 && count(web, (r) => has(r, 'ip')) > 0, 'web-flows: IPv4 and IPv6');
  const mixed = tsharkRows(fileOf('mixed.pcap'));
  t.equal(mixed.length, 204, 'mixed: frames');
  t.equal(count(mixed, (r) => (r['icmp.type'] === '3' && r['icmp.code'] === '4') || r['icmpv6.type'] === '2'), 12, 'mixed: 12 PMTU errors');
  t.equal(count(mixed, (r) => !has(r, 'ipv6') && (r['ip.flags.mf'] === '1' || (r['ip.frag_offset'] || '0').split(',')[0] !== '0')), 6, 'mixed: 6 IPv4 fragments');
  t.equal(count(mixed, (r) => has(r, 'ipv6.fraghdr')), 6, 'mixed: 6 IPv6 fragments');
  t.equal(count(mixed, (r) => has(r, 'arp')), 7, 'mixed: 7 ARP');
  t.equal(count(mixed, (r) => r['icmpv6.type'] === '135'), 6, 'mixed: 6 neighbour solicitations');
  t.equal(count(mixed, (r) => has(r, 'vlan')), 9, 'mixed: 9 tagged, 2 of them QinQ');
  t.equal(count(mixed, (r) => has(r, 'ieee8021ad')), 2);
  t.equal(count(mixed, (r) => has(r, '_ws.malformed')), 0, 'mixed: nothing tshark calls malformed');
  t.equal(tsharkRows(fileOf('malformed.pcap')).length, 264, 'malformed: frames');
});

t.test('every malformed frame gets the reason it was made for', async (t) => {
  const capture = await readPcap(fileOf('malformed.pcap'));
  const expected = made.find((c) => c.name === 'malformed.pcap')!.expected!;
  t.equal(capture.count, expected.length);
  const f = new ParsedFrame();
  const wrong: string[] = [];
  for (let i = 0; i < capture.count; i++) {
    const reason = parseFrame(capture.buf, capture.offsets[i], capture.lengths[i], f);
    if (reason !== expected[i].reason) wrong.push(`${expected[i].name}: ${REASON_NAMES[reason]}, not ${REASON_NAMES[expected[i].reason]}`);
  }
  t.same(wrong, [], 'all as intended');
  t.same(new Set(expected.map((e) => e.reason)).size, REASON_NAMES.length, 'every reason is represented');
});

// A FlowRouter stand-in that keeps the key decide() hands over (the decision itself is not under test).
function keyRecorder(): { router: FlowRouter; last: Int32Array | null } {
  const rec: { router: FlowRouter; last: Int32Array | null } = { router: null as unknown as FlowRouter, last: null };
  const keep = (key: Int32Array): number => { rec.last = key.slice(); return 0; };
  rec.router = { route: keep, peek: keep } as unknown as FlowRouter;
  return rec;
}

// The key the codec gives a frame, in decide()'s layout (engine/scheduler/flow-key.ts).
function codecKey(buf: Uint8Array, f: ParsedFrame, quoted: ParsedFrame): Int32Array {
  const key = new Int32Array(FLOW_KEY_WORDS);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const words = (at: number, n: number, to: number): void => { for (let i = 0; i < n; i++) key[to + i] = dv.getInt32(at + 4 * i); };
  const v6 = f.ipVersion === 6 ? 1 << 8 : 0;
  const pmtu = f.quoted >= 0 && ((f.ipVersion === 4 && f.icmpType === 3 && f.icmpCode === 4) || (f.ipVersion === 6 && f.icmpType === 2));
  if (pmtu) {
    parseQuoted(buf, f, quoted); // the quoted reply, reversed: client → VIP
    words(quoted.dstAddress, quoted.addressLength / 4, 0);
    words(quoted.srcAddress, quoted.addressLength / 4, 4);
    key[8] = (quoted.dport << 16) | quoted.sport;
    key[9] = quoted.proto | v6;
    return key;
  }
  words(f.srcAddress, f.addressLength / 4, 0);
  words(f.dstAddress, f.addressLength / 4, 4);
  key[8] = f.fragment ? 0 : (f.sport << 16) | f.dport;
  key[9] = f.proto | v6 | (f.fragment ? 1 << 9 : 0);
  return key;
}

t.test('the codec and the decider agree on the flow key of every frame', async (t) => {
  const services = new ServiceSet(schedulerServices(loadConfig(path.join(root, 'examples/lab.yaml'))));
  const f = new ParsedFrame();
  const quoted = new ParsedFrame();
  let compared = 0;
  const disagreements: string[] = [];
  for (const c of made) {
    const capture = await readPcap(fileOf(c.name));
    const rec = keyRecorder();
    const counters = new SchedulerCounters(3);
    const decider = new Decider(services, rec.router, counters);
    for (let i = 0; i < capture.count; i++) {
      rec.last = null;
      const malformedBefore = counters.drops[DropReason.MALFORMED];
      decider.decide(capture.buf, capture.offsets[i], capture.lengths[i], 1);
      const reason = parseFrame(capture.buf, capture.offsets[i], capture.lengths[i], f);
      if (reason === Reason.OK && counters.drops[DropReason.MALFORMED] !== malformedBefore) disagreements.push(`${c.name} #${i + 1}: the decider calls a valid frame malformed`);
      if (rec.last === null || reason !== Reason.OK) continue;
      compared++;
      const mine = codecKey(capture.buf, f, quoted);
      if (mine.join() !== rec.last.join()) disagreements.push(`${c.name} #${i + 1}: codec ${mine.join()} vs decider ${rec.last.join()}`);
    }
  }
  t.same(disagreements, []);
  t.ok(compared > 3700, `${compared} keys compared`);
});
