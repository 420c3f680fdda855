// A SYN flood at the live scheduler (issue 3): while a 600 MiB download runs through the VIP, the client
// sends SYNs from 32 768 spoofed sources (198.19.128.0/17, inside the lab's range) at the scheduler,
// until the download is over (200 000 at least, three times its flow table); at least twice the
// table's size of them go out while the download runs, so the table overflows twice over under it
// (on a loaded machine the download can end before the whole 200 000 are out). The table stays bounded (it evicts to make room), the download keeps being forwarded
// through the flood and completes whole, and fresh connections afterwards all succeed. (Which entries go first, half-open before established, is the flow
// table's unit test: with a steady node set Maglev would send an evicted flow to the same node.)
import t from 'tap';
import { PacketPort } from '../../engine/ring/index.js';
import { parseMac } from '../../engine/ring/mac.js';
import { ether, ip4, tcp } from '../scheduler/fixtures/frames.js';
import { startArray } from './fixtures/array-lab.js';

const FLOOD = 200_000;
const BURST = 25_000;
const TABLE = 65_536; // scheduler.flowTableCapacity in the array's config
const MIB = 600; // long enough for 2 × TABLE SYNs to be sent while it runs

t.test('a SYN flood keeps the flow table bounded and established flows forwarding', async (t) => {
  const a = await startArray(t);
  const vip = a.lab.requireVip();
  const client = a.lab.clients[0]!;
  const lb1 = a.lab.host('lb1');

  // One frame, then copies with their own source address and port.
  const template = ether(0x0800, ip4('198.19.128.0', vip.v4, tcp(1024, 80, 0x02)));
  template.set(parseMac(lb1.mac, 'lb1 MAC'), 0);
  template.set(parseMac(client.mac, 'client MAC'), 6);
  const len = template.length;
  const buf = new Uint8Array(len * BURST);
  const offsets = new Int32Array(BURST);
  const lengths = new Int32Array(BURST).fill(len);
  const port = PacketPort.open({ interface: client.iface, netns: client.ns, txOnly: true });
  t.teardown(() => port.close());

  const download = a.client(['download', vip.v4, '80', String(MIB), a.address.lb1!], 90_000);
  let downloading = true;
  void download.finally(() => { downloading = false; });
  await new Promise((r) => setTimeout(r, 300)); // its connection is established
  // Bursts until the download is over (and at least FLOOD in all): the flood and the download overlap.
  let sent = 0;
  let sentDuring = 0;
  for (let i = 0; (sent < FLOOD || downloading) && sent < 50 * FLOOD; ) {
    for (let k = 0; k < BURST; k++, i++) {
      const at = k * len;
      buf.set(template, at);
      buf[at + 28] = 128 | ((i >>> 8) & 127); // source 198.19.128.0/17
      buf[at + 29] = i & 255;
      buf[at + 34] = 4 + ((i >>> 15) & 0xbf); // source port: a new one each time the addresses wrap
      offsets[k] = at;
    }
    const n = port.sendFrames(buf, offsets, lengths, BURST);
    sent += n;
    if (downloading) sentDuring += n;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(sentDuring >= 2 * TABLE, `${sentDuring} SYNs sent while the download ran, at least twice the flow table (${sent} in all)`);

  const lines = await download;
  const done = lines.find((l) => l.phase === 'done') as { status: number; bytes: number; peer: string; ms: number } | undefined;
  t.ok(done, 'the download finished');
  t.equal(done?.status, 200, `the download succeeded during the flood (${done?.ms} ms, served by ${a.nodeOf[done?.peer ?? '']})`);
  t.equal(done?.bytes, MIB << 20, 'every byte arrived');

  const s = await a.status('lb1');
  t.equal(s.role, 'scheduler', 'lb1 is still the scheduler');
  t.ok(s.counters['scheduler.flows']! <= TABLE, `the flow table stayed bounded (${s.counters['scheduler.flows']} of ${TABLE})`);
  t.ok(s.counters['scheduler.flowEvictions']! > 0, `it evicted to make room (${s.counters['scheduler.flowEvictions']})`);
  const [after] = await a.client(['fresh', vip.v4, '80', '60'], 60_000);
  t.same((after as { failures: string[] }).failures, [], 'after the flood, 60 fresh connections all succeed');
});
