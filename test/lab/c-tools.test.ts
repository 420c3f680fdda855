// The benchmark's C tools do what the comparison assumes: the generator sends exactly what it is
// told, and the baseline forwarder does the addon's job (MAC rewrite, partial checksums completed)
// well enough that real TCP crosses it intact.
import t from 'tap';
import crypto from 'node:crypto';
import { forwardingChain, labUp, type NsProcess } from '../../engine/lab/index.js';
import { buildCTools } from '../../perf/c/build.js';

const bins = await buildCTools();
const lab = await labUp(forwardingChain());
t.teardown(() => lab.down());
const a = lab.host('a');
const b = lab.host('b');
const [midA, midB] = lab.host('mid').interfaces;
const lastJson = (p: NsProcess): Record<string, number> => JSON.parse(p.output.trim().split('\n').at(-1)!);
const rxPackets = async (host: string): Promise<number> => (await lab.linkStats(host)).rx.packets;

t.test('5000 generated frames cross the C forwarder, counted on both sides', async (t) => {
  const fwd = lab.spawn('mid', [bins.fwd, '-i', 'eth0', '-o', 'eth1', '-d', '02:00:00:00:00:fe']);
  t.teardown(() => fwd.stop());
  await fwd.waitFor(/"ready":true/);
  const before = await rxPackets('b');
  const gen = JSON.parse((await lab.exec('a', [bins.pktgen, '-i', 'eth0', '-d', midA!.mac, '-c', '5000', '-r', '50000', '-f', '64'])).stdout);
  t.match(gen, { sent: 5000, frameBytes: 60, flows: 64, errors: 0 });
  t.ok(gen.pps > 10_000 && gen.pps < 60_000, `rate limited to about 50 kpps (${Math.round(gen.pps)})`);
  await new Promise((r) => setTimeout(r, 100));
  // a's own IPv6 chatter (MLD reports after link-up) may cross too: a few frames more, never fewer.
  const arrived = await rxPackets('b') - before;
  t.ok(arrived >= 5000 && arrived <= 5010, `b received every frame (${arrived})`);
  await fwd.stop();
  const s = lastJson(fwd);
  t.match(s, { rxDrops: 0 });
  t.equal(s.forwarded, s.received, 'forwarded all it received');
  t.ok(s.received >= 5000 && s.received <= 5010, `the forwarder saw the 5000 frames (${s.received})`);
});

t.test('stamped frames: the sink counts them and measures their one-way latency', async (t) => {
  const sink = lab.spawn('mid', [bins.sink, '-i', 'eth0']);
  t.teardown(() => sink.stop());
  await sink.waitFor(/"ready":true/);
  const gen = JSON.parse((await lab.exec('a', [bins.pktgen, '-i', 'eth0', '-d', midA!.mac, '-c', '2000', '-r', '20000', '-b', '4', '-T'])).stdout);
  t.equal(gen.sent, 2000);
  await new Promise((r) => setTimeout(r, 50));
  await sink.stop();
  const s = lastJson(sink);
  t.ok(s.stamped === 2000 && s.frames >= 2000, `all 2000 stamped frames seen (${s.stamped} of ${s.frames})`);
  t.ok(s.p50us > 0 && s.p50us <= s.p99us && s.p99us <= s.maxUs + 0.1, `percentiles ordered (p50 ${s.p50us} µs, p99 ${s.p99us} µs, max ${s.maxUs} µs)`);
  t.ok(s.p99us < 1000, 'straight over one veth the latency is well under a millisecond');
});

t.test('the C tools refuse bad arguments', async (t) => {
  await t.rejects(lab.exec('a', [bins.pktgen, '-i', 'eth0', '-d', 'nonsense', '-c', '1']), { code: 'ERR_LAB_COMMAND_FAILED' });
  await t.rejects(lab.exec('a', [bins.pktgen, '-i', 'eth0', '-d', midA!.mac]), /exactly one of -c COUNT and -t SECONDS/);
  await t.rejects(lab.exec('mid', [bins.fwd, '-i', 'nosuch0', '-o', 'eth1', '-d', a.mac, '-t', '1']), /no such interface/);
  await t.rejects(lab.exec('a', [bins.pktgen, '-i', 'eth0', '-d', midA!.mac, '-c', '1', '-T', '-l', '50']), /-T needs -l 54/);
  await t.rejects(lab.exec('b', [bins.sink]), /need -i IFACE/);
});

t.test('TCP crosses a pair of C forwarders intact, partial checksums completed', async (t) => {
  await Promise.all([
    lab.setNeighbour('a', b.v4!, midA!.mac),
    lab.setNeighbour('b', a.v4!, midB!.mac),
  ]);
  const toB = lab.spawn('mid', [bins.fwd, '-i', 'eth0', '-o', 'eth1', '-d', b.mac]);
  const toA = lab.spawn('mid', [bins.fwd, '-i', 'eth1', '-o', 'eth0', '-d', a.mac]);
  const server = lab.spawn('b', [process.execPath, '-e', `
    const crypto = require('node:crypto');
    const blob = crypto.createHash('sha512').update('lbarray').digest().toString('hex').repeat(8192);
    require('node:http').createServer((q, s) => s.end(blob)).listen(8080, () => console.log('listening'));
  `]);
  t.teardown(() => Promise.all([toB.stop(), toA.stop(), server.stop()]));
  await Promise.all([toB.waitFor(/"ready":true/), toA.waitFor(/"ready":true/), server.waitFor(/listening/)]);
  const body = (await lab.exec('a', ['curl', '-sS', '--fail', '--max-time', '20', `http://${b.v4}:8080/`])).stdout;
  const expected = crypto.createHash('sha512').update('lbarray').digest().toString('hex').repeat(8192);
  t.equal(body.length, expected.length, '1 MiB arrived');
  t.ok(body === expected, 'byte for byte');
  await Promise.all([toB.stop(), toA.stop()]);
  t.ok(lastJson(toB).checksumsCompleted > 0 && lastJson(toA).checksumsCompleted > 0, 'both directions completed partial checksums');
});
