// Reading a node's MAC from /proc/net/arp (the IPv4 neighbour table, no `ip` spawned).
import t from 'tap';
import { arpTableMac } from '../../engine/cluster/neighbour.js';

const TABLE = `IP address       HW type     Flags       HW address            Mask     Device
198.18.0.12      0x1         0x2         02:00:5e:00:00:12     *        eth0
198.18.0.13      0x1         0x0         00:00:00:00:00:00     *        eth0
198.18.0.14      0x1         0x2         02:00:5e:00:00:14     *        eth1
198.18.0.112     0x1         0x6         02:00:5e:00:01:12     *        eth0
`;

t.test('a complete entry on the interface gives its MAC; anything else gives null', async (t) => {
  t.equal(arpTableMac(TABLE, '198.18.0.12', 'eth0'), '02:00:5e:00:00:12', 'complete (ATF_COM)');
  t.equal(arpTableMac(TABLE, '198.18.0.112', 'eth0'), '02:00:5e:00:01:12', 'complete and permanent (0x6)');
  t.equal(arpTableMac(TABLE, '198.18.0.2', 'eth0'), null, 'not in the table');
  t.equal(arpTableMac(TABLE, '198.18.0.13', 'eth0'), null, 'incomplete: no answer yet');
  t.equal(arpTableMac(TABLE, '198.18.0.14', 'eth0'), null, 'on another interface');
  t.equal(arpTableMac(TABLE, '198.18.0.1', 'eth0'), null, 'a prefix of another address does not match');
  t.equal(arpTableMac('', '198.18.0.12', 'eth0'), null, 'an empty or unreadable table');
});
