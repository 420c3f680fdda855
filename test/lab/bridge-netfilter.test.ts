// The lab's bridge is a plain switch even where br_netfilter is loaded (Docker loads it): inside
// the switch namespace bridge-nf-call-{iptables,ip6tables,arptables} are 0, so a firewall rule in
// the forward hook never sees the frames the bridge forwards. Without br_netfilter (and no way to
// load it) the keys are absent and the lab still comes up.
import fs from 'node:fs';
import t from 'tap';
import { arrayTopology, labUp } from '../../engine/lab/index.js';
import { execIn, runCommand } from '../../engine/lab/netns.js';

const KEYS = ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables', 'bridge-nf-call-arptables'];
const present = () => fs.existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
if (!present()) await runCommand(['modprobe', 'br_netfilter']).catch((e: Error) => t.comment(`br_netfilter not loaded: ${e.message}`));

const rootKey = () => fs.readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim();
const rootBefore = present() ? rootKey() : undefined;
const lab = await labUp(arrayTopology({ clients: 1, lbNodes: 1, backends: 0 }));
t.teardown(() => lab.down());
const switchNs = lab.switchNs!;
const ping = () => lab.exec('client1', ['ping', '-n', '-q', '-c', '1', '-W', '1', lab.host('lb1').v4!]).then(() => true, () => false);

if (present()) {
  t.test('bridge-nf-call-* are 0 in the switch namespace, the host\'s own values untouched', async (t) => {
    for (const key of KEYS) {
      const inSwitch = (await execIn(switchNs, ['cat', `/proc/sys/net/bridge/${key}`])).stdout.trim();
      t.equal(inSwitch, '0', `${key} in the switch namespace`);
    }
    t.equal(rootKey(), rootBefore, 'the root namespace keeps its own value');
  });

  t.test('a drop-all forward chain in the switch namespace does not stop bridged frames', async (t) => {
    await execIn(switchNs, ['nft', '-f', '-'], { input: 'table ip lab_bnf {\n chain forward_drop { type filter hook forward priority 0; policy drop; }\n}\n' });
    t.ok(await ping(), 'client1 pings lb1 across the bridge');
    // The proof that the rule would bite: with the key on, the same ping is dropped.
    await execIn(switchNs, ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1']);
    t.notOk(await ping(), 'with bridge-nf-call-iptables=1 the bridge hands the ping to the drop rule');
    await execIn(switchNs, ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0']);
    t.ok(await ping(), 'and forwards it again once the key is back to 0');
  });
} else {
  t.test('without br_netfilter the keys are absent and the lab still bridges', async (t) => {
    t.notOk(fs.existsSync('/proc/sys/net/bridge'), 'no bridge-nf keys on this kernel');
    t.ok(await ping(), 'client1 pings lb1 across the bridge');
  });
}
