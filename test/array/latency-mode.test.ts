// The scheduler in its latency mode (scheduler.ring.rxMode: frames with busyPollUs): TPACKET_V2
// rings, each frame handed over as soon as the kernel wrote it, read by forwarding threads that
// watch the ring before they sleep. The array serves as in the default blocks mode: fresh
// connections over IPv4 and IPv6 all succeed and reach all three nodes, the scheduler included.
// (That the wait spins is shown on a veth pair: test/addon/port.test.ts.)
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

const REQUESTS = 300;
// 64 KiB slots: the lab's veths hand GSO super-frames to the ring, which a smaller slot would cut.
const RING = 'ring: { rxMode: frames, busyPollUs: 100, frameSize: 65536, blockSize: 1048576, blockCount: 8 }';

t.test('with TPACKET_V2 rings and busy polling, the array serves every request through every node', async (t) => {
  const a = await startArray(t, {}, (yaml) => {
    const edited = yaml.replace(/ring: \{[^}]*\}/, RING);
    if (edited === yaml) throw new Error('the array config has no scheduler ring to change');
    return edited;
  });
  const vip = a.lab.requireVip();
  for (const [family, address] of [['IPv4', vip.v4], ['IPv6', vip.v6]] as const) {
    const [r] = await a.client(['fresh', address, '80', String(REQUESTS)]);
    const { byPeer, failures } = r as { byPeer: Record<string, number>; failures: string[] };
    t.same(failures, [], `${family}: all ${REQUESTS} requests succeeded`);
    const served = Object.keys(a.address).filter((id) => (byPeer[a.address[id]!] ?? 0) > 0);
    t.same(served, ['lb1', 'lb2', 'lb3'], `${family}: every node served some (${JSON.stringify(byPeer)})`);
  }
  const status = await a.status('lb1');
  t.equal(status.role, 'scheduler', 'lb1 is the scheduler');
  t.equal(status.counters['scheduler.drops.RING_FULL'], 0, 'no frame lost to a full ring');
  t.equal(status.counters['scheduler.drops.TRUNCATED'], 0, 'none cut short by its slot');
});
