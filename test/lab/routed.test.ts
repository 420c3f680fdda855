// Clients behind a router with a smaller MTU on its client side: the topology issue 3's PMTU test
// needs. With the VIP pinned to one node, a download from the VIP completes over IPv4 and IPv6
// because the router's "fragmentation needed" / "packet too big" reaches the node through the VIP.
import t from 'tap';
import { arrayTopology, labUp } from '../../engine/lab/index.js';

const lab = await labUp(arrayTopology({ clients: 1, lbNodes: 1, backends: 0, routedClients: true, links: { 'rt1:eth1': { mtu: 1400 } } }));
t.teardown(() => lab.down());
const vip = lab.requireVip();
const client = lab.host('client1');
const lb1 = lab.host('lb1');

t.test('the client reaches the lan through rt1', async (t) => {
  t.match(client, { v4: '198.18.1.201', v6: '2001:2:0:1::201' });
  t.match(lab.host('rt1').interfaces, [{ name: 'eth0', v4: '198.18.0.1', mtu: 1500 }, { name: 'eth1', v4: '198.18.1.1', mtu: 1400 }]);
  for (const to of [lb1.v4!, lb1.v6!]) await t.resolves(lab.exec('client1', ['ping', '-n', '-q', '-c', '1', '-W', '2', to]), `ping ${to}`);
});

t.test('a download from the VIP crosses the 1400-byte hop via path MTU discovery', async (t) => {
  await lab.pinVip(lb1.mac); // on the router: it is the one asking for the VIP on the lan
  const server = lab.spawn('lb1', [process.execPath, '-e', `
    const blob = Buffer.alloc(1 << 20, 'lbarray ');
    require('node:http').createServer((q, s) => s.end(blob)).listen(8080, '::', () => console.log('listening'));
  `]);
  t.teardown(() => server.stop());
  await server.waitFor(/listening/);
  for (const address of [vip.v4, vip.v6]) {
    const host = address.includes(':') ? `[${address}]` : address;
    const { stdout } = await lab.exec('client1', ['curl', '-sS', '--fail', '--max-time', '20', '-o', '/dev/null', '-w', '%{size_download}', `http://${host}:8080/`]);
    t.equal(Number(stdout), 1 << 20, `1 MiB from ${address}`);
  }
  const v4 = (await lab.exec('lb1', ['ip', 'route', 'get', client.v4!, 'from', vip.v4])).stdout;
  t.match(v4, /mtu 1400/, 'lb1 learned the IPv4 path MTU from the router');
  const v6 = (await lab.exec('lb1', ['ip', '-6', 'route', 'get', client.v6!, 'from', vip.v6])).stdout;
  t.match(v6, /mtu 1400/, 'lb1 learned the IPv6 path MTU from the router');
});
