// Path MTU discovery through the array (issue 3): the client sits behind router rt1 whose client
// side has MTU 1400, while the client's own link stays at 1500, so its SYN offers MSS 1460 and the
// LB node sends 1500-byte segments that rt1 cannot forward. rt1's "fragmentation needed" / "packet
// too big" goes to the VIP, i.e. to the scheduler (lb1), which must steer it to the node holding
// the quoted flow. Without steering the serving node never lowers its path MTU, rt1 drops every
// full segment and the download stalls (curl times out, the size and hash differ), and neither the
// scheduler's pmtuSteered counter nor the node's route cache moves.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startArray } from './fixtures/array-lab.js';

const MIB = 8;
const expectedHash = crypto.createHash('sha256').update(Buffer.alloc(MIB << 20, 0x61)).digest('hex'); // backend.ts sends 'a's

t.test('a large download through a 1400-byte hop completes, served by a node other than the scheduler', async (t) => {
  const a = await startArray(t, { routedClients: true, links: { 'rt1:eth1': { mtu: 1400 } } });
  const vip = a.lab.requireVip();
  const client = a.lab.clients[0]!;
  t.match(a.lab.host('rt1').interfaces, [{ name: 'eth0', mtu: 1500 }, { name: 'eth1', mtu: 1400 }], 'only the router\'s client side is narrow');

  for (const [family, address, clientAddress] of [['IPv4', vip.v4, client.v4!], ['IPv6', vip.v6, client.v6!]] as const) {
    const url = `http://${address.includes(':') ? `[${address}]` : address}/big/${MIB}`;
    const file = path.join(a.dir, `download-${family}`);
    const steeredBefore = (await a.status('lb1')).counters['scheduler.pmtuSteered'] ?? 0;
    // A new connection lands on a Maglev-chosen node: retry until one other than the scheduler serves it.
    let served = 'lb1';
    let size = 0;
    for (let attempt = 0; attempt < 12 && served === 'lb1'; attempt++) {
      const { stdout } = await a.lab.exec(client.name, ['curl', '-sS', '--fail', '--max-time', '30', '-o', file, '-w', '%{size_download} %header{x-lb-peer}', url], { timeoutMs: 40_000 });
      const [bytes, peer] = stdout.trim().split(' ');
      size = Number(bytes);
      served = a.nodeOf[peer ?? ''] ?? `unknown peer ${peer}`;
    }
    t.not(served, 'lb1', `${family}: served by ${served}, not the scheduler`);
    t.equal(size, MIB << 20, `${family}: ${MIB} MiB arrived`);
    t.equal(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'), expectedHash, `${family}: the content is intact (sha256)`);

    const steered = (await a.status('lb1')).counters['scheduler.pmtuSteered']! - steeredBefore;
    t.ok(steered > 0, `${family}: the scheduler steered ${steered} PMTU error(s) to the flow's node`);
    const route = (await a.lab.exec(served, ['ip', ...(family === 'IPv6' ? ['-6'] : []), 'route', 'get', clientAddress, 'from', address])).stdout;
    t.match(route, /mtu 1400/, `${family}: ${served} learned the path MTU of 1400 from rt1's error`);
  }
});
